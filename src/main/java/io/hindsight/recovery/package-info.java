/**
 * Recovery without a person: local state the cluster can no longer vouch for is rebuilt from Kafka.
 */
package io.hindsight.recovery;
