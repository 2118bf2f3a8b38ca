package dev.clprop.train;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stops a training run from another thread: the run ends after its current step, writes a
 * checkpoint when one was configured, and reports {@link Outcome#CANCELLED}. Thread-safe; one
 * token can stop several runs.
 */
public final class Cancellation {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    /** Asks the run to stop at its next batch; safe from any thread. */
    public void cancel() {
        cancelled.set(true);
    }

    /** Whether a stop was asked for. */
    public boolean isCancelled() {
        return cancelled.get();
    }
}
