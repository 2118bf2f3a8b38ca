package dev.clprop.train;

import dev.clprop.spi.RunConfig;

import dev.clprop.spi.DataParallelTiming;

import dev.clprop.spi.StepRunner;

import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.Tolerance;
import dev.clprop.error.ClpropException;
import dev.clprop.error.DeviceException;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.optim.OptimizerState;

import java.util.ArrayList;
import java.util.List;

/**
 * Synchronous data-parallel training: one replica of the network per device, each holding the whole
 * dataset. Each step splits the global batch evenly into consecutive shards, replica r taking rows
 * {@code ⌊r·m/N⌋ .. ⌊(r+1)·m/N⌋ − 1} of it (with those rows' dropout masks, as one device draws them);
 * each computes the mean gradient of its shard; the host combines them, in replica order, into the
 * gradient of the whole batch, weighting each shard by its share of the batch (its rows, or with class
 * weights its share of the batch's total target weight; for half-SSE, a sum over rows, simply adding); every replica receives that gradient and
 * applies the same update (clipping included), so the replicas stay equal. The combination goes
 * through host memory for every pair of devices, on one platform or several.
 * <p>The shards run at once: every op is queued without waiting and the first read of a gradient is
 * the first wait. A replica's failure is raised as a {@link DeviceException} naming its device; at
 * the end of every epoch the replicas' weights are compared, so a device that updates wrongly is named.
 * <p>Batch normalization is per shard (as {@code nn.DataParallel} without {@code SyncBatchNorm}): each
 * replica normalizes with its shard's statistics, and the running statistics are averaged across
 * replicas after every step ({@link #combineBuffers}). Not thread-safe.
 */
public final class DataParallelRunner implements StepRunner {
    /** One device's share: its backend (maybe verified), network and copy of the data. */
    private record Replica(Backend backend, Lockstep lockstep, DeviceNetwork net, DeviceData data) implements AutoCloseable {
        @Override
        public void close() {
            for (AutoCloseable c : new AutoCloseable[]{data, net, lockstep}) DeviceData.closeQuietly(c);
        }
    }

    private final List<Replica> replicas = new ArrayList<>();
    private final Dataset train;
    private final DeviceData validation;
    private final float[][][] gradients;
    private final float[][] combined;
    /** Each replica's running statistics after a step, and their combination (empty without batchnorm). */
    private final float[][][] buffers;
    private final float[][] combinedBuffers;
    private final double[] share;
    private final int[] rows;
    private final dev.clprop.loss.Loss loss;
    private float[] classWeights;
    private int[] order;
    private double lossSum;
    private long combineNanos, stepNanos, steps;

    /** One replica per backend, each holding the whole training (and validation) data. */
    public DataParallelRunner(List<Backend> backends, RunConfig cfg, Dataset train, Dataset validation, int batch) {
        BatchNormRows.check(cfg.architecture(), train.rows(), batch, backends.size());
        this.train = train;
        this.loss = cfg.loss();
        int outputs = cfg.architecture().outputs();
        DeviceData v = null;
        try {
            for (Backend device : backends) {
                Lockstep lock = cfg.verifyEvery() > 0 ? new Lockstep(device) : null;
                Backend b = lock != null ? lock.backend() : device;
                DeviceNetwork net = null;
                try {
                    net = new DeviceNetwork(b, cfg.architecture(), cfg.loss(), cfg.optimizer(), batch, cfg.seed());
                    replicas.add(new Replica(device, lock, net, new DeviceData(b, train, outputs, batch)));
                } catch (RuntimeException e) {
                    DeviceData.closeQuietly(net);
                    DeviceData.closeQuietly(lock);
                    throw e;
                }
            }
            Replica first = replicas.get(0);
            v = validation == null ? null : new DeviceData(first.lockstep != null ? first.lockstep.backend() : first.backend, validation, outputs, batch);
        } catch (RuntimeException e) {
            for (int i = replicas.size() - 1; i >= 0; i--) replicas.get(i).close();
            throw e;
        }
        this.validation = v;
        List<ParamShape> shapes = replicas.get(0).net.parameterShapes();
        gradients = new float[replicas.size()][shapes.size()][];
        combined = new float[shapes.size()][];
        for (int p = 0; p < shapes.size(); p++) {
            combined[p] = new float[shapes.get(p).size()];
            for (float[][] g : gradients) g[p] = new float[shapes.get(p).size()];
        }
        share = new double[replicas.size()];
        rows = new int[replicas.size() + 1];
        List<String> names = replicas.get(0).net.bufferNames();
        buffers = new float[replicas.size()][names.size()][];
        combinedBuffers = new float[names.size()][];
        for (int b = 0; b < names.size(); b++) {
            String name = names.get(b);
            int size = cfg.architecture().stateShapes().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().size();
            combinedBuffers[b] = new float[size];
            for (float[][] r : buffers) r[b] = new float[size];
        }
    }

    /** Runs {@code op} on every replica in order; a failure that is not clprop's own is the device's, named. */
    private void each(String what, java.util.function.Consumer<Replica> op) {
        for (Replica r : replicas) on(r, what, () -> op.accept(r));
    }

    private void on(Replica r, String what, Runnable op) {
        try {
            op.run();
        } catch (ClpropException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DeviceException("device " + r.backend.name() + " failed " + what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        List<String> n = new ArrayList<>();
        for (Replica r : replicas) n.add(r.backend.name());
        return String.join(", ", n);
    }

    @Override
    public void setParameters(Parameters p) {
        each("receiving the weights", r -> r.net.setParameters(p));
    }

    @Override
    public void setOptimizerState(OptimizerState s) {
        each("receiving the optimizer state", r -> r.net.setOptimizerState(s));
    }

    @Override
    public void setClipNorm(float maxNorm) {
        each("setting up gradient clipping", r -> r.net.setClipNorm(maxNorm));
    }

    @Override
    public void setClassWeights(float[] weights) {
        classWeights = weights == null ? null : weights.clone();
        each("receiving the class weights", r -> r.net.setClassWeights(weights));
    }

    @Override
    public void setLearningRate(float rate) {
        for (Replica r : replicas) r.net.setLearningRate(rate);
    }

    @Override
    public long step() {
        return replicas.get(0).net.step();
    }

    @Override
    public void setOrder(int[] order) {
        this.order = order.clone();
        each("receiving the epoch's row order", r -> r.data.setOrder(order));
    }

    @Override
    public void trainBatch(int offset, int m) {
        long t0 = System.nanoTime();
        int n = replicas.size();
        for (int r = 0; r <= n; r++) rows[r] = (int) ((long) r * m / n);
        // queue every shard's forward and backward before waiting for any
        for (int r = 0; r < n; r++) {
            int lo = rows[r], count = rows[r + 1] - lo;
            if (count == 0) continue;
            Replica rep = replicas.get(r);
            on(rep, "in step " + (step() + 1), () -> {
                rep.data.gatherBatch(offset + lo, count);
                rep.net.computeGradients(rep.data.batchX, rep.data.batchY, count, lo);
            });
        }
        shares(offset, m);
        // wait for every shard's compute first, so that what is timed as combining is only that
        each("in step " + (step() + 1), r -> r.net.backend().finish());
        long c0 = System.nanoTime();
        for (int r = 0; r < n; r++) {
            if (rows[r + 1] == rows[r]) continue;
            Replica rep = replicas.get(r);
            int k = r;
            on(rep, "in step " + (step() + 1), () -> {
                if (share[k] > 0) rep.net.readGradients(gradients[k]);
                float loss = rep.net.takeLossSum(); // taken from every shard that ran, so none is left over
                if (share[k] > 0) lossSum += share[k] * loss;
            });
        }
        combine();
        each("in step " + (step() + 1), r -> r.net.writeGradients(combined));
        long c1 = System.nanoTime();
        each("in step " + (step() + 1), r -> r.net.update());
        if (combinedBuffers.length > 0) combineBuffers(m);
        combineNanos += c1 - c0;
        stepNanos += System.nanoTime() - t0;
        steps++;
    }

    /** Each shard's share of the batch ({@link ShardWeights}); shares of a batch add up to 1, or each is 1 for half-SSE. */
    private void shares(int offset, int m) {
        double total = 0;
        for (int r = 0; r < share.length; r++) {
            int lo = offset + rows[r];
            share[r] = ShardWeights.weight(loss, classWeights, rows[r + 1] - rows[r], i -> train.label(order[lo + i]));
            total += share[r];
        }
        double divisor = ShardWeights.divisor(loss, total);
        for (int r = 0; r < share.length; r++) share[r] = divisor == 0 ? 0 : share[r] / divisor;
    }

    /** The batch's gradient: the shards' gradients weighted by their shares, summed in replica order. */
    private void combine() {
        for (int p = 0; p < combined.length; p++) {
            float[] out = combined[p];
            java.util.Arrays.fill(out, 0f);
            for (int r = 0; r < share.length; r++) {
                if (share[r] == 0) continue;
                float s = (float) share[r];
                float[] g = gradients[r][p];
                for (int i = 0; i < out.length; i++) out[i] += s * g[i];
            }
        }
    }

    /**
     * Batchnorm's running statistics: each replica moved its own by its shard's statistics; every replica
     * now takes their average weighted by rows, so that the replicas stay equal. The running mean is then
     * exactly the one the whole batch's mean would give; the running variance averages the shards' unbiased
     * variances (docs/data-parallel.md).
     */
    private void combineBuffers(int m) {
        for (int r = 0; r < replicas.size(); r++) {
            Replica rep = replicas.get(r);
            int k = r;
            on(rep, "in step " + step(), () -> rep.net.readBuffers(buffers[k]));
        }
        for (int b = 0; b < combinedBuffers.length; b++) {
            float[] out = combinedBuffers[b];
            java.util.Arrays.fill(out, 0f);
            for (int r = 0; r < replicas.size(); r++) {
                float w = (float) ((double) (rows[r + 1] - rows[r]) / m);
                float[] v = buffers[r][b];
                for (int i = 0; i < out.length; i++) out[i] += w * v[i];
            }
        }
        each("in step " + step(), r -> r.net.writeBuffers(combinedBuffers));
    }

    @Override
    public double takeLossSum() {
        double s = lossSum;
        lossSum = 0;
        return s;
    }

    /** The weights, after checking that every replica holds the same ones (within {@link Tolerance#OP}). */
    @Override
    public Parameters parameters() {
        Parameters first = replicas.get(0).net.parameters();
        for (int r = 1; r < replicas.size(); r++) {
            Replica rep = replicas.get(r);
            Parameters other = rep.net.parameters();
            for (ParamShape p : first.shapes()) {
                float[] a = first.get(p.name()), b = other.get(p.name());
                Tolerance.Report rep0 = Tolerance.OP.compare(b, a, a.length);
                if (!rep0.ok()) {
                    throw new DeviceException("replicas disagree after step " + step() + ": " + p.name() + " on " + rep.backend.name() + " differs from "
                            + replicas.get(0).backend.name() + " (" + rep0.describe() + "); a device updates its weights wrongly");
                }
            }
        }
        return first;
    }

    @Override
    public OptimizerState optimizerState() {
        return replicas.get(0).net.optimizerState();
    }

    @Override
    public float[] validationOutputs() {
        return Evaluator.predict(replicas.get(0).net, validation);
    }

    @Override
    public void beginVerify() {
        for (Replica r : replicas) if (r.lockstep != null) r.lockstep.begin();
    }

    @Override
    public String endVerify(String what) {
        List<String> out = new ArrayList<>();
        for (Replica r : replicas) if (r.lockstep != null) out.add(r.lockstep.end(what + " on " + r.backend.name()));
        return out.isEmpty() ? null : String.join("; ", out);
    }

    /** Step and combination times so far; bytes moved per step: every replica's gradients down and the sum back up. */
    @Override
    public DataParallelTiming timing() {
        long params = 0;
        for (float[] c : combined) params += c.length;
        return new DataParallelTiming(replicas.size() + " devices", steps, steps == 0 ? 0 : stepNanos / 1e6 / steps, steps == 0 ? 0 : combineNanos / 1e6 / steps,
                2L * replicas.size() * params * Float.BYTES, "through the host");
    }

    @Override
    public void close() {
        DeviceData.closeQuietly(validation);
        for (int i = replicas.size() - 1; i >= 0; i--) replicas.get(i).close();
    }
}
