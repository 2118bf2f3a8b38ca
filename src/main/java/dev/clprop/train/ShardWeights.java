package dev.clprop.train;

import dev.clprop.loss.Loss;

import java.util.function.IntUnaryOperator;

/**
 * How the shards of one batch, each trained on its own device or executor, combine into the batch:
 * a shard's gradient and loss are means over its rows (for cross-entropy with class weights, over
 * its rows' weights), so the batch's are the shards' weighted by {@link #weight} and divided by the
 * weights' sum; half-SSE sums over rows, so its shards simply add ({@link #divisor} is 1).
 */
public final class ShardWeights {
    private ShardWeights() {
    }

    /**
     * The weight of a shard of {@code rows} rows: the row count, the sum of its rows' class weights
     * ({@code labelOf(i)} is row i's class), or 1 for a non-empty shard of a loss that sums.
     */
    public static double weight(Loss loss, float[] classWeights, int rows, IntUnaryOperator labelOf) {
        if (rows == 0) return 0;
        if (loss.sumsOverBatch()) return 1;
        if (classWeights == null) return rows;
        double w = 0;
        for (int i = 0; i < rows; i++) w += classWeights[labelOf.applyAsInt(i)];
        return w;
    }

    /** What the weighted sum of the shards is divided by: the weights' total, or 1 for a loss that sums. */
    public static double divisor(Loss loss, double totalWeight) {
        return loss.sumsOverBatch() ? 1 : totalWeight;
    }
}
