package dev.clprop.train;

import dev.clprop.backend.Backend;
import dev.clprop.data.Dataset;
import dev.clprop.model.Loss;
import dev.clprop.model.Parameters;

/** Runs a network forward over a whole dataset in batches and evaluates its outputs. */
public final class Evaluator {
    private Evaluator() {
    }

    /** Outputs of the network for every row of {@code data}, row-major (rows × outputs). */
    public static float[] predict(Network net, Dataset data) {
        try (DeviceData dev = new DeviceData(net.backend(), data, net.maxBatch())) {
            return predict(net, dev);
        }
    }

    /** As {@link #predict(Network, Dataset)} for data already on the device (its order must be the identity). */
    static float[] predict(Network net, DeviceData dev) {
        int batch = net.maxBatch();
        int n = net.spec().outputs();
        Dataset data = dev.data;
        float[] out = new float[data.rows() * n];
        float[] chunk = new float[batch * n];
        for (int off = 0; off < data.rows(); off += batch) {
            int m = Math.min(batch, data.rows() - off);
            dev.gatherBatch(off, m);
            net.forward(dev.batchX, m);
            net.backend().download(net.output(), chunk);
            System.arraycopy(chunk, 0, out, off * n, m * n);
        }
        return out;
    }

    public static Evaluation evaluate(Network net, Dataset data) {
        return Evaluation.of(data, net.loss(), predict(net, data));
    }

    /** Evaluates parameters on a backend without an optimizer (evaluate and predict commands). */
    public static Evaluation evaluate(Backend backend, Parameters p, Loss loss, Dataset data, int batch) {
        try (Network net = new Network(backend, p.spec(), loss, null, Math.max(1, Math.min(batch, data.rows())))) {
            net.setParameters(p);
            return evaluate(net, data);
        }
    }
}
