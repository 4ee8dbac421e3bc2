/** The in-process Kafka broker and topic provisioning. */
package io.hindsight.broker;
