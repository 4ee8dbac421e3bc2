/** Synthetic worlds that generate realistic traffic for the demo and load tests. */
package io.hindsight.simulation;
