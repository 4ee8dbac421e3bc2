/**
 * Replaying event logs into Hindsight's input topics in event-time order, at full or paced speed.
 */
package io.hindsight.replay;
