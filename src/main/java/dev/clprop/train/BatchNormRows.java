package dev.clprop.train;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.Architecture;

/**
 * Batch normalization needs at least 2 rows per training batch on each device (one row has no
 * variance; PyTorch raises the same). Checked before the first step, from the data's size, the batch
 * size and the number of devices sharing each batch, so that a run is refused at once rather than at
 * the end of an epoch.
 */
final class BatchNormRows {
    private BatchNormRows() {
    }

    /**
     * Refuses a run in which some device would normalize fewer than 2 rows: a full batch or the last
     * partial one, split over {@code devices} shards ({@code ⌊(r+1)·b/N⌋ − ⌊r·b/N⌋} rows each, the smallest ⌊b/N⌋).
     */
    static void check(Architecture arch, int trainRows, int batch, int devices) {
        if (!arch.hasBuffers() || trainRows == 0) return;
        int full = Math.min(batch, trainRows), last = trainRows % batch;
        for (int b : new int[]{full, last}) {
            if (b == 0 || b / devices >= 2) continue;
            String where = devices == 1 ? "" : " split over " + devices + " devices";
            throw new InvalidSettingException("batchSize", batch + " gives " + (b == full ? "batches" : "a last batch") + " of " + b + " row" + (b == 1 ? "" : "s")
                    + " (" + trainRows + " training rows)" + where + "; batchnorm needs at least 2 rows per " + (devices == 1 ? "training batch" : "device in every batch")
                    + " (choose a batch size that leaves no " + (devices == 1 ? "single row" : "device fewer than 2 rows") + " at the end of an epoch)");
        }
    }
}
