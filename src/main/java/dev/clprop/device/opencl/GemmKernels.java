package dev.clprop.device.opencl;

import dev.clprop.device.DeviceMemory.GemmWorkspace;
import dev.clprop.device.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.ParamShape;

import java.util.List;

/**
 * One GEMM family's kernels on one device: the strategy {@link OpenClBackend} runs a dense layer's three
 * products through. Each family's rules (which product packs, from which size) live in its
 * {@link GemmConfig} record as data; {@link GemmConfig#open} builds its strategy, so a new family is its
 * record, its strategy class and its kernel file, and the backend does not change. Shapes as in
 * {@link dev.clprop.device.DeviceOps}.
 */
interface GemmKernels extends AutoCloseable {
    /** {@code out[m,n] = a[m,k] · w[n,k]ᵀ}. */
    void forward(Tensor a, Tensor w, Tensor out, int m);

    /**
     * {@code out = f(a·wᵀ + bias)} in one launch, where the family fuses the epilogue (never softmax).
     * @return false where it does not, and did nothing: the caller runs the two ops
     */
    boolean fusedForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m);

    /** {@code out[m,k] = delta[m,n] · w[n,k]}. */
    void backwardData(Tensor delta, Tensor w, Tensor out, int m);

    /** {@code out[n,k] = delta[m,n]ᵀ · a[m,k]}. */
    void weightGrad(Tensor delta, Tensor a, Tensor out, int m);

    /**
     * {@link #weightGrad} and, in the same launch, {@code biasOut[j] = Σ_{i<m} delta[i,j]} summed as
     * column_sums sums; false (nothing launched) where the family does not fuse them at these sizes.
     */
    boolean fusedWeightGrad(Tensor delta, Tensor a, Tensor out, Tensor biasOut, int m);

    /**
     * {@link #backwardData} with each element then multiplied by {@code act}'s derivative taken from
     * {@code below} (as activation_backward takes it), in the same launch; false (nothing launched) where
     * the family does not fuse them at these sizes.
     */
    boolean fusedBackwardData(Tensor delta, Tensor w, Tensor below, Activation act, Tensor out, int m);

    /**
     * Whether {@link #sgdStepInWeightGrad} does its work in one launch for an n×k weight at m rows (the
     * network then folds SGD, plain or with momentum, into its dense layers' gradients).
     */
    boolean foldsSgdStep(int n, int k, int m);

    /**
     * An SGD step with the weight gradient and, unless bias is null, the bias gradient as
     * {@link #fusedWeightGrad} forms them, taken in the same launch instead of storing them: plain,
     * {@code p ← p − lr·(g + wd·p)} as sgd_step takes it, or where the velocities are given (shaped as
     * weight and bias), with momentum mu as momentum_step takes it; false (nothing launched) where
     * {@link #foldsSgdStep} is false.
     */
    boolean sgdStepInWeightGrad(Tensor delta, Tensor a, Tensor weight, Tensor bias, Tensor weightVelocity, Tensor biasVelocity,
                                float lr, float wd, float mu, int m);

    /** The working memory these products need at up to {@code batch} rows (upper bounds). */
    GemmWorkspace workspace(int batch, List<ParamShape> weights);

    /** Buffers the kernels hold for themselves now (packing panels): not the caller's. */
    int scratchBuffers();

    /** Bytes of those buffers, and of the largest one. */
    long[] scratchBytes();

    @Override
    void close();

    static ClTensor t(Object x) {
        return (ClTensor) x;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
