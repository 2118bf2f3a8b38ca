package dev.clprop.train;

import dev.clprop.data.Dataset;
import dev.clprop.data.Splits;
import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.Tensor;

/**
 * Rows uploaded once to a backend (features and, for training, what the network must output), plus
 * batch buffers that {@link #gatherBatch} fills through a row permutation without leaving the device.
 */
final class DeviceData implements AutoCloseable {
    final int rows;
    final Tensor x, y, batchX, batchY;
    final IndexBuffer order;
    private final Backend backend;

    /** A dataset with its targets; {@code outputs} is the network's output width (the one-hot width). */
    DeviceData(Backend backend, Dataset data, int outputs, int maxBatch) {
        this(backend, data.featureMatrix(), data.featureCount(), data.targetMatrix(outputs), outputs, maxBatch);
    }

    /** @param targets rows × outputs, or null for features only (prediction) */
    DeviceData(Backend backend, float[] features, int featureCount, float[] targets, int outputs, int maxBatch) {
        this.backend = backend;
        this.rows = features.length / featureCount;
        Tensor tx = null, ty = null, bx = null, by = null;
        IndexBuffer ord = null;
        try {
            tx = backend.allocate(rows, featureCount);
            backend.upload(tx, features);
            bx = backend.allocate(maxBatch, featureCount);
            if (targets != null) {
                ty = backend.allocate(rows, outputs);
                backend.upload(ty, targets);
                by = backend.allocate(maxBatch, outputs);
            }
            ord = backend.allocateIndices(rows);
        } catch (RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[]{ord, by, bx, ty, tx}) closeQuietly(c);
            throw e;
        }
        x = tx;
        y = ty;
        batchX = bx;
        batchY = by;
        order = ord;
        setOrder(Splits.identity(rows));
    }

    /** The rows of an epoch in order: each must be a row of the data, as a gather reads it unchecked. */
    void setOrder(int[] perm) {
        int rows = x.rows();
        for (int r : perm) if (r < 0 || r >= rows) throw new IllegalArgumentException("row " + r + " of an order over " + rows + " rows");
        backend.uploadIndices(order, perm);
    }

    void gatherBatch(int offset, int count) {
        if (y != null) backend.gatherBatch(x, y, order, offset, count, batchX, batchY);
        else backend.gather(x, order, offset, count, batchX);
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // releasing after a failure; the first error is the one to report
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[]{order, batchY, batchX, y, x}) closeQuietly(c);
    }
}
