/**
 * The open-loop load harness: a scenario, a generator that sends at the scenario's rate whatever
 * the system answers, an observer that measures what comes out, and the runner that sizes a run.
 */
package io.hindsight.loadtests.harness;
