package dev.clprop.train;

import dev.clprop.spi.DataParallelTiming;

/**
 * Receives a run's progress, on the thread that trains. Every method has a no-op default, so a
 * listener overrides what it shows. Keep the methods quick: training waits for them.
 */
public interface TrainingListener {
    /** Before the first epoch. */
    default void onStart(RunInfo info) {
    }

    /** An epoch starts: its number (1-based), the run's epochs and the training rows. */
    default void onEpochStart(int epoch, int epochs, int rows) {
    }

    /** About every {@link #progressIntervalMillis()}: rows trained in this epoch, and the running mean batch loss. */
    default void onProgress(int epoch, int rowsDone, int rows, double runningLoss) {
    }

    /** An epoch ended, with its figures. */
    default void onEpochEnd(EpochSummary summary) {
    }

    /** A line worth showing: the device chosen and why, verification reports, warnings. */
    default void onMessage(String line) {
    }

    /** How often {@code onProgress} is wanted, in milliseconds (it reads the loss back from the device). */
    default long progressIntervalMillis() {
        return 500;
    }

    /** At the end of a completed data-parallel run: where its steps' time went. */
    default void onDataParallelTiming(DataParallelTiming timing) {
    }
}
