/**
 * Loop B (Alexa self-learning): sessions, reformulation chains, the replicated chain and the rule
 * table.
 */
package io.hindsight.rewrite;
