package dev.clprop.spark;

import dev.clprop.nn.Pass;

import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.train.ShardWeights;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One partition's part of one optimizer step, run on its executor: of the step's batch (global row
 * numbers, in batch order) it takes the rows its block holds, runs forward and backward over them on
 * the executor's device, and returns their gradient and loss weighted as {@link ShardWeights} says.
 * Dropout draws each row's mask from the run's seed, the step and the row's position in the batch, as
 * one machine does, so a network with dropout trains on Spark as on one machine.
 * Pure: a retried task computes the same contribution, and the update is the driver's, once per step.
 */
record StepTask(String architecture, Loss loss, float[] classWeights, String device, int maxBatch, long step, long seed) implements Serializable {
    /** For tests: runs at the start of every task, and may throw to make it fail. */
    interface Fault {
        void before(long step, int partition, int attempt);
    }

    static volatile Fault fault;

    Contribution run(Block b, long[] batch, float[][] params) {
        TaskContext tc = TaskContext.get();
        Fault f = fault;
        if (f != null && tc != null) f.before(step, tc.partitionId(), tc.attemptNumber());
        long t0 = System.nanoTime();
        Architecture arch = Architecture.parse(architecture);
        int in = arch.inputs(), out = arch.outputs();
        // this block's rows of the batch, and their positions in it
        int[] local = new int[Math.min(batch.length, b.rows())], position = new int[local.length];
        int m = 0;
        for (int q = 0; q < batch.length; q++) {
            if (!b.holds(batch[q])) continue;
            local[m] = (int) (batch[q] - b.firstRow());
            position[m++] = q;
        }
        Contribution c = Contribution.empty();
        if (m == 0) return c;
        String dev = deviceForTask(tc);
        ExecutorDevices.Slot s = ExecutorDevices.borrow(dev, arch, loss, null, maxBatch);
        try {
            List<ParamShape> shapes = s.net.parameterShapes();
            Map<String, float[]> values = new LinkedHashMap<>();
            for (int p = 0; p < shapes.size(); p++) values.put(shapes.get(p).name(), params[p]);
            s.net.setParameters(new Parameters(arch, values));
            s.net.setClassWeights(classWeights);
            float[][] g = new float[shapes.size()][];
            for (int p = 0; p < g.length; p++) g[p] = new float[shapes.get(p).size()];
            c.gradient = new double[g.length][];
            for (int p = 0; p < g.length; p++) c.gradient[p] = new double[g[p].length];
            // dropout's masks follow a row's position in the batch: with dropout, each run of consecutive
            // positions is a pass of its own (a shard, weighted as such); without, all rows are one pass
            boolean byPosition = arch.hasDropout();
            for (int lo = 0; lo < m; ) {
                int hi = lo + 1;
                while (hi < m && (!byPosition || position[hi] == position[hi - 1] + 1)) hi++;
                int count = hi - lo;
                for (int i = 0; i < count; i++) {
                    System.arraycopy(b.x(), local[lo + i] * in, s.hostX, i * in, in);
                    System.arraycopy(b.y(), local[lo + i] * out, s.hostY, i * out, out);
                }
                s.backend.upload(s.x, s.hostX);
                s.backend.upload(s.y, s.hostY);
                Pass pass = Pass.training(seed, step).fromRow(position[lo]);
                s.net.forward(s.x, count, pass);
                s.net.backward(s.x, s.y, count, pass);
                s.net.readGradients(g);
                float segmentLoss = s.net.takeLossSum();
                int first = lo;
                double w = ShardWeights.weight(loss, classWeights, count, i -> b.labels()[local[first + i]]);
                for (int p = 0; p < g.length; p++) {
                    double[] d = c.gradient[p];
                    for (int i = 0; i < d.length; i++) d[i] += w * g[p][i];
                }
                c.weight += w;
                c.loss += w * segmentLoss;
                lo = hi;
            }
            c.slowestNanos = System.nanoTime() - t0;
            c.devices.add(s.backend.name());
            return c;
        } finally {
            ExecutorDevices.giveBack(dev, arch, loss, null, maxBatch, s);
        }
    }

    /**
     * The device this task trains on: with {@code auto} and a GPU that Spark's resource scheduling gave
     * the task ({@code spark.task.resource.gpu.amount}), OpenCL device "opencl:ADDRESS"; else the configured one.
     */
    private String deviceForTask(TaskContext tc) {
        if (tc != null && device.equals("auto")) {
            ResourceInformation gpu = tc.resourcesJMap().get("gpu");
            if (gpu != null && gpu.addresses().length > 0) return "opencl:" + gpu.addresses()[0];
        }
        return device;
    }
}
