package dev.clprop.spark;

import dev.clprop.nn.Pass;

import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.OptimizerState;
import dev.clprop.train.ShardWeights;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One partition's round of averaging mode (local SGD, as DL4J's parameter averaging), run on its
 * executor: from the broadcast weights and optimizer state it takes, for each of the round's K
 * batches in order, the rows of that batch its block holds and makes one optimizer step on them, on
 * its own device; it returns its final weights and optimizer state weighted by the rows it trained
 * on (as float; combining makes the weighted sums in double), and each batch's loss weighted as
 * {@link ShardWeights} says. The driver averages. Steps keep
 * their global numbers (Adam's bias correction, the schedule's rate per step) and a partition with
 * no rows of a batch skips that step. Pure: a retried task computes the same round.
 *
 * @param rates the learning rate of each of the round's steps
 * @param firstStep the global number of the round's first step
 */
record RoundTask(String architecture, Loss loss, float[] optimizerSettings, Optimizer.Kind kind, float clipNorm, float[] classWeights, String device,
                 int maxBatch, long firstStep, float[] rates, long seed) implements Serializable {

    /** The task for an optimizer (sent as its numbers: a record of settings is no Spark payload). */
    static RoundTask of(String architecture, Loss loss, Optimizer o, float clipNorm, float[] classWeights, String device, int maxBatch,
                        long firstStep, float[] rates, long seed) {
        float[] settings = {o.momentum(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay()};
        return new RoundTask(architecture, loss, settings, o.kind(), clipNorm, classWeights, device, maxBatch, firstStep, rates, seed);
    }

    /** The optimizer again, at learning rate 1 (each step sets its own). */
    Optimizer optimizerAtUnitRate() {
        float[] o = optimizerSettings;
        return new Optimizer(kind, 1f, o[0], o[1], o[2], o[3], o[4]);
    }

    /** The weights and optimizer state a round starts from: one broadcast. */
    record Start(float[][] params, float[][][] state) implements Serializable {
    }

    /**
     * What a partition sends back for a round, combined by Spark. A partition's own weights and state
     * travel as float (half of what the weighted sums take in double); combining two results makes the
     * sums of rows × value in double, from which {@link #averagedParams} divides.
     */
    static final class Result implements Serializable {
        /** One partition's weights and optimizer state, unweighted (null once combined into the sums, or with no rows). */
        float[][] params;
        float[][][] state;
        /** Sums over partitions of rows × weight and rows × state (null until two results with rows are combined). */
        double[][] paramSums;
        double[][][] stateSums;
        double weight;
        double[] batchLoss;
        double[] batchWeight;
        /** The longest a partition computed (its steps, on its device), for the share of the job that is Spark's own. */
        long slowestNanos;
        java.util.TreeSet<String> devices = new java.util.TreeSet<>();

        Result add(Result o) {
            if (o.params != null || o.paramSums != null) {
                if (params == null && paramSums == null) {
                    // the first result with rows is taken as it is: a lone partition's values stay float
                    params = o.params;
                    state = o.state;
                    paramSums = o.paramSums;
                    stateSums = o.stateSums;
                } else {
                    toSums();
                    if (o.paramSums != null) {
                        for (int p = 0; p < paramSums.length; p++) {
                            for (int i = 0; i < paramSums[p].length; i++) paramSums[p][i] += o.paramSums[p][i];
                            for (int k = 0; k < stateSums[p].length; k++) for (int i = 0; i < stateSums[p][k].length; i++) stateSums[p][k][i] += o.stateSums[p][k][i];
                        }
                    } else {
                        for (int p = 0; p < paramSums.length; p++) {
                            for (int i = 0; i < paramSums[p].length; i++) paramSums[p][i] += o.weight * o.params[p][i];
                            for (int k = 0; k < stateSums[p].length; k++) for (int i = 0; i < stateSums[p][k].length; i++) stateSums[p][k][i] += o.weight * o.state[p][k][i];
                        }
                    }
                }
            }
            weight += o.weight;
            slowestNanos = Math.max(slowestNanos, o.slowestNanos);
            if (o.batchLoss != null) {
                if (batchLoss == null) {
                    batchLoss = o.batchLoss.clone();
                    batchWeight = o.batchWeight.clone();
                } else {
                    for (int i = 0; i < batchLoss.length; i++) {
                        batchLoss[i] += o.batchLoss[i];
                        batchWeight[i] += o.batchWeight[i];
                    }
                }
            }
            if (o.devices != null) devices.addAll(o.devices);
            return this;
        }

        /** This result's own values as sums weighted by its rows (weight, before another is added). */
        private void toSums() {
            if (paramSums != null) return;
            paramSums = new double[params.length][];
            stateSums = new double[params.length][][];
            for (int p = 0; p < params.length; p++) {
                paramSums[p] = new double[params[p].length];
                for (int i = 0; i < params[p].length; i++) paramSums[p][i] = weight * params[p][i];
                stateSums[p] = new double[state[p].length][];
                for (int k = 0; k < state[p].length; k++) {
                    stateSums[p][k] = new double[state[p][k].length];
                    for (int i = 0; i < state[p][k].length; i++) stateSums[p][k][i] = weight * state[p][k][i];
                }
            }
            params = null;
            state = null;
        }

        /** Parameter p averaged over the partitions, weighted by their rows (a lone partition's own values). */
        float[] averagedParams(int p) {
            if (paramSums == null) return params[p].clone();
            float[] v = new float[paramSums[p].length];
            for (int i = 0; i < v.length; i++) v[i] = (float) (paramSums[p][i] / weight);
            return v;
        }

        /** Parameter p's optimizer state averaged the same way. */
        float[][] averagedState(int p) {
            if (stateSums == null) {
                float[][] c = new float[state[p].length][];
                for (int k = 0; k < c.length; k++) c[k] = state[p][k].clone();
                return c;
            }
            float[][] v = new float[stateSums[p].length][];
            for (int k = 0; k < v.length; k++) {
                v[k] = new float[stateSums[p][k].length];
                for (int i = 0; i < v[k].length; i++) v[k][i] = (float) (stateSums[p][k][i] / weight);
            }
            return v;
        }
    }

    Result run(Block b, long[][] batches, Start start) {
        long t0 = System.nanoTime();
        Result r = compute(b, batches, start.params(), start.state());
        r.slowestNanos = System.nanoTime() - t0;
        return r;
    }

    private Result compute(Block b, long[][] batches, float[][] params, float[][][] state) {
        Architecture arch = Architecture.parse(architecture);
        int in = arch.inputs(), out = arch.outputs();
        Result r = new Result();
        r.batchLoss = new double[batches.length];
        r.batchWeight = new double[batches.length];
        Optimizer optimizer = optimizerAtUnitRate();
        ExecutorDevices.Slot s = ExecutorDevices.borrow(device, arch, loss, optimizer, maxBatch);
        try {
            List<ParamShape> shapes = s.net.parameterShapes();
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, float[][]> slots = new LinkedHashMap<>();
            for (int p = 0; p < shapes.size(); p++) {
                values.put(shapes.get(p).name(), params[p]);
                slots.put(shapes.get(p).name(), state[p]);
            }
            s.net.setParameters(new Parameters(arch, values));
            s.net.setOptimizerState(new OptimizerState(optimizer.kind(), firstStep - 1, slots));
            s.net.setClipNorm(clipNorm);
            s.net.setClassWeights(classWeights);
            double rows = 0;
            for (int k = 0; k < batches.length; k++) {
                int[] local = new int[Math.min(batches[k].length, b.rows())];
                int m = 0, firstPosition = -1;
                for (int q = 0; q < batches[k].length; q++) {
                    if (!b.holds(batches[k][q])) continue;
                    if (firstPosition < 0) firstPosition = q;
                    local[m++] = (int) (batches[k][q] - b.firstRow());
                }
                if (m == 0) continue;
                for (int i = 0; i < m; i++) {
                    System.arraycopy(b.x(), local[i] * in, s.hostX, i * in, in);
                    System.arraycopy(b.y(), local[i] * out, s.hostY, i * out, out);
                }
                s.backend.upload(s.x, s.hostX);
                s.backend.upload(s.y, s.hostY);
                s.net.setStep(firstStep + k - 1);
                s.net.setLearningRate(rates[k]);
                // a local step: dropout's masks from the run's seed and the step, offset by the block's first row in the batch
                Pass pass = Pass.training(seed, firstStep + k).fromRow(firstPosition);
                s.net.forward(s.x, m, pass);
                s.net.backward(s.x, s.y, m, pass);
                s.net.update();
                int[] rowsOf = local;
                double w = ShardWeights.weight(loss, classWeights, m, i -> b.labels()[rowsOf[i]]);
                r.batchLoss[k] = w * s.net.takeLossSum();
                r.batchWeight[k] = w;
                rows += m;
            }
            r.weight = rows;
            if (rows == 0) return r;
            Parameters p = s.net.parameters();
            OptimizerState st = s.net.optimizerState();
            r.params = new float[shapes.size()][];
            r.state = new float[shapes.size()][][];
            for (int q = 0; q < shapes.size(); q++) {
                r.params[q] = p.get(shapes.get(q).name());
                r.state[q] = st.slots().get(shapes.get(q).name());
            }
            r.devices.add(s.backend.name());
            return r;
        } finally {
            ExecutorDevices.giveBack(device, arch, loss, optimizer, maxBatch, s);
        }
    }
}
