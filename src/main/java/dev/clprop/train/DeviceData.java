package dev.clprop.train;

import dev.clprop.backend.Backend;
import dev.clprop.backend.IndexBuffer;
import dev.clprop.backend.Tensor;
import dev.clprop.data.Dataset;

/**
 * A dataset uploaded once to a backend, plus batch buffers that {@link #gatherBatch} fills through
 * a row permutation without leaving the device.
 */
final class DeviceData implements AutoCloseable {
    final Dataset data;
    final Tensor x, y, batchX, batchY;
    final IndexBuffer order;
    private final Backend backend;

    DeviceData(Backend backend, Dataset data, int maxBatch) {
        this.backend = backend;
        this.data = data;
        Tensor tx = null, ty = null, bx = null, by = null;
        IndexBuffer ord = null;
        try {
            tx = backend.allocate(data.rows(), data.features());
            backend.upload(tx, data.x());
            ty = backend.allocate(data.rows(), data.outputs());
            backend.upload(ty, data.y());
            bx = backend.allocate(maxBatch, data.features());
            by = backend.allocate(maxBatch, data.outputs());
            ord = backend.allocateIndices(data.rows());
        } catch (RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[]{ord, by, bx, ty, tx}) closeQuietly(c);
            throw e;
        }
        x = tx;
        y = ty;
        batchX = bx;
        batchY = by;
        order = ord;
        setOrder(identity(data.rows()));
    }

    static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    void setOrder(int[] perm) {
        backend.uploadIndices(order, perm);
    }

    void gatherBatch(int offset, int count) {
        backend.gather(x, order, offset, count, batchX);
        backend.gather(y, order, offset, count, batchY);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // releasing after a failure; the first error is the one to report
        }
    }

    @Override
    public void close() {
        order.close();
        batchY.close();
        batchX.close();
        y.close();
        x.close();
    }
}
