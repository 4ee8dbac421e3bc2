/** The command line: run, demo, replay, evaluate, dataset and export commands. */
package io.hindsight.cli;
