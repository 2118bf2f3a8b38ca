package dev.clprop.train;

import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.nn.Pass;

/** Runs a network forward over a whole dataset in batches, for predictions and metrics. */
public final class Evaluator {
    /** Batch of evaluation and prediction runs (memory for activations, not a numerical choice). */
    public static final int BATCH = 256;

    private Evaluator() {
    }

    /** Outputs for every row on the device, in row order, row-major (rows × outputs). */
    static float[] predict(DeviceNetwork net, DeviceData dev) {
        int batch = net.maxBatch();
        int n = net.architecture().outputs();
        float[] out = new float[dev.rows * n];
        float[] chunk = new float[batch * n];
        for (int off = 0; off < dev.rows; off += batch) {
            int m = Math.min(batch, dev.rows - off);
            dev.gatherBatch(off, m);
            net.forward(dev.batchX, m, Pass.INFERENCE);
            net.backend().download(net.output(), chunk);
            System.arraycopy(chunk, 0, out, off * n, m * n);
        }
        return out;
    }

    /** Outputs of parameters {@code p} for every row of {@code x} (rows × features, standardized). */
    public static float[] predict(Backend backend, Parameters p, Loss loss, float[] x, int rows) {
        int batch = Math.max(1, Math.min(BATCH, rows));
        try (DeviceNetwork net = new DeviceNetwork(backend, p.architecture(), loss, null, batch, 0);
             DeviceData dev = new DeviceData(backend, x, p.architecture().inputs(), null, 0, batch)) {
            net.setParameters(p);
            return predict(net, dev);
        }
    }

    /** Metrics of parameters {@code p} on {@code data} (already standardized). */
    public static Metrics evaluate(Backend backend, Parameters p, Loss loss, Dataset data) {
        int n = p.architecture().outputs();
        int batch = Math.max(1, Math.min(BATCH, data.rows()));
        try (DeviceNetwork net = new DeviceNetwork(backend, p.architecture(), loss, null, batch, 0);
             DeviceData dev = new DeviceData(backend, data, n, batch)) {
            net.setParameters(p);
            return Metrics.of(data, loss, predict(net, dev), n);
        }
    }
}
