package dev.clprop.error;

import java.nio.file.Path;

/**
 * The thread running a training was interrupted ({@link Thread#interrupt()}). The run stopped at a
 * step boundary; when a checkpoint file was configured it holds the state reached. (Cancelling
 * through a {@code Cancellation} is not an error: the result then says CANCELLED.)
 */
public class TrainingInterruptedException extends ClpropException {
    private final transient Path checkpoint;

    /** The thread was interrupted; {@code checkpoint} holds the run so far (or is null). */
    public TrainingInterruptedException(String message, Path checkpoint) {
        super(message);
        this.checkpoint = checkpoint;
    }

    /** The checkpoint written before stopping, or null. */
    public Path checkpoint() {
        return checkpoint;
    }
}
