package dev.clprop.train;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stops a training run from another thread: the run ends after its current step, writes a
 * checkpoint when one was configured, and reports {@link Outcome#CANCELLED}. Thread-safe; one
 * token can stop several runs.
 */
public final class Cancellation {
    private final AtomicBoolean cancelled = new AtomicBoolean();

    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }
}
