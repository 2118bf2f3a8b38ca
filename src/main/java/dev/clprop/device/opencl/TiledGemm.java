package dev.clprop.device.opencl;

import dev.clprop.device.DeviceMemory.GemmWorkspace;
import dev.clprop.device.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.ParamShape;

import java.util.List;

import static dev.clprop.device.opencl.GemmKernels.ceilDiv;
import static dev.clprop.device.opencl.GemmKernels.t;

/**
 * kernels/gemm.cl: local-memory tiles, every product through strides, and the forward epilogue (bias and
 * activation) fused into the store. Packs nothing.
 */
final class TiledGemm implements GemmKernels {
    private final GemmConfig.Tiled g;
    private final ClKernel gemm;

    TiledGemm(GemmConfig.Tiled config, ClProgram program, ClKernel.EventSink sink) {
        this.g = config;
        this.gemm = program.kernel("gemm", sink);
    }

    /** C(M,N) = A'·B' through strides, then each output {@code ← act(C + bias[j])} before it is stored (bias may be null). */
    private void gemm(String form, int M, int N, int K, Tensor a, int aRs, int aCs, Tensor b, int bRs, int bCs, Tensor c, Tensor bias, Activation act) {
        long[] local = {g.tsn() / g.wptn(), g.tsm() / g.wptm()};
        long[] global = {ceilDiv(N, g.tsn()) * local[0], ceilDiv(M, g.tsm()) * local[1]};
        gemm.call().as(form).i32("M", M).i32("N", N).i32("K", K).floats("a", t(a)).i32("a_rs", aRs).i32("a_cs", aCs)
                .floats("b", t(b)).i32("b_rs", bRs).i32("b_cs", bCs).floats("c", t(c)).i32("ldc", N)
                .floats("bias", bias == null ? t(c) : t(bias)).i32("has_bias", bias == null ? 0 : 1).i32("act", act.code()).run(global, local);
    }

    @Override
    public void forward(Tensor a, Tensor w, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        gemm("gemm_forward", m, n, k, a, k, 1, w, 1, k, out, null, Activation.LINEAR);
    }

    @Override
    public boolean fusedForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        if (act == Activation.SOFTMAX) return false; // a row at a time: a launch of its own
        int n = w.rows(), k = w.cols();
        gemm("dense_forward", m, n, k, a, k, 1, w, 1, k, out, bias, act);
        return true;
    }

    @Override
    public void backwardData(Tensor delta, Tensor w, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        gemm("gemm_backward_data", m, k, n, delta, n, 1, w, k, 1, out, null, Activation.LINEAR);
    }

    @Override
    public void weightGrad(Tensor delta, Tensor a, Tensor out, int m) {
        int n = delta.cols(), k = a.cols();
        gemm("gemm_weight_grad", n, k, m, delta, 1, n, a, k, 1, out, null, Activation.LINEAR);
    }

    /** Never: the tiled kernel's epilogue is the forward pass's (bias and activation), not a derivative. */
    @Override
    public boolean fusedBackwardData(Tensor delta, Tensor w, Tensor below, Activation act, Tensor out, int m) {
        return false;
    }

    /** Never: the tiled kernel's work-groups share tiles of both operands; a bias column would be a second reduction. */
    @Override
    public boolean fusedWeightGrad(Tensor delta, Tensor a, Tensor out, Tensor biasOut, int m) {
        return false;
    }

    /** Never, for the reason {@link #fusedWeightGrad} gives. */
    @Override
    public boolean foldsSgdStep(int n, int k, int m) {
        return false;
    }

    @Override
    public boolean sgdStepInWeightGrad(Tensor delta, Tensor a, Tensor weight, Tensor bias, Tensor weightVelocity, Tensor biasVelocity,
                                       float lr, float wd, float mu, int m) {
        return false;
    }

    @Override
    public GemmWorkspace workspace(int batch, List<ParamShape> weights) {
        return GemmWorkspace.NONE;
    }

    @Override
    public int scratchBuffers() {
        return 0;
    }

    @Override
    public long[] scratchBytes() {
        return new long[]{0, 0};
    }

    @Override
    public void close() {
    }
}
