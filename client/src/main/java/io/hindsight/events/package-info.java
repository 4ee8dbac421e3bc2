/**
 * The public event contract: records, JSON serdes and validation with a reason for every rejection.
 */
package io.hindsight.events;
