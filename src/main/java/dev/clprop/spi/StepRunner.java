package dev.clprop.spi;

import dev.clprop.model.Parameters;
import dev.clprop.optim.OptimizerState;

/**
 * What the training loop ({@code dev.clprop.train.TrainingLoop}) drives: the network's replicas and the
 * data on their devices. One device, several (data-parallel), or a cluster's executors
 * ({@code dev.clprop.spark}); the loop's epochs, schedule, checkpoints and verification are the same for
 * all, so a new way to run steps is one class implementing this.
 * <p><b>Contract.</b> The loop calls, per run: the setters once before the first step (parameters, and
 * optimizer state when resuming); per epoch {@link #setOrder}; per step {@link #setLearningRate} then
 * {@link #trainBatch}, whose rows are positions in the order. After {@code trainBatch(offset, m)} the
 * parameters are those of one optimizer step on those m rows, with the loss averaged as one device
 * averages it (within the training tolerance of one device's result); {@link #step()} counts steps. The
 * loop reads {@link #parameters()}, {@link #optimizerState()} and {@link #validationOutputs()} only
 * between steps. Errors are {@link dev.clprop.error.ClpropException}s naming the device or worker.
 * Called from one thread; not thread-safe.
 */
public interface StepRunner extends AutoCloseable {
    /** Where the steps run, e.g. "opencl:0 ..." or "spark local[2]"; for the run's first line. */
    String name();

    /** Sets every replica's parameters. */
    void setParameters(Parameters p);

    /** Sets the optimizer state and step (a resumed run). */
    void setOptimizerState(OptimizerState s);

    /** Clips gradients to this global L2 norm before each update (0: off). */
    void setClipNorm(float maxNorm);

    /** Cross-entropy class weights, or null. */
    void setClassWeights(float[] weights);

    /** The learning rate of the next step. */
    void setLearningRate(float rate);

    /** Optimizer steps taken so far. */
    long step();

    /** The epoch's row order, a permutation of the training rows. */
    void setOrder(int[] order);

    /** One optimizer step on the rows {@code offset .. offset + m - 1} of the order. */
    void trainBatch(int offset, int m);

    /** The sum of the batch losses since the last call (each batch's mean loss, as one device computes it). */
    double takeLossSum();

    /** The current parameters. */
    Parameters parameters();

    /** The current optimizer state. */
    OptimizerState optimizerState();

    /** Outputs for every validation row (rows × outputs). */
    float[] validationOutputs();

    /** Arms op-by-op verification against EJML, when the run asked for it. */
    void beginVerify();

    /** Disarms verification; a summary line, or a {@link dev.clprop.error.DeviceException} naming the op that disagreed. */
    String endVerify(String what);

    /** Where the time of a multi-device step went, or null for one device. */
    default DataParallelTiming timing() {
        return null;
    }

    @Override
    void close();
}
