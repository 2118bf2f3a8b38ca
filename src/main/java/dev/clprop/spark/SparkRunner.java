package dev.clprop.spark;

import dev.clprop.device.Backend;
import dev.clprop.device.DeviceSelection;
import dev.clprop.error.ClpropException;
import dev.clprop.error.DeviceException;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.optim.OptimizerState;
import dev.clprop.spi.DataParallelTiming;
import dev.clprop.spi.RunConfig;
import dev.clprop.train.ShardWeights;
import dev.clprop.spi.StepRunner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Synchronous data-parallel training through Spark, one job per optimizer step: the driver
 * broadcasts the weights; every partition computes the gradient of its rows of the step's batch on
 * its executor's device ({@link StepTask}); Spark sums the partitions' weighted gradients with
 * {@code treeAggregate}; the driver divides by the batch's weight, applies the update (clipping and
 * optimizer state live on the driver), and the next step broadcasts the new weights. The batch is
 * the same rows in the same order as one machine's, so the run is one machine's within rounding. A
 * failed task is retried by Spark; since tasks only compute, a step's update is applied once.
 */
final class SparkRunner implements StepRunner {
    private final JavaRDD<Block> blocks;
    private final JavaSparkContext sc;
    private final int partitions;
    private final RunConfig cfg;
    private final String executorDevice;
    private final int executorBatch;
    private final int treeDepth;
    private final String where;
    private final Backend driver;
    private final DeviceNetwork net;
    private final List<ParamShape> shapes;
    private float[][] params;
    private final float[][] combined;
    private float[] classWeights;
    private long[] order;
    private double lossSum;
    private long stepNanos, combineNanos, steps;
    private final java.util.function.Consumer<String> messages;
    /** Averaging mode: local steps per round (1: exact mode, one job per step). */
    private final int syncEvery;
    /** Averaging mode: the round's batches so far (global row numbers) and each one's learning rate. */
    private final List<long[]> pending = new java.util.ArrayList<>();
    private final List<Float> pendingRates = new java.util.ArrayList<>();
    private float rate;
    private float clipNorm;
    private final java.util.Set<String> devicesSeen = new java.util.TreeSet<>();
    /** Features of rows held by the driver, predicted on its device at the end of each epoch; null for none. */
    private final float[] validation;

    SparkRunner(JavaRDD<Block> blocks, int partitions, RunConfig cfg, String executorDevice, String driverDevice, int executorBatch, int treeDepth,
                String where, java.util.function.Consumer<String> messages, int syncEvery, float[] validation) {
        this.validation = validation;
        this.messages = messages;
        this.syncEvery = syncEvery;
        this.blocks = blocks;
        this.sc = JavaSparkContext.fromSparkContext(blocks.context());
        this.partitions = partitions;
        this.cfg = cfg;
        this.executorDevice = executorDevice;
        this.executorBatch = executorBatch;
        this.treeDepth = treeDepth;
        this.where = where;
        if (cfg.architecture().hasBuffers()) {
            throw new dev.clprop.error.InvalidSettingException("architecture", "'" + cfg.architecture() + "' has batchnorm, which Spark does not train:"
                    + " the partitions' running statistics are not combined (use layernorm, or train without Spark)");
        }
                List<Backend> opened = DeviceSelection.open(driverDevice, line -> { });
        if (opened.size() != 1) {
            for (Backend b : opened) b.close();
            throw new dev.clprop.error.InvalidSettingException("driverDevice", "names " + opened.size() + " devices; the driver updates on one");
        }
        driver = opened.get(0);
        try {
            net = new DeviceNetwork(driver, cfg.architecture(), cfg.loss(), cfg.optimizer(), 1, cfg.seed());
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
        shapes = net.parameterShapes();
        combined = new float[shapes.size()][];
        for (int p = 0; p < combined.length; p++) combined[p] = new float[shapes.get(p).size()];
    }

    @Override
    public String name() {
        return where + " (" + partitions + " partitions, executors on " + executorDevice + ")";
    }

    private void readParameters() {
        Parameters p = net.parameters();
        params = new float[shapes.size()][];
        for (int i = 0; i < params.length; i++) params[i] = p.get(shapes.get(i).name());
    }

    @Override
    public void setParameters(Parameters p) {
        net.setParameters(p);
        readParameters();
    }

    @Override
    public void setOptimizerState(OptimizerState s) {
        net.setOptimizerState(s);
    }

    @Override
    public void setClipNorm(float maxNorm) {
        net.setClipNorm(maxNorm);
        clipNorm = maxNorm;
    }

    @Override
    public void setClassWeights(float[] weights) {
        classWeights = weights == null ? null : weights.clone();
    }

    @Override
    public void setLearningRate(float rate) {
        net.setLearningRate(rate);
        this.rate = rate;
    }

    /** Steps taken, the pending steps of an unfinished averaging round included. */
    @Override
    public long step() {
        return net.step() + pending.size();
    }

    @Override
    public void setOrder(int[] order) {
        this.order = new long[order.length];
        for (int i = 0; i < order.length; i++) this.order[i] = order[i];
    }

    @Override
    public void trainBatch(int offset, int m) {
        if (syncEvery > 1) {
            pending.add(Arrays.copyOfRange(order, offset, offset + m));
            pendingRates.add(rate);
            // a round ends after K steps, and at the end of each epoch
            if (pending.size() == syncEvery || offset + m == order.length) runRound();
            return;
        }
        long t0 = System.nanoTime();
        long[] batch = Arrays.copyOfRange(order, offset, offset + m);
        StepTask task = new StepTask(cfg.architecture().spelling(), cfg.loss(), classWeights, executorDevice, executorBatch, step() + 1, cfg.seed());
        Broadcast<float[][]> weights = sc.broadcast(params);
        Contribution c;
        try {
            c = blocks.map(b -> task.run(b, batch, weights.value()))
                    .treeAggregate(Contribution.empty(), Contribution::add, Contribution::add, treeDepth);
        } catch (ClpropException e) {
            throw e;
        } catch (Exception e) { // Spark's SparkException is a checked exception thrown unchecked
            throw new DeviceException("the Spark job of step " + (step() + 1) + " failed: " + rootMessage(e), e);
        } finally {
            weights.destroy();
        }
        long jobNanos = System.nanoTime() - t0;
        // say once which devices the executors really computed on (a JVM without OpenCL would have failed its task)
        if (devicesSeen.addAll(c.devices)) messages.accept("executors computed on: " + String.join("; ", devicesSeen));
        double divisor = ShardWeights.divisor(cfg.loss(), c.weight);
        if (c.gradient == null || divisor == 0) {
            for (float[] a : combined) Arrays.fill(a, 0f);
        } else {
            for (int p = 0; p < combined.length; p++) {
                double[] g = c.gradient[p];
                for (int i = 0; i < g.length; i++) combined[p][i] = (float) (g[i] / divisor);
            }
            lossSum += c.loss / divisor;
        }
        net.writeGradients(combined);
        net.update();
        readParameters();
        stepNanos += System.nanoTime() - t0;
        combineNanos += Math.max(0, jobNanos - c.slowestNanos);
        steps++;
    }

    /**
     * Averaging mode: one Spark job in which every partition makes the round's steps on its own rows from
     * the broadcast weights and optimizer state; the driver then sets both to the partitions' average,
     * weighted by the rows each trained on.
     */
    private void runRound() {
        if (pending.isEmpty()) return;
        long t0 = System.nanoTime();
        int k = pending.size();
        long first = net.step() + 1;
        float[] rates = new float[k];
        for (int i = 0; i < k; i++) rates[i] = pendingRates.get(i);
        long[][] batches = pending.toArray(long[][]::new);
        pending.clear();
        pendingRates.clear();
        OptimizerState before = net.optimizerState();
        float[][][] state = new float[shapes.size()][][];
        for (int p = 0; p < state.length; p++) state[p] = before.slots().get(shapes.get(p).name());
        RoundTask task = RoundTask.of(cfg.architecture().spelling(), cfg.loss(), cfg.optimizer(), clipNorm, classWeights, executorDevice, executorBatch, first, rates, cfg.seed());
        Broadcast<RoundTask.Start> start = sc.broadcast(new RoundTask.Start(params, state));
        RoundTask.Result r;
        try {
            r = blocks.map(b -> task.run(b, batches, start.value()))
                    .treeAggregate(new RoundTask.Result(), RoundTask.Result::add, RoundTask.Result::add, treeDepth);
        } catch (ClpropException e) {
            throw e;
        } catch (Exception e) {
            throw new DeviceException("the Spark job of steps " + first + ".." + (first + k - 1) + " failed: " + rootMessage(e), e);
        } finally {
            start.destroy();
        }
        combineNanos += Math.max(0, System.nanoTime() - t0 - r.slowestNanos);
        if (devicesSeen.addAll(r.devices)) messages.accept("executors computed on: " + String.join("; ", devicesSeen));
        Map<String, float[]> avg = new java.util.LinkedHashMap<>();
        Map<String, float[][]> avgState = new java.util.LinkedHashMap<>();
        for (int p = 0; p < shapes.size(); p++) {
            avg.put(shapes.get(p).name(), r.averagedParams(p));
            avgState.put(shapes.get(p).name(), r.averagedState(p));
        }
        net.setParameters(new Parameters(cfg.architecture(), avg));
        net.setOptimizerState(new OptimizerState(cfg.optimizer().kind(), first - 1 + k, avgState));
        readParameters();
        for (int i = 0; i < k; i++) {
            double divisor = ShardWeights.divisor(cfg.loss(), r.batchWeight[i]);
            if (divisor != 0) lossSum += r.batchLoss[i] / divisor;
        }
        stepNanos += System.nanoTime() - t0;
        steps += k;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    @Override
    public double takeLossSum() {
        double s = lossSum;
        lossSum = 0;
        return s;
    }

    @Override
    public Parameters parameters() {
        runRound(); // a run stopped mid-round: its steps so far, averaged
        return net.parameters();
    }

    @Override
    public OptimizerState optimizerState() {
        runRound();
        return net.optimizerState();
    }

    @Override
    public float[] validationOutputs() {
        if (validation == null) throw new IllegalStateException("this run was given no validation data");
        runRound(); // the epoch's last round has run; this is a no-op then
        return dev.clprop.train.Evaluator.predict(driver, net.parameters(), cfg.loss(), validation, validation.length / cfg.architecture().inputs());
    }

    @Override
    public void beginVerify() {
    }

    @Override
    public String endVerify(String what) {
        return null;
    }

    /** "combining" here is each job's wall time beyond its slowest partition's compute: scheduling, broadcast and treeAggregate. */
    @Override
    public DataParallelTiming timing() {
        long n = 0;
        for (float[] a : combined) n += a.length;
        return new DataParallelTiming(partitions + (partitions == 1 ? " Spark partition" : " Spark partitions"), steps, steps == 0 ? 0 : stepNanos / 1e6 / steps,
                steps == 0 ? 0 : combineNanos / 1e6 / steps, (long) partitions * n * (Float.BYTES + Double.BYTES), "through Spark (broadcast, treeAggregate)");
    }

    @Override
    public void close() {
        blocks.unpersist(false);
        net.close();
        driver.close();
        if (sc.isLocal()) ExecutorDevices.closeIdle();
    }
}
