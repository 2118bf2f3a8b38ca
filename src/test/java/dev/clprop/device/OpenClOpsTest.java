package dev.clprop.device;

import dev.clprop.ClpropTestBase;
import dev.clprop.OpenClDevices;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.model.Activation;
import dev.clprop.loss.Loss;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every op of the OpenCL backend against EJML, on shapes that are not multiples of a tile. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClOpsTest extends ClpropTestBase {
    static final int[] SIZES = {1, 7, 17, 33, 129};

    OpenClBackend cl;
    /** The other GEMM variant than the device's default, so both kernels files are tested on every device. */
    OpenClBackend clOther;
    EjmlBackend ref;

    @BeforeAll
    void open() {
        cl = OpenClDevices.backend();
        GemmConfig other = cl.gemmConfig() instanceof GemmConfig.Vector ? GemmConfig.TILED_SMALL : GemmConfig.VECTOR_DEFAULT;
        clOther = new OpenClBackend(OpenClDevices.device(), other);
        ref = new EjmlBackend();
    }

    @AfterAll
    void close() {
        if (clOther != null) clOther.close();
        if (cl != null) cl.close();
        ref.close();
    }

    static Stream<Arguments> gemmShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int m : SIZES) for (int n : SIZES) for (int k : SIZES) out.add(Arguments.of(m, n, k));
        out.add(Arguments.of(64, 64, 64));
        out.add(Arguments.of(65, 63, 31));
        out.add(Arguments.of(256, 10, 784));
        // inner dimensions from GemmConfig.Vector.PACK_FROM_K up: weight-gradient (K = m) and backward-data (K = n) on panels
        out.add(Arguments.of(520, 7, 29)); // 29 and 30: a ragged last panel wider than one vector (7 rows: weight-gradient not packed)
        out.add(Arguments.of(520, 70, 29)); // 70 rows: the weight gradient packs
        out.add(Arguments.of(65, 67, 770)); // weight gradient packed for its input's size (K·N = 50 k), every edge ragged
        out.add(Arguments.of(17, 530, 1));
        out.add(Arguments.of(513, 513, 7));
        out.add(Arguments.of(1, 512, 30));
        out.add(Arguments.of(7, 30, 1030)); // forward from 2 × PACK_FROM_K
        return out.stream();
    }

    /** Runs the same op on both backends over uploaded inputs and compares one output. */
    private float[][] both(int[][] shapes, float[][] inputs, int outIndex, BiConsumer<Backend, Tensor[]> op) {
        return both(cl, shapes, inputs, outIndex, op);
    }

    private float[][] both(Backend device, int[][] shapes, float[][] inputs, int outIndex, BiConsumer<Backend, Tensor[]> op) {
        float[][] results = new float[2][];
        Backend[] backends = {device, ref};
        for (int w = 0; w < 2; w++) {
            Backend b = backends[w];
            Tensor[] t = new Tensor[shapes.length];
            try {
                for (int i = 0; i < shapes.length; i++) {
                    t[i] = b.allocate(shapes[i][0], shapes[i][1]);
                    if (inputs[i] != null) b.upload(t[i], inputs[i]);
                }
                op.accept(b, t);
                results[w] = new float[t[outIndex].size()];
                b.download(t[outIndex], results[w]);
            } finally {
                for (int i = t.length - 1; i >= 0; i--) if (t[i] != null) t[i].close();
            }
        }
        return results;
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("gemmShapes")
    void gemmFormsMatchEjml(int m, int n, int k) {
        for (OpenClBackend device : new OpenClBackend[]{cl, clOther}) {
            String v = " (" + device.gemmConfig() + ")";
            float[] a = randomArray(m * k, 1), w = randomArray(n * k, 1), d = randomArray(m * n, 1);
            float[][] fwd = both(device, new int[][]{{m, k}, {n, k}, {m, n}}, new float[][]{a, w, null}, 2, (b, t) -> b.gemmForward(t[0], t[1], t[2], m));
            assertClose(Tolerance.gemm(k), fwd[0], fwd[1], "forward A·Wᵀ" + v);
            float[][] bwd = both(device, new int[][]{{m, n}, {n, k}, {m, k}}, new float[][]{d, w, null}, 2, (b, t) -> b.gemmBackwardData(t[0], t[1], t[2], m));
            assertClose(Tolerance.gemm(n), bwd[0], bwd[1], "backward-data δ·W" + v);
            float[][] wg = both(device, new int[][]{{m, n}, {m, k}, {n, k}}, new float[][]{d, a, null}, 2, (b, t) -> b.gemmWeightGrad(t[0], t[1], t[2], m));
            assertClose(Tolerance.gemm(m), wg[0], wg[1], "weight-gradient δᵀ·A" + v);
        }
    }

    static Stream<Arguments> packedShapes() {
        return Stream.of(Arguments.of(1, 1, 1), Arguments.of(7, 17, 33), Arguments.of(33, 7, 17), Arguments.of(17, 33, 129),
                Arguments.of(129, 65, 7), Arguments.of(65, 63, 31));
    }

    /**
     * With packing forced on for every K, all three forms match EJML; backward-data and weight-gradient
     * give gemm_nn's bits (the packed kernel forms each sum in its order); the profile shows the packing
     * ran (and did not, with packing off).
     */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("packedShapes")
    void packedGemmMatchesEjmlAndGivesTheBitsOfGemmNn(int m, int n, int k) {
        // the default; 8-row panels of two 8-wide vectors; 4-wide vectors (panels of 4 columns: no 8×8
        // transposes); 5-row panels (the packing's scalar fallback for rows)
        for (GemmConfig.Vector base : new GemmConfig.Vector[]{GemmConfig.VECTOR_DEFAULT, new GemmConfig.Vector(8, 4, 2, 8, 2, 512),
                new GemmConfig.Vector(4, 4, 4, 4, 1, 512), new GemmConfig.Vector(8, 4, 2, 5, 1, 512)}) {
            packedMatchesUnpacked(base, m, n, k);
        }
    }

    private void packedMatchesUnpacked(GemmConfig.Vector base, int m, int n, int k) {
        GemmConfig.Vector always = new GemmConfig.Vector(base.vw(), base.ntRm(), base.ntRn(), base.nnRm(), base.nnCv(), 1);
        GemmConfig.Vector never = new GemmConfig.Vector(base.vw(), base.ntRm(), base.ntRn(), base.nnRm(), base.nnCv(), Integer.MAX_VALUE);
        float[] a = randomArray(m * k, 2), w = randomArray(n * k, 3), d = randomArray(m * n, 4);
        float[][][] results = new float[2][][];
        GemmConfig.Vector[] configs = {always, never};
        for (int c = 0; c < 2; c++) {
            try (OpenClBackend device = new OpenClBackend(OpenClDevices.device(), configs[c])) {
                device.setProfiling(true);
                float[][] fwd = both(device, new int[][]{{m, k}, {n, k}, {m, n}}, new float[][]{a, w, null}, 2, (b, t) -> b.gemmForward(t[0], t[1], t[2], m));
                assertClose(Tolerance.gemm(k), fwd[0], fwd[1], "forward A·Wᵀ (" + configs[c] + ")");
                float[][] bwd = both(device, new int[][]{{m, n}, {n, k}, {m, k}}, new float[][]{d, w, null}, 2, (b, t) -> b.gemmBackwardData(t[0], t[1], t[2], m));
                assertClose(Tolerance.gemm(n), bwd[0], bwd[1], "backward-data δ·W (" + configs[c] + ")");
                float[][] wg = both(device, new int[][]{{m, n}, {m, k}, {n, k}}, new float[][]{d, a, null}, 2, (b, t) -> b.gemmWeightGrad(t[0], t[1], t[2], m));
                assertClose(Tolerance.gemm(m), wg[0], wg[1], "weight-gradient δᵀ·A (" + configs[c] + ")");
                long[] packs = device.profile().get("gemm_pack");
                // forward packs from K = 2 (twice the threshold) unless it has one row (then it is W·xᵀ)
                int expected = c == 1 ? 0 : 4 + (m > 1 && k >= 2 ? 2 : 0);
                assertEquals(expected, packs == null ? 0 : packs[1], "packing launches with " + configs[c]);
                assertEquals(0, device.liveBuffers(), "the packing scratch is not counted as the caller's");
                results[c] = new float[][]{bwd[0], wg[0]};
            }
        }
        assertArrayEquals(results[1][0], results[0][0], "backward-data packed against gemm_nn");
        assertArrayEquals(results[1][1], results[0][1], "weight-gradient packed against gemm_nn");
    }

    static Stream<Arguments> denseForwardShapes() {
        List<Arguments> out = new ArrayList<>();
        for (Activation act : Activation.values()) {
            // k = 1100: the vector GEMM packs the product of 3 rows (no epilogue) but not of one (W·x)
            for (int[] s : new int[][]{{1, 1, 1}, {7, 17, 33}, {33, 7, 129}, {17, 129, 7}, {65, 63, 31}, {3, 9, 1100}, {1, 9, 1100}}) out.add(Arguments.of(act, s[0], s[1], s[2]));
        }
        return out.stream();
    }

    /** Piecewise-linear activations (and softmax, which no backend fuses): fused and unfused forward agree bit for bit. */
    static final java.util.Set<Activation> EXACT_WHEN_FUSED = java.util.EnumSet.of(Activation.RELU, Activation.LEAKY_RELU, Activation.LINEAR, Activation.SOFTMAX);

    /**
     * The forward pass with its epilogue in the GEMM (one launch where the GEMM forms the product itself;
     * softmax and the vector GEMM's packed products stay two) against EJML's GEMM then bias + activation, on
     * both GEMM variants; and on the device the result of its own two unfused launches, bit for bit for the
     * piecewise-linear activations: the fusion changes where the arithmetic runs, not what it is.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("denseForwardShapes")
    void denseForwardMatchesEjmlAndTheUnfusedOps(Activation act, int m, int n, int k) {
        float[] a = randomArray(m * k, 1), w = randomArray(n * k, 1), bias = randomArray(n, 1);
        for (OpenClBackend device : new OpenClBackend[]{cl, clOther}) {
            for (boolean withBias : new boolean[]{true, false}) {
                String v = act + " bias=" + withBias + " (" + device.gemmConfig() + ")";
                int[][] shapes = {{m, k}, {n, k}, {1, n}, {m, n}};
                float[][] in = {a, w, bias, null};
                device.resetProfile();
                device.setProfiling(true);
                float[][] fused = both(device, shapes, in, 3, (b, t) -> b.denseForward(t[0], t[1], withBias ? t[2] : null, act, t[3], m));
                device.setProfiling(false);
                boolean fuses = act != Activation.SOFTMAX && !(device.gemmConfig() instanceof GemmConfig.Vector g && m != 1 && g.packsForward(k));
                long[] epilogues = device.profile().get(act == Activation.SOFTMAX ? "bias_softmax" : "bias_activation");
                assertEquals(fuses ? 0 : 1, epilogues == null ? 0 : epilogues[1], "epilogue launches, " + v);
                if (device.gemmConfig() instanceof GemmConfig.Vector g) assertEquals(k == 1100, g.packsForward(k), "only k = 1100 packs, " + v);
                assertClose(Tolerance.gemm(k), fused[0], fused[1], "dense forward " + v);
                float[][] unfused = both(device, shapes, in, 3, (b, t) -> {
                    b.gemmForward(t[0], t[1], t[3], m);
                    b.biasActivation(t[3], withBias ? t[2] : null, act, m);
                });
                if (!EXACT_WHEN_FUSED.contains(act)) {
                    // bias_activation takes exp, tanh and erf on float8, the fused store on scalars: the last bit may differ
                    assertClose(Tolerance.OP, fused[0], unfused[0], "fused against unfused forward on the device, " + v);
                } else {
                    assertArrayEquals(unfused[0], fused[0], "fused and unfused forward on the device, " + v);
                }
            }
        }
    }

    /**
     * A dense layer's weight and bias gradients (one launch where the vector GEMM writes the bias beside the
     * weights; 600 rows: the weight gradient on packed panels, then column_sums) against EJML, on both GEMM
     * variants, and on the device bit for bit against its own two unfused launches: the same sums in the
     * same order. Without a bias, the weight gradient alone.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "7,17,33", "33,7,129", "17,129,7", "65,63,31", "600,65,9"})
    void denseParamGradsMatchEjmlAndTheUnfusedOps(int m, int n, int k) {
        float[] d = randomArray(m * n, 1), a = randomArray(m * k, 1);
        int[][] shapes = {{m, n}, {m, k}, {n, k}, {1, n}};
        float[][] in = {d, a, null, null};
        for (OpenClBackend device : new OpenClBackend[]{cl, clOther}) {
            String v = " (" + device.gemmConfig() + ", m=" + m + ")";
            device.resetProfile();
            device.setProfiling(true);
            float[][] w = both(device, shapes, in, 2, (b, t) -> b.denseParamGrads(t[0], t[1], t[2], t[3], m));
            device.setProfiling(false);
            // one launch where the vector GEMM forms the product itself; the GEMM then column_sums otherwise
            boolean fuses = device.gemmConfig() instanceof GemmConfig.Vector g && !g.packsWeightGrad(n, k, m);
            long[] sums = device.profile().get("column_sums");
            assertEquals(fuses ? 0 : 1, sums == null ? 0 : sums[1], "column_sums launches" + v);
            if (device.gemmConfig() instanceof GemmConfig.Vector) assertEquals(m != 600, fuses, "only the 600-row case packs its weight gradient" + v);
            float[][] bias = both(device, shapes, in, 3, (b, t) -> b.denseParamGrads(t[0], t[1], t[2], t[3], m));
            assertClose(Tolerance.gemm(m), w[0], w[1], "weight gradient" + v);
            assertClose(Tolerance.gemm(m), bias[0], bias[1], "bias gradient" + v);
            float[][] wUnfused = both(device, shapes, in, 2, (b, t) -> b.gemmWeightGrad(t[0], t[1], t[2], m));
            float[][] biasUnfused = both(device, shapes, in, 3, (b, t) -> b.columnSums(t[0], t[3], m));
            assertArrayEquals(wUnfused[0], w[0], "weight gradient, fused against gemm_weight_grad" + v);
            assertArrayEquals(biasUnfused[0], bias[0], "bias gradient, fused against column_sums" + v);
            float[][] noBias = both(device, shapes, in, 2, (b, t) -> b.denseParamGrads(t[0], t[1], t[2], null, m));
            assertArrayEquals(wUnfused[0], noBias[0], "weight gradient without a bias" + v);
        }
    }

    /**
     * SGD (plain, and with momentum) taken as a dense layer's gradients are formed (one launch where the
     * vector GEMM forms the weight gradient itself; 600 rows: packed panels, then column_sums and the
     * optimizer's kernel on each parameter) against EJML's gradients then update, on both GEMM variants,
     * and on the device bit for bit against its own unfused launches: weight, bias and both velocities.
     * With weight decay, and without a bias.
     */
    @ParameterizedTest(name = "{3} m={0} n={1} k={2}")
    @CsvSource({"1,1,1,SGD", "7,17,33,SGD", "33,7,129,SGD", "17,129,7,SGD", "65,63,31,SGD", "600,65,9,SGD",
            "1,1,1,MOMENTUM", "7,17,33,MOMENTUM", "17,129,7,MOMENTUM", "65,63,31,MOMENTUM", "600,65,9,MOMENTUM"})
    void denseSgdStepMatchesEjmlAndTheUnfusedOps(int m, int n, int k, Optimizer.Kind kind) {
        boolean momentum = kind == Optimizer.Kind.MOMENTUM;
        float[] d = randomArray(m * n, 1), a = randomArray(m * k, 1), w0 = randomArray(n * k, 1), b0 = randomArray(n, 1);
        float[] wv0 = randomArray(n * k, 0.1), bv0 = randomArray(n, 0.1);
        // delta, a, weight, bias, the gradients' scratch, the velocities
        int[][] shapes = {{m, n}, {m, k}, {n, k}, {1, n}, {n, k}, {1, n}, {n, k}, {1, n}};
        float[][] in = {d, a, w0, b0, null, null, wv0, bv0};
        Optimizer opt = (momentum ? Optimizer.momentum(0.1f, 0.9f) : Optimizer.sgd(0.1f)).withWeightDecay(0.01f);
        String kernel = momentum ? "momentum_step" : "sgd_step";
        BiConsumer<Backend, Tensor[]> fused = (b, t) -> b.denseSgdStep(opt, t[0], t[1], t[2], t[3], t[4], t[5], momentum ? t[6] : null, momentum ? t[7] : null, m);
        BiConsumer<Backend, Tensor[]> unfused = (b, t) -> DeviceOps.denseSgdStepUnfused(b, opt, t[0], t[1], t[2], t[3], t[4], t[5],
                momentum ? t[6] : null, momentum ? t[7] : null, m);
        for (OpenClBackend device : new OpenClBackend[]{cl, clOther}) {
            String v = " (" + kind + ", " + device.gemmConfig() + ", m=" + m + ")";
            boolean folds = device.gemmConfig() instanceof GemmConfig.Vector g && !g.packsWeightGrad(n, k, m);
            assertEquals(folds, device.foldsSgdStep(n, k, m), "foldsSgdStep" + v);
            if (device.gemmConfig() instanceof GemmConfig.Vector) assertEquals(m != 600, folds, "only the 600-row case packs its weight gradient" + v);
            device.resetProfile();
            device.setProfiling(true);
            float[][] w = both(device, shapes, in, 2, fused);
            device.setProfiling(false);
            long[] steps = device.profile().get(kernel), folded = device.profile().get("dense_sgd_step");
            assertEquals(folds ? 0 : 2, steps == null ? 0 : steps[1], kernel + " launches" + v);
            assertEquals(folds ? 1 : 0, folded == null ? 0 : folded[1], "folded launches" + v);
            assertFalse(java.util.Arrays.equals(w0, w[0]), "the weight moved" + v);
            for (int out : momentum ? new int[]{2, 3, 6, 7} : new int[]{2, 3}) {
                String what = new String[]{"", "", "weight", "bias", "", "", "weight velocity", "bias velocity"}[out] + v;
                float[][] f = both(device, shapes, in, out, fused), u = both(device, shapes, in, out, unfused);
                assertClose(Tolerance.gemm(m), f[0], f[1], what + " against EJML");
                assertArrayEquals(u[0], f[0], what + ", folded against the gradients then " + kernel);
            }
            float[][] noBias = both(device, shapes, in, 2, (b, t) -> b.denseSgdStep(opt, t[0], t[1], t[2], null, t[4], null, momentum ? t[6] : null, null, m));
            assertArrayEquals(w[0], noBias[0], "weight without a bias" + v);
            assertThrows(IllegalArgumentException.class, () -> both(device, shapes, in, 2,
                    (b, t) -> b.denseSgdStep(Optimizer.adam(0.1f), t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], m)), "adam is refused" + v);
            assertThrows(IllegalArgumentException.class, () -> both(device, shapes, in, 2,
                    (b, t) -> b.denseSgdStep(opt, t[0], t[1], t[2], t[3], t[4], t[5], momentum ? null : t[6], null, m)), "velocities that do not match" + v);
        }
    }

    static Stream<Arguments> denseBackwardDataShapes() {
        List<Arguments> out = new ArrayList<>();
        for (Activation act : Activation.values()) {
            if (act == Activation.SOFTMAX) continue; // a row's Jacobian: never fused, refused by the op
            // n = 520: the product over n runs on packed panels, then activation_backward
            for (int[] s : new int[][]{{1, 1, 1}, {7, 17, 33}, {33, 7, 129}, {17, 129, 7}, {65, 63, 31}, {3, 520, 9}}) out.add(Arguments.of(act, s[0], s[1], s[2]));
        }
        return out.stream();
    }

    /**
     * The gradient a dense layer passes back, times the layer below's derivative (one launch where the vector
     * GEMM forms the product itself) against EJML on both GEMM variants, and on the device against its own
     * two unfused launches (bit for bit for the piecewise-linear activations); the profile shows no
     * activation_backward launch exactly where it fuses.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("denseBackwardDataShapes")
    void denseBackwardDataMatchesEjmlAndTheUnfusedOps(Activation act, int m, int n, int k) {
        float[] d = randomArray(m * n, 1), w = randomArray(n * k, 1), below = randomArray(m * k, 1);
        int[][] shapes = {{m, n}, {n, k}, {m, k}, {m, k}};
        float[][] in = {d, w, below, null};
        for (OpenClBackend device : new OpenClBackend[]{cl, clOther}) {
            String v = act + " (" + device.gemmConfig() + ", m=" + m + ", n=" + n + ")";
            device.resetProfile();
            device.setProfiling(true);
            float[][] fused = both(device, shapes, in, 3, (b, t) -> b.denseBackwardData(t[0], t[1], t[2], act, t[3], m));
            device.setProfiling(false);
            boolean fuses = act != Activation.LINEAR && device.gemmConfig() instanceof GemmConfig.Vector g && !g.packs(n);
            long[] derivatives = device.profile().get("activation_backward");
            assertEquals(fuses || act == Activation.LINEAR ? 0 : 1, derivatives == null ? 0 : derivatives[1], "activation_backward launches, " + v);
            if (device.gemmConfig() instanceof GemmConfig.Vector && act != Activation.LINEAR) assertEquals(n != 520, fuses, "only n = 520 packs, " + v);
            assertClose(Tolerance.gemm(n), fused[0], fused[1], "backward-data with the derivative, " + v);
            float[][] unfused = both(device, shapes, in, 3, (b, t) -> {
                b.gemmBackwardData(t[0], t[1], t[3], m);
                if (act != Activation.LINEAR) b.activationBackward(t[3], t[2], act, m);
            });
            if (EXACT_WHEN_FUSED.contains(act)) assertArrayEquals(unfused[0], fused[0], "fused and unfused on the device, " + v);
            else assertClose(Tolerance.OP, fused[0], unfused[0], "fused against unfused on the device, " + v);
        }
    }

    @Test
    void gemmTouchesOnlyTheFirstMRows() {
        int rows = 40, m = 33, n = 17, k = 7;
        float[] a = randomArray(rows * k, 1), w = randomArray(n * k, 1);
        for (OpenClBackend device : new OpenClBackend[]{cl, clOther}) {
            float[][] r = both(device, new int[][]{{rows, k}, {n, k}, {rows, n}}, new float[][]{a, w, null}, 2, (b, t) -> b.gemmForward(t[0], t[1], t[2], m));
            assertClose(Tolerance.gemm(k), r[0], r[1], "forward with m < rows (" + device.gemmConfig() + ")");
            for (int i = m * n; i < rows * n; i++) assertEquals(0f, r[0][i], "row beyond m was written at " + i);
        }
    }

    static Stream<Arguments> activationShapes() {
        List<Arguments> out = new ArrayList<>();
        for (Activation act : Activation.values()) {
            for (int[] s : new int[][]{{1, 1}, {7, 17}, {9, 16}, {33, 129}, {129, 10}}) { // 16: whole 8-float chunks only
                out.add(Arguments.of(act, s[0], s[1], true));
                out.add(Arguments.of(act, s[0], s[1], false));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}x{2} bias={3}")
    @MethodSource("activationShapes")
    void biasActivationMatchesEjml(Activation act, int m, int n, boolean bias) {
        float[] z = randomArray(m * n, 4), b = randomArray(n, 1);
        float[][] r = both(new int[][]{{m, n}, {1, n}}, new float[][]{z, b}, 0, (be, t) -> be.biasActivation(t[0], bias ? t[1] : null, act, m));
        assertClose(Tolerance.OP, r[0], r[1], act + " forward");
    }

    static Stream<Arguments> layerNormShapes() {
        return Stream.of(new int[]{1, 1}, new int[]{1, 7}, new int[]{7, 17}, new int[]{33, 1}, new int[]{33, 129}, new int[]{129, 10})
                .map(s -> Arguments.of(s[0], s[1]));
    }

    /** Layer normalization forward and backward against EJML; rows of large mean and small spread test the variance's accuracy. */
    @ParameterizedTest(name = "layernorm {0}x{1}")
    @MethodSource("layerNormShapes")
    void layerNormMatchesEjml(int m, int n) {
        float[] x = randomArray(m * n, 3), gamma = randomArray(n, 1), beta = randomArray(n, 1), dy = randomArray(m * n, 1);
        for (int r = 0; r < m; r += 2) for (int j = 0; j < n; j++) x[r * n + j] = 50 + x[r * n + j] * 0.01f;
        int[][] shapes = {{m, n}, {1, n}, {1, n}, {m, n}, {m, 1}, {m, n}};
        float[][] in = {x, gamma, beta, null, null, null};
        for (int out : new int[]{3, 4, 5}) {
            float[][] r = both(shapes, in, out, (b, t) -> b.layerNormForward(t[0], t[1], t[2], t[3], t[4], t[5], m));
            assertClose(Tolerance.OP, r[0], r[1], "layernorm forward " + new String[]{"", "", "", "xhat", "1/std", "y"}[out]);
        }
        // backward from the reference's saved xhat and 1/std, with and without an input gradient
        float[] xhat = new float[m * n], rstd = new float[m];
        try (Tensor tx = ref.allocate(m, n); Tensor tg = ref.allocate(1, n); Tensor tb = ref.allocate(1, n); Tensor th = ref.allocate(m, n);
             Tensor tr = ref.allocate(m, 1); Tensor ty = ref.allocate(m, n)) {
            ref.upload(tx, x);
            ref.upload(tg, gamma);
            ref.upload(tb, beta);
            ref.layerNormForward(tx, tg, tb, th, tr, ty, m);
            ref.download(th, xhat);
            ref.download(tr, rstd);
        }
        int[][] bshapes = {{m, n}, {m, n}, {m, 1}, {1, n}, {m, n}, {1, n}, {1, n}};
        float[][] bin = {dy, xhat, rstd, gamma, null, null, null};
        for (int out : new int[]{4, 5, 6}) {
            float[][] r = both(bshapes, bin, out, (b, t) -> b.layerNormBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], m));
            assertClose(Tolerance.OP, r[0], r[1], "layernorm backward " + new String[]{"", "", "", "", "dx", "dgamma", "dbeta"}[out]);
        }
        float[][] noDx = both(bshapes, bin, 5, (b, t) -> b.layerNormBackward(t[0], t[1], t[2], t[3], null, t[5], t[6], m));
        assertClose(Tolerance.OP, noDx[0], noDx[1], "layernorm backward without an input gradient");
    }

    /** Batch normalization in training (batch statistics, running statistics moved), evaluation and backward, against EJML. */
    @ParameterizedTest(name = "batchnorm {0}x{1}")
    @MethodSource("layerNormShapes")
    void batchNormMatchesEjml(int m, int n) {
        if (m < 2) return; // a training batch needs two rows
        float[] x = randomArray(m * n, 3), gamma = randomArray(n, 1), beta = randomArray(n, 1), dy = randomArray(m * n, 1);
        float[] rm = randomArray(n, 1), rv = new float[n];
        for (int j = 0; j < n; j++) rv[j] = 0.5f + Math.abs(rm[j]);
        for (int j = 0; j < n; j += 2) for (int r = 0; r < m; r++) x[r * n + j] = 50 + x[r * n + j] * 0.01f;
        int[][] shapes = {{m, n}, {1, n}, {1, n}, {1, n}, {1, n}, {m, n}, {1, n}, {m, n}};
        float[][] in = {x, gamma, beta, rm, rv, null, null, null};
        String[] names = {"", "", "", "running mean", "running variance", "xhat", "1/std", "y"};
        for (int out : new int[]{3, 4, 5, 6, 7}) {
            float[][] r = both(shapes, in, out, (b, t) -> b.batchNormTrain(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], m));
            assertClose(Tolerance.OP, r[0], r[1], "batchnorm training " + names[out]);
        }
        float[][] ev = both(new int[][]{{m, n}, {1, n}, {1, n}, {1, n}, {1, n}, {m, n}}, new float[][]{x, gamma, beta, rm, rv, null}, 5,
                (b, t) -> b.batchNormEval(t[0], t[1], t[2], t[3], t[4], t[5], m));
        assertClose(Tolerance.OP, ev[0], ev[1], "batchnorm evaluation");
        float[] xhat = new float[m * n], rstd = new float[n];
        try (Tensor tx = ref.allocate(m, n); Tensor tg = ref.allocate(1, n); Tensor tb = ref.allocate(1, n); Tensor tm = ref.allocate(1, n);
             Tensor tv = ref.allocate(1, n); Tensor th = ref.allocate(m, n); Tensor tr = ref.allocate(1, n); Tensor ty = ref.allocate(m, n)) {
            ref.upload(tx, x);
            ref.upload(tg, gamma);
            ref.upload(tb, beta);
            ref.upload(tm, rm);
            ref.upload(tv, rv);
            ref.batchNormTrain(tx, tg, tb, tm, tv, th, tr, ty, m);
            ref.download(th, xhat);
            ref.download(tr, rstd);
        }
        int[][] bshapes = {{m, n}, {m, n}, {1, n}, {1, n}, {m, n}, {1, n}, {1, n}};
        float[][] bin = {dy, xhat, rstd, gamma, null, null, null};
        for (int out : new int[]{4, 5, 6}) {
            float[][] r = both(bshapes, bin, out, (b, t) -> b.batchNormBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], m));
            assertClose(Tolerance.OP, r[0], r[1], "batchnorm backward " + new String[]{"", "", "", "", "dx", "dgamma", "dbeta"}[out]);
        }
        float[][] noDx = both(bshapes, bin, 6, (b, t) -> b.batchNormBackward(t[0], t[1], t[2], t[3], null, t[5], t[6], m));
        assertClose(Tolerance.OP, noDx[0], noDx[1], "batchnorm backward without an input gradient");
    }

    @Test
    void batchNormNormalizesEachColumnAndMovesTheRunningStatisticsAsPyTorchDoes() {
        // bn = torch.nn.BatchNorm1d(2, dtype=torch.float64); bn.train(); bn(torch.tensor([[1., 10.], [2., 20.], [4., 30.]]))
        float[] x = {1, 10, 2, 20, 4, 30};
        int[][] shapes = {{3, 2}, {1, 2}, {1, 2}, {1, 2}, {1, 2}, {3, 2}, {1, 2}, {3, 2}};
        float[][] in = {x, {1, 1}, {0, 0}, {0, 0}, {1, 1}, null, null, null};
        float[][] y = both(shapes, in, 7, (b, t) -> b.batchNormTrain(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 3));
        float[][] mean = both(shapes, in, 3, (b, t) -> b.batchNormTrain(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 3));
        float[][] var = both(shapes, in, 4, (b, t) -> b.batchNormTrain(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 3));
        float[] wantY = {-1.0690415f, -1.2247448f, -0.2672604f, 0f, 1.3363019f, 1.2247448f};
        float[] wantMean = {0.23333333f, 2f}, wantVar = {1.1333333f, 10.9f};
        for (int w = 0; w < 2; w++) {
            String on = w == 0 ? "device" : "ejml";
            for (int i = 0; i < 6; i++) assertEquals(wantY[i], y[w][i], 2e-5, on + " y at " + i);
            for (int j = 0; j < 2; j++) {
                assertEquals(wantMean[j], mean[w][j], 1e-6, on + " running mean " + j);
                assertEquals(wantVar[j], var[w][j], 1e-5, on + " running variance (unbiased) " + j);
            }
        }
    }

    @Test
    void layerNormNormalizesEachRowAsPyTorchDoes() {
        // torch.nn.functional.layer_norm(torch.tensor([[1., 2., 4.], [3., 3., 3.]]), (3,)) in float64
        float[] x = {1, 2, 4, 3, 3, 3};
        float[][] r = both(new int[][]{{2, 3}, {1, 3}, {1, 3}, {2, 3}, {2, 1}, {2, 3}}, new float[][]{x, {1, 1, 1}, {0, 0, 0}, null, null, null}, 5,
                (b, t) -> b.layerNormForward(t[0], t[1], t[2], t[3], t[4], t[5], 2));
        float[] want = {-1.0690415f, -0.2672604f, 1.3363019f, 0, 0, 0};
        for (int w = 0; w < 2; w++) for (int i = 0; i < 6; i++) assertEquals(want[i], r[w][i], 2e-6, (w == 0 ? "device" : "ejml") + " at " + i);
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("activationShapes")
    void activationOutOfPlaceMatchesEjmlAndLeavesItsInput(Activation act, int m, int n, boolean ignored) {
        if (act == Activation.SOFTMAX) return; // row-wise: biasActivation's, not this op's
        float[] z = randomArray(m * n, 4);
        float[][] r = both(new int[][]{{m, n}, {m, n}}, new float[][]{z, null}, 1, (be, t) -> be.activate(t[0], act, t[1], m));
        assertClose(Tolerance.OP, r[0], r[1], act + " out of place");
        float[][] kept = both(new int[][]{{m, n}, {m, n}}, new float[][]{z, null}, 0, (be, t) -> be.activate(t[0], act, t[1], m));
        assertArrayEquals(z, kept[0], "the input is unchanged");
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("activationShapes")
    void activationBackwardMatchesEjml(Activation act, int m, int n, boolean ignored) {
        float[] z = randomArray(m * n, 3), g = randomArray(m * n, 1);
        // take a as the activation of z on the reference, so derivatives are evaluated at realistic outputs;
        // gelu and silu take theirs from z itself
        float[] a = new float[m * n];
        try (Tensor t = ref.allocate(m, n)) {
            ref.upload(t, z);
            if (!act.derivativeNeedsInput()) ref.biasActivation(t, null, act, m);
            ref.download(t, a);
        }
        float[][] r = both(new int[][]{{m, n}, {m, n}}, new float[][]{g, a}, 0, (be, t) -> be.activationBackward(t[0], t[1], act, m));
        assertClose(Tolerance.OP, r[0], r[1], act + " backward");
    }

    static Stream<Arguments> lossShapes() {
        List<Arguments> out = new ArrayList<>();
        for (Loss loss : Loss.values()) for (int[] s : new int[][]{{1, 1}, {1, 7}, {7, 3}, {33, 17}, {129, 10}}) out.add(Arguments.of(loss, s[0], s[1]));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("lossShapes")
    void lossGradientMatchesEjml(Loss loss, int m, int n) {
        float[] p = new float[m * n], y = new float[m * n];
        for (int r = 0; r < m; r++) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
                p[r * n + j] = (float) (0.02 + 0.96 * rng.nextDouble());
                sum += p[r * n + j];
                y[r * n + j] = loss == Loss.BCE ? (rng.nextBoolean() ? 1f : 0f) : (float) rng.nextDouble();
            }
            if (loss == Loss.CROSS_ENTROPY) {
                for (int j = 0; j < n; j++) {
                    p[r * n + j] /= (float) sum;
                    y[r * n + j] = 0f;
                }
                y[r * n + rng.nextInt(n)] = 1f;
            }
        }
        int[][] shapes = {{m, n}, {m, n}, {m, n}, {1, 1}};
        float[][] grad = both(shapes, new float[][]{p, y, null, new float[]{0.25f}}, 2, (b, t) -> b.lossGradient(loss, t[0], t[1], m, t[2], t[3]));
        assertClose(Tolerance.OP, grad[0], grad[1], loss + " gradient");
        float[][] sum = both(shapes, new float[][]{p, y, null, new float[]{0.25f}}, 3, (b, t) -> b.lossGradient(loss, t[0], t[1], m, t[2], t[3]));
        assertClose(Tolerance.OP, sum[0], sum[1], loss + " loss sum (added to 0.25)");
    }

    @ParameterizedTest
    @MethodSource("gemmShapes")
    void columnSumsMatchEjml(int m, int n, int ignored) {
        float[] d = randomArray(m * n, 1);
        float[][] r = both(new int[][]{{m, n}, {1, n}}, new float[][]{d, randomArray(n, 1)}, 1, (b, t) -> b.columnSums(t[0], t[1], m));
        assertClose(Tolerance.OP, r[0], r[1], "column sums");
    }

    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void optimizerStepsMatchEjml(Optimizer.Kind kind) {
        for (int size : new int[]{1, 7, 8, 17, 33, 129 * 17}) { // Adam takes 8 per work-item: exact multiples and remainders
            Optimizer opt = Optimizer.of(kind, 0.05f).withWeightDecay(0.01f);
            float[] p = randomArray(size, 1), g = randomArray(size, 1), s1 = randomArray(size, 0.1), s2 = new float[size];
            for (int i = 0; i < size; i++) s2[i] = (float) rng.nextDouble() * 0.01f;
            int[][] shapes = {{1, size}, {1, size}, {1, size}, {1, size}};
            float[][] in = {p, g, s1, s2};
            for (int out : new int[]{0, 2, 3}) {
                if (out > 1 + kind.slots().size()) continue;
                float[][] r = both(shapes, in, out, (b, t) -> {
                    for (int step = 1; step <= 3; step++) b.optimizerStep(opt, step, t[0], t[1], t[2], t[3]);
                });
                assertClose(Tolerance.OP, r[0], r[1], kind + " size " + size + " tensor " + out);
            }
        }
    }

    /** Kernels may flush subnormals to zero (ClProgram.NUMERICS, for speed); Adam with moments and gradients that small still matches EJML. */
    @Test
    void adamWithSubnormalMomentsMatchesEjml() {
        int size = 1000;
        float[] p = randomArray(size, 1), g = new float[size], s1 = new float[size], s2 = new float[size];
        for (int i = 0; i < size; i++) {
            g[i] = i % 3 == 0 ? 0f : Float.MIN_NORMAL * (float) rng.nextDouble();
            s1[i] = Float.MIN_NORMAL * (float) rng.nextDouble(); // subnormal
            s2[i] = Float.MIN_NORMAL * (float) rng.nextDouble();
        }
        Optimizer opt = Optimizer.adam(0.01f);
        for (int out : new int[]{0, 2, 3}) {
            float[][] r = both(new int[][]{{1, size}, {1, size}, {1, size}, {1, size}}, new float[][]{p, g, s1, s2}, out, (b, t) -> {
                for (int step = 1; step <= 5; step++) b.optimizerStep(opt, step, t[0], t[1], t[2], t[3]);
            });
            assertClose(Tolerance.OP, r[0], r[1], "adam with subnormal state, tensor " + out);
        }
    }

    /**
     * The update of all parameters at once: one launch over blocks from {@code allocateAll} (the gaps
     * the alignment leaves between parts stay zero, so no part sees its neighbour), and the fallback
     * for lists that are not one block's parts; each part equal to EJML's per-parameter update.
     */
    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void optimizerStepAllMatchesEjmlPerParameter(Optimizer.Kind kind) {
        List<int[]> shapes = List.of(new int[]{7, 3}, new int[]{1, 7}, new int[]{17, 33}, new int[]{1, 1}, new int[]{129, 17}, new int[]{1, 10});
        Optimizer opt = Optimizer.of(kind, 0.05f).withWeightDecay(0.01f);
        int slots = kind.slots().size();
        float[][][] init = new float[4][shapes.size()][];
        for (int i = 0; i < shapes.size(); i++) {
            int size = shapes.get(i)[0] * shapes.get(i)[1];
            init[0][i] = randomArray(size, 1);
            init[1][i] = randomArray(size, 1);
            init[2][i] = randomArray(size, 0.1);
            init[3][i] = new float[size];
            for (int j = 0; j < size; j++) init[3][i][j] = (float) rng.nextDouble() * 0.01f;
        }
        for (boolean oneBlock : new boolean[]{true, false}) {
            float[][][][] out = new float[2][][][];
            Backend[] backends = {cl, ref};
            for (int w = 0; w < 2; w++) {
                Backend b = backends[w];
                List<List<Tensor>> t = new ArrayList<>();
                try {
                    for (int k = 0; k < 4; k++) {
                        t.add(b.allocateAll(shapes));
                        for (int i = 0; i < shapes.size(); i++) b.upload(t.get(k).get(i), init[k][i]);
                    }
                    List<Tensor> params = t.get(0);
                    if (!oneBlock) params = List.of(params.get(0), params.get(1)); // a prefix: not all of a block's parts
                    int n = params.size();
                    for (int step = 1; step <= 3; step++) {
                        b.optimizerStepAll(opt, step, params, t.get(1).subList(0, n), slots > 0 ? t.get(2).subList(0, n) : null,
                                slots > 1 ? t.get(3).subList(0, n) : null);
                    }
                    out[w] = new float[4][shapes.size()][];
                    for (int k = 0; k < 4; k++) {
                        for (int i = 0; i < shapes.size(); i++) {
                            out[w][k][i] = new float[init[k][i].length];
                            b.download(t.get(k).get(i), out[w][k][i]);
                        }
                    }
                } finally {
                    for (int k = t.size() - 1; k >= 0; k--) for (Tensor x : t.get(k)) x.close();
                }
            }
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < shapes.size(); i++) {
                    String what = kind + (oneBlock ? " all parameters" : " two of them") + ", tensor " + k + " of parameter " + i;
                    assertClose(Tolerance.OP, out[0][k][i], out[1][k][i], what);
                    if (!oneBlock && i >= 2) assertArrayEquals(init[k][i], out[0][k][i], 0f, what + " is not in the list and must not change");
                }
            }
        }
        assertEquals(0, cl.liveBuffers(), "every part released");
    }

    static Stream<Arguments> batchShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : new int[][]{{1, 1}, {7, 3}, {17, 10}, {33, 129}, {129, 7}}) out.add(Arguments.of(s[0], s[1]));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("batchShapes")
    void weightedCrossEntropyMatchesEjml(int m, int n) {
        float[] p = new float[m * n], y = new float[m * n], w = new float[n];
        for (int r = 0; r < m; r++) {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += p[r * n + j] = (float) (0.05 + rng.nextDouble());
            for (int j = 0; j < n; j++) p[r * n + j] /= (float) sum;
            y[r * n + rng.nextInt(n)] = 1f;
        }
        for (int j = 0; j < n; j++) w[j] = (float) (rng.nextDouble() * 2);
        int[][] shapes = {{m, n}, {m, n}, {1, n}, {m, n}, {1, 1}};
        float[][] grad = both(shapes, new float[][]{p, y, w, null, new float[]{0.5f}}, 3, (b, t) -> b.weightedLossGradient(t[0], t[1], t[2], m, t[3], t[4]));
        assertClose(Tolerance.OP, grad[0], grad[1], "weighted gradient");
        float[][] sum = both(shapes, new float[][]{p, y, w, null, new float[]{0.5f}}, 4, (b, t) -> b.weightedLossGradient(t[0], t[1], t[2], m, t[3], t[4]));
        assertClose(Tolerance.OP, sum[0], sum[1], "weighted loss (added to 0.5)");
    }

    @Test
    void clippingOpsMatchEjml() {
        for (int size : new int[]{1, 7, 4095, 4096, 4097, 9000}) {
            float[] g = randomArray(size, 1);
            int chunks = (size + Backend.SQUARES_CHUNK - 1) / Backend.SQUARES_CHUNK;
            float[][] partials = both(new int[][]{{1, size}, {1, chunks + 1}}, new float[][]{g, null}, 1, (b, t) -> b.sumOfSquares(t[0], t[1], 1));
            assertClose(Tolerance.gemm(Backend.SQUARES_CHUNK), partials[0], partials[1], size + " partial sums of squares");
            assertEquals(0f, partials[0][0], "offset respected");
            for (float max : new float[]{0.1f, 1e6f}) {
                float[][] coef = both(new int[][]{{1, chunks + 1}, {1, 1}}, new float[][]{partials[1], null}, 1,
                        (b, t) -> b.clipCoefficient(t[0], chunks + 1, max, t[1]));
                assertClose(Tolerance.OP, coef[0], coef[1], "clip coefficient");
            }
            float[][] scaled = both(new int[][]{{1, size}, {1, 1}}, new float[][]{g, new float[]{0.37f}}, 0, (b, t) -> b.scale(t[0], t[1]));
            assertClose(Tolerance.OP, scaled[0], scaled[1], "scale");
        }
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("batchShapes")
    void dropoutMatchesEjmlExactly(int m, int n) {
        float[] x = randomArray(m * n, 1);
        for (float p : new float[]{0f, 0.3f, 0.9f}) {
            dev.clprop.model.DropoutSpec d = new dev.clprop.model.DropoutSpec(p);
            float[][] r = both(new int[][]{{m, n}, {m, n}}, new float[][]{x, null}, 1,
                    (b, t) -> b.dropout(t[0], t[1], dev.clprop.model.DropoutSpec.key(5, m, n), d.threshold(), d.scale(), m));
            assertArrayEquals(r[1], r[0], "p " + p);
        }
    }

    @Test
    void gatherMatchesEjml() {
        // widths below, at and past the kernel's 8-float chunks, with and without a partial last chunk
        for (int[] s : new int[][]{{1, 1}, {17, 7}, {40, 8}, {33, 16}, {129, 33}, {70, 784}}) {
            int rows = s[0], n = s[1], count = Math.max(1, rows / 2), offset = rows - count;
            float[] src = randomArray(rows * n, 1);
            int[] perm = dev.clprop.data.Splits.epochOrder(rows, rng.nextLong(), 1, true);
            float[][] out = new float[2][count * n];
            Backend[] bs = {cl, ref};
            for (int w = 0; w < 2; w++) {
                try (Tensor t = bs[w].allocate(rows, n); Tensor d = bs[w].allocate(count, n); IndexBuffer ix = bs[w].allocateIndices(rows)) {
                    bs[w].upload(t, src);
                    bs[w].uploadIndices(ix, perm);
                    bs[w].gather(t, ix, offset, count, d);
                    bs[w].download(d, out[w]);
                }
            }
            assertArrayEquals(out[1], out[0], "gather is a copy and must be exact");
            for (int r = 0; r < count; r++) {
                assertEquals(src[perm[offset + r] * n], out[1][r * n], "reference gather row " + r);
                assertEquals(src[perm[offset + r] * n + n - 1], out[0][r * n + n - 1], "device gather, last of row " + r);
            }
        }
    }

    @Test
    void noLiveBuffersAfterClose() {
        assertEquals(0, cl.liveBuffers(), "buffers left open by earlier tests in this class");
        assertEquals(0, clOther.liveBuffers(), "buffers left open by earlier tests in this class");
        try (Tensor a = cl.allocate(3, 3); IndexBuffer ix = cl.allocateIndices(4)) {
            assertEquals(2, cl.liveBuffers());
        }
        assertEquals(0, cl.liveBuffers());
    }
}
