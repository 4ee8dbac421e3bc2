/**
 * Loop A (ReLoop2): predictions joined with late outcomes, the replicated error memory, compensated
 * scores.
 */
package io.hindsight.compensation;
