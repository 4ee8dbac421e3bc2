/**
 * Offline scoring metrics (AUC, gAUC, logloss, calibration) and chronological slotting for replays.
 */
package io.hindsight.evaluation;
