/**
 * Recovery without a person: local state the cluster can no longer vouch for is rebuilt from Kafka,
 * and a failed Kafka Streams client is restarted, or the process exits for its supervisor.
 */
package io.hindsight.recovery;
