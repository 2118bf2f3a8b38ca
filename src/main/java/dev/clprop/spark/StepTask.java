package dev.clprop.spark;

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
 * Pure: a retried task computes the same contribution, and the update is the driver's, once per step.
 */
record StepTask(String architecture, Loss loss, float[] classWeights, String device, int maxBatch, long step) implements Serializable {
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
        int[] local = new int[Math.min(batch.length, b.rows())];
        int m = 0;
        for (long row : batch) if (b.holds(row)) local[m++] = (int) (row - b.firstRow());
        Contribution c = Contribution.empty();
        if (m == 0) return c;
        String dev = deviceForTask(tc);
        ExecutorDevices.Slot s = ExecutorDevices.borrow(dev, arch, loss, null, maxBatch);
        try {
            for (int i = 0; i < m; i++) {
                System.arraycopy(b.x(), local[i] * in, s.hostX, i * in, in);
                System.arraycopy(b.y(), local[i] * out, s.hostY, i * out, out);
            }
            s.backend.upload(s.x, s.hostX);
            s.backend.upload(s.y, s.hostY);
            List<ParamShape> shapes = s.net.parameterShapes();
            Map<String, float[]> values = new LinkedHashMap<>();
            for (int p = 0; p < shapes.size(); p++) values.put(shapes.get(p).name(), params[p]);
            s.net.setParameters(new Parameters(arch, values));
            s.net.setClassWeights(classWeights);
            s.net.computeGradients(s.x, s.y, m, 0);
            float[][] g = new float[shapes.size()][];
            for (int p = 0; p < g.length; p++) g[p] = new float[shapes.get(p).size()];
            s.net.readGradients(g);
            float shardLoss = s.net.takeLossSum();
            int[] rows = local;
            double w = ShardWeights.weight(loss, classWeights, m, i -> b.labels()[rows[i]]);
            c.gradient = new double[g.length][];
            for (int p = 0; p < g.length; p++) {
                double[] d = c.gradient[p] = new double[g[p].length];
                for (int i = 0; i < d.length; i++) d[i] = w * g[p][i];
            }
            c.weight = w;
            c.loss = w * shardLoss;
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
