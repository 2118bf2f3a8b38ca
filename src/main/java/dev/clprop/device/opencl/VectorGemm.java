package dev.clprop.device.opencl;

import dev.clprop.device.DeviceMemory.GemmWorkspace;
import dev.clprop.device.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.ParamShape;

import java.util.List;

import static dev.clprop.device.opencl.GemmKernels.ceilDiv;
import static dev.clprop.device.opencl.GemmKernels.t;

/**
 * kernels/gemm_vec.cl: explicit SIMD vectors; products past the sizes {@link GemmConfig.Vector} names
 * ({@code packs}, {@code packsForward}, {@code packsWeightGrad}) copy both operands into panels first
 * (gemm_pack_a, gemm_pack_b or gemm_pack_bt, then gemm_packed; packing launches are profiled as
 * "gemm_pack"). The panels are scratch buffers grown to the largest size seen. Where gemm_nt forms the
 * forward product, it applies the bias and activation as it stores; where gemm_nn forms a product
 * itself, its weight-gradient form also writes the bias gradient (or takes SGD's step, plain or with
 * momentum, with both gradients instead of storing them) and its backward-data form applies the layer
 * below's activation derivative.
 */
final class VectorGemm implements GemmKernels {
    private final GemmConfig.Vector g;
    private final OpenClBackend owner;
    private final ClContext ctx;
    private final ClKernel gemmNt, gemmNn, gemmPackA, gemmPackB, gemmPackBt, gemmPacked;
    private ClTensor packedA, packedB;

    VectorGemm(GemmConfig.Vector config, ClProgram program, OpenClBackend owner, ClContext ctx) {
        this.g = config;
        this.owner = owner;
        this.ctx = ctx;
        gemmNt = program.kernel("gemm_nt", owner);
        gemmNn = program.kernel("gemm_nn", owner);
        gemmPackA = program.kernel("gemm_pack_a", owner);
        gemmPackB = program.kernel("gemm_pack_b", owner);
        gemmPackBt = program.kernel("gemm_pack_bt", owner);
        gemmPacked = program.kernel("gemm_packed", owner);
    }

    @Override
    public void forward(Tensor a, Tensor w, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        if (m != 1 && g.packsForward(k)) {
            packA(m, k, a, k, 1);
            packB(k, n, w, true);
            packed("gemm_forward", m, n, k, out);
        } else {
            nt("gemm_forward", a, w, out, null, Activation.LINEAR, m);
        }
    }

    /**
     * Where gemm_nt forms the product (one row, or K short of packing), with the bias and activation applied
     * as it stores; never softmax (a row at a time). Packed products keep bias_activation: their panels'
     * kernel has no epilogue.
     */
    @Override
    public boolean fusedForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        if (act == Activation.SOFTMAX || (m != 1 && g.packsForward(w.cols()))) return false;
        nt("dense_forward", a, w, out, bias, act, m);
        return true;
    }

    /** out = act(a·wᵀ + bias) through gemm_nt (bias null and act linear: the product alone). */
    private void nt(String form, Tensor a, Tensor w, Tensor out, Tensor bias, Activation act, int m) {
        int n = w.rows(), k = w.cols();
        ClTensor anyBuffer = t(out); // for the bias argument of a launch without one
        if (m == 1) {
            // One row: computed as out(n×1) = W·xᵀ, the same memory. A work-item's block of ntRm rows
            // then covers ntRm rows of W instead of ntRm copies of the one row of x; the bias runs along its rows.
            gemmNt.call().as(form).i32("M", n).i32("N", 1).i32("K", k).floats("a", t(w)).i32("lda", k).floats("b", t(a)).i32("ldb", k)
                    .floats("c", t(out)).i32("ldc", 1).floats("bias", bias == null ? anyBuffer : t(bias)).i32("bias_along", bias == null ? 0 : 2)
                    .i32("act", act.code()).runGrid(1, ceilDiv(n, g.ntRm()));
        } else {
            gemmNt.call().as(form).i32("M", m).i32("N", n).i32("K", k).floats("a", t(a)).i32("lda", k).floats("b", t(w)).i32("ldb", k)
                    .floats("c", t(out)).i32("ldc", n).floats("bias", bias == null ? anyBuffer : t(bias)).i32("bias_along", bias == null ? 0 : 1)
                    .i32("act", act.code()).runGrid(ceilDiv(n, g.ntRn()), ceilDiv(m, g.ntRm()));
        }
    }

    @Override
    public void backwardData(Tensor delta, Tensor w, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        nn("gemm_backward_data", g.packs(n), m, k, n, delta, n, 1, w, out, null, Activation.LINEAR, null, null);
    }

    /** Where gemm_nn forms the product itself (not through panels): the derivative applied as each element is stored. */
    @Override
    public boolean fusedBackwardData(Tensor delta, Tensor w, Tensor below, Activation act, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        if (g.packs(n)) return false;
        nn("gemm_backward_data", false, m, k, n, delta, n, 1, w, out, null, act, below, null);
        return true;
    }

    @Override
    public void weightGrad(Tensor delta, Tensor a, Tensor out, int m) {
        int n = delta.cols(), k = a.cols();
        nn("gemm_weight_grad", g.packsWeightGrad(n, k, m), n, k, m, delta, 1, n, a, out, null, Activation.LINEAR, null, null);
    }

    /** Where gemm_nn forms the product itself (not through panels): the bias gradient from one more column of its work-items. */
    @Override
    public boolean fusedWeightGrad(Tensor delta, Tensor a, Tensor out, Tensor biasOut, int m) {
        int n = delta.cols(), k = a.cols();
        if (g.packsWeightGrad(n, k, m)) return false;
        nn("gemm_weight_grad", false, n, k, m, delta, 1, n, a, out, biasOut, Activation.LINEAR, null, null);
        return true;
    }

    /** Where gemm_nn forms the weight gradient itself (not through panels), as {@link #fusedWeightGrad} does. */
    @Override
    public boolean foldsSgdStep(int n, int k, int m) {
        return !g.packsWeightGrad(n, k, m);
    }

    @Override
    public boolean sgdStepInWeightGrad(Tensor delta, Tensor a, Tensor weight, Tensor bias, Tensor weightVelocity, Tensor biasVelocity,
                                       float lr, float wd, float mu, int m) {
        int n = delta.cols(), k = a.cols();
        if (!foldsSgdStep(n, k, m)) return false;
        nn("dense_sgd_step", false, n, k, m, delta, 1, n, a, weight, bias, Activation.LINEAR, null, new Step(lr, wd, mu, weightVelocity, biasVelocity));
        return true;
    }

    /** An SGD step gemm_nn takes in place of storing the product: with momentum mu where vel is given (sumsVel with it, for the row sums). */
    private record Step(float lr, float wd, float mu, Tensor vel, Tensor sumsVel) {
    }

    /**
     * C(M,N) = A'·B with B row-major (gemm_nn); when {@code packed}, through panels. rowSums (or null): each
     * row's sum of A'; act other than linear: C stored times act's derivative taken from derivIn (C's shape);
     * step (or null): C and rowSums hold parameters that take an SGD step with the product and sums.
     */
    private void nn(String form, boolean packed, int M, int N, int K, Tensor a, int aRs, int aCs, Tensor b, Tensor c, Tensor rowSums,
                    Activation act, Tensor derivIn, Step step) {
        if (!packed) {
            // any valid buffer for an argument the launch does not use
            gemmNn.call().as(form).i32("M", M).i32("N", N).i32("K", K).floats("a", t(a)).i32("a_rs", aRs).i32("a_cs", aCs)
                    .floats("b", t(b)).i32("ldb", N).floats("c", t(c)).i32("ldc", N)
                    .i32("row_sums", rowSums == null ? 0 : 1).floats("sums", t(rowSums == null ? c : rowSums))
                    .i32("deriv_act", act.code()).floats("deriv_in", t(act == Activation.LINEAR ? c : derivIn))
                    .i32("sgd_step", step == null ? 0 : 1).f32("sgd_lr", step == null ? 0 : step.lr()).f32("sgd_wd", step == null ? 0 : step.wd())
                    .i32("sgd_momentum", step == null || step.vel() == null ? 0 : 1).f32("sgd_mu", step == null ? 0 : step.mu())
                    .floats("vel", t(step == null || step.vel() == null ? c : step.vel()))
                    .floats("sums_vel", t(step == null || step.sumsVel() == null ? c : step.sumsVel()))
                    .runGrid(ceilDiv(N, (long) g.vw() * g.nnCv()) + (rowSums == null ? 0 : 1), ceilDiv(M, g.nnRm()));
            return;
        }
        if (rowSums != null || act != Activation.LINEAR || step != null) throw new IllegalStateException("row sums, derivatives and SGD steps are gemm_nn's, not the panels'");
        packA(M, K, a, aRs, aCs);
        packB(K, N, b, false);
        packed(form, M, N, K, c);
    }

    /** B(K,N) into gemm_packed's column panels, from B row-major or ({@code transposed}) from Bᵀ row-major. */
    private void packB(int K, int N, Tensor b, boolean transposed) {
        long colPanels = ceilDiv(N, (long) g.vw() * g.nnCv());
        packedB = ClTensor.grown(owner, ctx, packedB, Math.toIntExact(panelsB(N, K)));
        if (transposed) {
            gemmPackBt.call().as("gemm_pack").i32("K", K).i32("N", N).floats("w", t(b)).i32("ldw", K)
                    .floats("bp", packedB).runGrid(colPanels, ceilDiv(K, KernelConstants.ITEM_WIDTH));
        } else {
            gemmPackB.call().as("gemm_pack").i32("K", K).i32("N", N).floats("b", t(b)).i32("ldb", N)
                    .floats("bp", packedB).runGrid(colPanels, ceilDiv(K, KernelConstants.ITEM_WIDTH));
        }
    }

    /** A'(M,K) through strides into gemm_packed's row panels. */
    private void packA(int M, int K, Tensor a, int aRs, int aCs) {
        packedA = ClTensor.grown(owner, ctx, packedA, Math.toIntExact(panelsA(M, K)));
        gemmPackA.call().as("gemm_pack").i32("M", M).i32("K", K).floats("a", t(a)).i32("a_rs", aRs).i32("a_cs", aCs)
                .floats("ap", packedA).runGrid(ceilDiv(K, KernelConstants.ITEM_WIDTH), ceilDiv(M, g.nnRm()));
    }

    /** C(M,N) from the panels in packedA and packedB. */
    private void packed(String form, int M, int N, int K, Tensor c) {
        gemmPacked.call().as(form).i32("M", M).i32("N", N).i32("K", K).floats("ap", packedA).floats("bp", packedB)
                .floats("c", t(c)).i32("ldc", N).runGrid(ceilDiv(M, g.nnRm()), ceilDiv(N, (long) g.vw() * g.nnCv()));
    }

    /** Floats of gemm_packed's row panels for A'(M,K). */
    private long panelsA(int M, int K) {
        return ceilDiv(M, g.nnRm()) * g.nnRm() * K;
    }

    /** Floats of gemm_packed's column panels for B(K,N). */
    private long panelsB(int N, int K) {
        long width = (long) g.vw() * g.nnCv();
        return ceilDiv(N, width) * width * K;
    }

    /**
     * The two packing buffers at their largest over the layers' three products (forward m×n over k,
     * backward-data m×k over n, weight-gradient n×k over m, for m up to batch), as the products grow them.
     */
    @Override
    public GemmWorkspace workspace(int batch, List<ParamShape> weights) {
        long a = 0, b = 0;
        for (ParamShape w : weights) {
            int n = w.rows(), k = w.cols();
            if (batch > 1 && g.packsForward(k)) {
                a = Math.max(a, panelsA(batch, k));
                b = Math.max(b, panelsB(n, k));
            }
            if (g.packs(n)) {
                a = Math.max(a, panelsA(batch, n));
                b = Math.max(b, panelsB(k, n));
            }
            if (g.packsWeightGrad(n, k, batch)) {
                a = Math.max(a, panelsA(n, batch));
                b = Math.max(b, panelsB(k, batch));
            }
        }
        return new GemmWorkspace(4 * (a + b), 4 * Math.max(a, b));
    }

    @Override
    public int scratchBuffers() {
        return (packedA == null ? 0 : 1) + (packedB == null ? 0 : 1);
    }

    @Override
    public long[] scratchBytes() {
        long a = packedA == null ? 0 : packedA.rows, b = packedB == null ? 0 : packedB.rows;
        return new long[]{4L * (a + b), 4L * Math.max(a, b)};
    }

    @Override
    public void close() {
        if (packedB != null) packedB.close();
        if (packedA != null) packedA.close();
        packedA = packedB = null;
    }
}
