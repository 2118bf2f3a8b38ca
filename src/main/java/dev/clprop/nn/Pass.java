package dev.clprop.nn;

/**
 * What a forward pass is for: training (dropout active, outputs kept for backward) or inference, and
 * the counters a layer with randomness keys on, so that every device draws the same numbers.
 */
public record Pass(boolean training, long seed, long step) {
    public static final Pass INFERENCE = new Pass(false, 0, 0);

    public static Pass training(long seed, long step) {
        return new Pass(true, seed, step);
    }
}
