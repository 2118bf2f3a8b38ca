package dev.clprop.nn;

/**
 * What a forward pass is for: training (dropout active, outputs kept for backward) or inference, and
 * the counters a layer with randomness keys on, so that every device draws the same numbers.
 * {@code firstRow} is the position of the pass's first row in the step's whole batch: a replica that
 * trains on rows 32..63 of a 64-row batch draws the masks the one-device run draws for those rows.
 */
public record Pass(boolean training, long seed, long step, int firstRow) {
    /** A forward pass for prediction: dropout passes values through. */
    public static final Pass INFERENCE = new Pass(false, 0, 0, 0);

    /** A forward pass of training step {@code step}: dropout draws its masks from (seed, step). */
    public static Pass training(long seed, long step) {
        return new Pass(true, seed, step, 0);
    }

    /** The same pass over the rows from {@code row} of the batch on. */
    public Pass fromRow(int row) {
        return new Pass(training, seed, step, row);
    }
}
