package dev.clprop.train;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.data.Dataset;
import dev.clprop.data.Splits;
import dev.clprop.error.DeviceException;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Minibatch, loss-scaling and optimizer semantics, checked against hand-written float64 formulas. */
class SemanticsTest extends ClpropTestBase {
    static final float[][] GRADS = {{0.3f, -1.0f, 0.05f}, {-0.2f, 0.4f, 0.5f}, {0.1f, 0.1f, -0.7f}};
    static final float[] P0 = {0.5f, -1.2f, 2.0f};

    /** torch.optim semantics, written out in double. */
    static double[] expected(Optimizer o) {
        double[] p = new double[3], m = new double[3], v = new double[3];
        for (int i = 0; i < 3; i++) p[i] = P0[i];
        for (int t = 1; t <= GRADS.length; t++) {
            for (int i = 0; i < 3; i++) {
                // AdamW (torch.optim.AdamW): p·(1 − lr·wd) first, and nothing added to the gradient
                if (o.kind() == Optimizer.Kind.ADAMW) p[i] *= 1 - (double) o.learningRate() * o.weightDecay();
                double g = GRADS[t - 1][i] + (o.kind() == Optimizer.Kind.ADAMW ? 0 : o.weightDecay() * p[i]);
                switch (o.kind()) {
                    case SGD -> p[i] -= o.learningRate() * g;
                    case MOMENTUM -> {
                        m[i] = t == 1 ? g : o.momentum() * m[i] + g;
                        p[i] -= o.learningRate() * m[i];
                    }
                    case ADAM, ADAMW -> {
                        m[i] = o.beta1() * m[i] + (1 - o.beta1()) * g;
                        v[i] = o.beta2() * v[i] + (1 - o.beta2()) * g * g;
                        double mhat = m[i] / (1 - Math.pow(o.beta1(), t));
                        double vhat = v[i] / (1 - Math.pow(o.beta2(), t));
                        p[i] -= o.learningRate() * mhat / (Math.sqrt(vhat) + o.epsilon());
                    }
                }
            }
        }
        return p;
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void optimizersFollowTorchSemantics(BackendKind kind) {
        for (Optimizer.Kind k : Optimizer.Kind.values()) {
            for (float wd : new float[]{0f, 0.1f}) {
                Optimizer o = Optimizer.of(k, 0.1f).withWeightDecay(wd);
                try (Backend b = kind.open(); Tensor p = b.allocate(1, 3); Tensor g = b.allocate(1, 3);
                     Tensor s1 = b.allocate(1, 3); Tensor s2 = b.allocate(1, 3)) {
                    b.upload(p, P0);
                    for (int t = 1; t <= GRADS.length; t++) {
                        b.upload(g, GRADS[t - 1]);
                        b.optimizerStep(o, t, p, g, s1, s2);
                    }
                    float[] got = new float[3];
                    b.download(p, got);
                    assertClose(1e-6, expected(o), got, k + " wd=" + wd);
                }
            }
        }
    }

    @Test
    void noShuffleUsesConsecutiveRowsAndAPartialLastBatch() {
        Architecture spec = Architecture.parse("3,4:tanh,2:linear");
        Loss loss = Loss.MSE;
        Optimizer opt = Optimizer.sgd(0.1f);
        float[] x = randomArray(5 * 3, 1), y = randomArray(5 * 2, 1);
        Dataset d = Dataset.regression("t", x, 3, y, 2, null);
        Parameters init = Parameters.initialise(spec, 1);
        Parameters viaTrainer;
        try (EjmlBackend b = new EjmlBackend()) {
            viaTrainer = new TrainingLoop(b, TrainingParityTest.config(spec, loss, opt, 2, 1, 1, false), null, null)
                    .run(d, null, TrainingLoop.Start.fresh(init)).parameters();
        }
        // by hand: rows {0,1}, {2,3}, {4}
        try (EjmlBackend b = new EjmlBackend(); DeviceNetwork net = new DeviceNetwork(b, spec, loss, opt, 2, 1);
             Tensor tx = b.allocate(2, 3); Tensor ty = b.allocate(2, 2)) {
            net.setParameters(init);
            for (int[] batch : new int[][]{{0, 2}, {2, 2}, {4, 1}}) {
                float[] bx = new float[6], by = new float[4];
                System.arraycopy(x, batch[0] * 3, bx, 0, batch[1] * 3);
                System.arraycopy(y, batch[0] * 2, by, 0, batch[1] * 2);
                b.upload(tx, bx);
                b.upload(ty, by);
                net.trainStep(tx, ty, batch[1]);
            }
            assertTrue(net.parameters().bitwiseEquals(viaTrainer), "Trainer with --no-shuffle differs from consecutive batches 2,2,1");
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void meanLossesAverageOverTheRowsOfTheBatch(BackendKind kind) {
        int rows = 4, m = 3, n = 2;
        float[] p = {0.2f, 0.7f, 0.6f, 0.1f, 0.9f, 0.5f, 0.3f, 0.3f}, y = {0f, 1f, 1f, 0f, 1f, 1f, 9f, 9f};
        for (Loss loss : new Loss[]{Loss.MSE, Loss.BCE, Loss.HALF_SSE}) {
            double sum = 0;
            for (int i = 0; i < m * n; i++) {
                sum += switch (loss) {
                    case MSE -> (p[i] - y[i]) * (p[i] - y[i]);
                    case BCE -> -(y[i] * Math.log(p[i]) + (1 - y[i]) * Math.log(1 - p[i]));
                    default -> 0.5 * (p[i] - y[i]) * (p[i] - y[i]);
                };
            }
            double want = loss == Loss.HALF_SSE ? sum : sum / (m * n);
            try (Backend b = kind.open(); Tensor tp = b.allocate(rows, n); Tensor ty = b.allocate(rows, n);
                 Tensor g = b.allocate(rows, n); Tensor s = b.allocate(1, 1)) {
                b.upload(tp, p);
                b.upload(ty, y);
                b.lossGradient(loss, tp, ty, m, g, s);
                float[] got = new float[1];
                b.download(s, got);
                assertEquals(want, got[0], 1e-6, loss + ": the 4th row (beyond m=3) must not count, the mean is over 3 rows");
            }
        }
    }

    @Test
    void shuffledOrderIsAPermutationThatDependsOnSeedAndEpoch() {
        int[] a = Splits.epochOrder(100, 7, 1, true);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) assertEquals(i, sorted[i]);
        assertArrayEquals(a, Splits.epochOrder(100, 7, 1, true));
        assertFalse(Arrays.equals(a, Splits.epochOrder(100, 7, 2, true)));
        assertFalse(Arrays.equals(a, Splits.epochOrder(100, 8, 1, true)));
        int[] fileOrder = Splits.epochOrder(5, 7, 3, false);
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, fileOrder);
    }

    /**
     * Clipping by the global norm, checked against the formula: gradients of norm g are scaled by
     * min(1, c/(g + 1e-6)) before an sgd step of lr 1, so the step is the scaled gradient.
     */
    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void clippingScalesTheGradientsToTheGlobalNorm(BackendKind kind) {
        Architecture spec = Architecture.parse("3,4:tanh,2:linear");
        float[] x = randomArray(5 * 3, 1), y = randomArray(5 * 2, 3);
        Parameters init = Parameters.initialise(spec, 2);
        for (float c : new float[]{0.05f, 1e6f}) {
            try (Backend b = kind.open(); DeviceNetwork net = new DeviceNetwork(b, spec, Loss.MSE, Optimizer.sgd(1f), 5, 0);
                 Tensor tx = b.allocate(5, 3); Tensor ty = b.allocate(5, 2)) {
                net.setParameters(init);
                net.setClipNorm(c);
                b.upload(tx, x);
                b.upload(ty, y);
                net.forward(tx, 5, dev.clprop.nn.Pass.training(0, 1));
                net.backward(tx, ty, 5, dev.clprop.nn.Pass.training(0, 1));
                Parameters g = net.gradients();
                double sq = 0;
                for (var s : spec.parameterShapes()) for (float v : g.get(s.name())) sq += (double) v * v;
                double factor = Math.min(1, c / (Math.sqrt(sq) + 1e-6));
                net.update();
                Parameters after = net.parameters();
                for (var s : spec.parameterShapes()) {
                    double[] want = new double[s.size()];
                    for (int i = 0; i < want.length; i++) want[i] = init.get(s.name())[i] - factor * g.get(s.name())[i];
                    assertClose(1e-6, want, after.get(s.name()), "clip " + c + " " + s.name());
                }
                if (c < 1) assertTrue(factor < 0.5, "the small limit clips: factor " + factor);
            }
        }
    }

    /** torch.nn.CrossEntropyLoss(weight=w) by its definition, in float64. */
    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void classWeightsFollowTorchsWeightedMean(BackendKind kind) {
        int m = 4, n = 3;
        float[] p = {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f, 0.2f, 0.2f, 0.6f, 0.3f, 0.5f, 0.2f};
        int[] labels = {0, 2, 2, 1};
        float[] y = new float[m * n];
        for (int r = 0; r < m; r++) y[r * n + labels[r]] = 1f;
        float[] w = {1f, 2f, 0.5f};
        double total = 0, loss = 0;
        for (int r = 0; r < m; r++) total += w[labels[r]];
        for (int r = 0; r < m; r++) loss -= w[labels[r]] * Math.log(p[r * n + labels[r]]);
        loss /= total;
        double[] grad = new double[m * n];
        for (int r = 0; r < m; r++) for (int j = 0; j < n; j++) grad[r * n + j] = w[labels[r]] * (p[r * n + j] - y[r * n + j]) / total;
        try (Backend b = kind.open(); Tensor tp = b.allocate(m, n); Tensor ty = b.allocate(m, n); Tensor tw = b.allocate(1, n);
             Tensor g = b.allocate(m, n); Tensor s = b.allocate(1, 1)) {
            b.upload(tp, p);
            b.upload(ty, y);
            b.upload(tw, w);
            b.weightedLossGradient(tp, ty, tw, m, g, s);
            float[] got = new float[m * n], sum = new float[1];
            b.download(g, got);
            b.download(s, sum);
            assertClose(1e-6, grad, got, "weighted gradient");
            assertEquals(loss, sum[0], 1e-6);
            b.upload(tw, new float[]{1, 1, 1});
            b.zero(s);
            b.weightedLossGradient(tp, ty, tw, m, g, s);
            float[] ones = new float[m * n], plain = new float[m * n];
            b.download(g, ones);
            b.lossGradient(Loss.CROSS_ENTROPY, tp, ty, m, g, s);
            b.download(g, plain);
            assertArrayEquals(plain, ones, "weights of 1 are exactly the unweighted loss");
            b.upload(tw, new float[]{0, 1, 1});
            b.zero(s);
            b.weightedLossGradient(tp, ty, tw, 1, g, s);
            b.download(g, got);
            b.download(s, sum);
            for (int j = 0; j < n; j++) assertEquals(0f, got[j], "a batch whose rows all weigh 0 has no gradient");
            assertEquals(0f, sum[0]);
        }
    }

    @Test
    void aNetworkTooLargeForItsBackendIsRefusedBeforeAnythingIsAllocated() {
        try (Backend small = new dev.clprop.DelegatingBackend(new EjmlBackend()) {
            @Override
            public long capacityBytes() {
                return 1 << 20;
            }
        }) {
            dev.clprop.error.InvalidSettingException e = assertThrows(dev.clprop.error.InvalidSettingException.class,
                    () -> new DeviceNetwork(small, Architecture.parse("100,1000:relu,10:softmax"), Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 64, 0));
            assertEquals("architecture", e.setting());
            assertTrue(e.getMessage().contains("needs 2 MiB") && e.getMessage().contains("which has 1 MiB"), e.getMessage());
            assertEquals(0, small.liveBuffers());
            new DeviceNetwork(small, Architecture.parse("100,10:relu,10:softmax"), Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 64, 0).close();
        }
    }

    @Test
    void theGemmsWorkingMemoryCountsAgainstTheBackendsCapacity() {
        try (Backend packing = new dev.clprop.DelegatingBackend(new EjmlBackend()) {
            @Override
            public long capacityBytes() {
                return 64L << 20;
            }

            @Override
            public GemmWorkspace gemmWorkspace(int batch, java.util.List<dev.clprop.model.ParamShape> weights) {
                assertEquals(java.util.List.of(1000, 10), weights.stream().map(dev.clprop.model.ParamShape::rows).toList(), "the weight matrices only");
                return new GemmWorkspace(65L << 20, 1L << 20);
            }
        }) {
            dev.clprop.error.InvalidSettingException e = assertThrows(dev.clprop.error.InvalidSettingException.class,
                    () -> new DeviceNetwork(packing, Architecture.parse("100,1000:relu,10:softmax"), Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 64, 0));
            assertTrue(e.getMessage().contains("needs 67 MiB") && e.getMessage().contains("which has 64 MiB"), e.getMessage());
            assertEquals(0, packing.liveBuffers());
        }
    }

    /** EJML with a largest allocation of 4 MiB and the given GEMM working memory. */
    private static Backend withLargestAllocation4MiB(Backend.GemmWorkspace workspace) {
        return new dev.clprop.DelegatingBackend(new EjmlBackend()) {
            @Override
            public long maxTensorBytes() {
                return 4L << 20;
            }

            @Override
            public GemmWorkspace gemmWorkspace(int batch, java.util.List<dev.clprop.model.ParamShape> weights) {
                return workspace;
            }
        };
    }

    @Test
    void aGemmBufferLargerThanTheLargestAllocationIsRefusedFirst() {
        // the network's own tensors fit (the largest, W0, is 1000×100 floats = 0.4 MB); the packing buffer is the question
        Architecture a = Architecture.parse("100,1000:relu,10:softmax");
        for (long buffer : new long[]{5L << 20, (4L << 20) + 1, 4L << 20, 0}) {
            try (Backend b = withLargestAllocation4MiB(new Backend.GemmWorkspace(buffer, buffer))) {
                if (buffer > 4L << 20) {
                    dev.clprop.error.InvalidSettingException e = assertThrows(dev.clprop.error.InvalidSettingException.class,
                            () -> new DeviceNetwork(b, a, Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 64, 0), "a buffer of " + buffer + " bytes");
                    assertTrue(e.getMessage().contains("one buffer of " + (buffer >> 20) + " MiB where the largest possible is 4 MiB"), e.getMessage());
                    assertEquals(0, b.liveBuffers());
                } else {
                    try (DeviceNetwork net = new DeviceNetwork(b, a, Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 64, 0)) {
                        assertTrue(b.liveBuffers() > 0, "a buffer of exactly the largest allocation, or none, fits");
                    }
                }
            }
        }
    }

    @Test
    void deviceSelfTestRefusesADeviceThatGetsGemmWrong() {
        try (EjmlBackend good = new EjmlBackend(); Backend broken = new FaultyGemmBackend(new EjmlBackend())) {
            DeviceSelfTest.check(good);
            DeviceException e = assertThrows(DeviceException.class, () -> DeviceSelfTest.check(broken));
            assertTrue(e.getMessage().contains("disagree on dense_forward tanh (a 13x37, w 23x37"), e.getMessage());
            assertTrue(e.getMessage().contains("max |diff|"), "the refusal gives the numbers: " + e.getMessage());
        }
    }
}
