/** Hindsight's typed configuration and topic descriptors. */
package io.hindsight.config;
