/**
 * Reformulation chains as an absorbing Markov chain, its solvers and the rewrite-rule lifecycle.
 */
package io.hindsight.markov;
