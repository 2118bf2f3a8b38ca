package dev.clprop.train;

/** How a training run ended. */
public enum Outcome {
    /** Every epoch ran. */
    COMPLETED,
    /** Validation loss stopped improving; the model is the best epoch's. */
    EARLY_STOPPED,
    /** Stopped through a {@link Cancellation}; the model is what was trained so far. */
    CANCELLED,
    /** The loss or the weights became NaN or infinite; the model is the last good epoch's. */
    DIVERGED
}
