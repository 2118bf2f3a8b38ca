package dev.clprop.train;

import dev.clprop.Trainer;

import dev.clprop.spi.RunConfig;

import dev.clprop.ClpropTestBase;
import dev.clprop.OpenClDevices;
import dev.clprop.device.Backend;
import dev.clprop.device.Tolerance;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole training runs on OpenCL and on EJML agree; the same seed twice on a device is bit-identical. */
class TrainingParityTest extends ClpropTestBase {

    static String specFor(Loss loss) {
        return switch (loss) {
            case HALF_SSE -> "6,9:tanh,5:leaky-relu,3:linear";
            case MSE -> "6,17:relu,3:sigmoid";
            case BCE -> "6,9:relu,layernorm,7:tanh:nobias,3:sigmoid";
            case CROSS_ENTROPY -> "6,9:sigmoid,7:tanh,4:softmax";
            case HUBER -> "6,9:gelu,5:silu,3:linear";
        };
    }

    /** 45 rows: batches of 8 leave a partial last batch of 5. */
    static Dataset dataFor(Loss loss, Architecture spec, long seed) {
        Random r = new Random(seed);
        int rows = 45, f = spec.inputs(), n = spec.outputs();
        float[] x = new float[rows * f];
        if (loss == Loss.CROSS_ENTROPY) {
            int[] labels = new int[rows];
            for (int i = 0; i < rows; i++) {
                for (int c = 0; c < f; c++) x[i * f + c] = (float) r.nextGaussian();
                labels[i] = r.nextInt(n);
            }
            return Dataset.classification("random", x, f, labels, null);
        }
        float[] y = new float[rows * n];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < f; c++) x[i * f + c] = (float) r.nextGaussian();
            // Huber's targets spread beyond delta = 1, so that both of its branches occur
            for (int c = 0; c < n; c++) y[i * n + c] = loss == Loss.BCE ? r.nextInt(2) : loss == Loss.HUBER ? (float) (2 * r.nextGaussian()) : (float) r.nextDouble();
        }
        return Dataset.regression("random", x, f, y, n, null);
    }

    static Stream<Arguments> lossesAndOptimizers() {
        List<Arguments> out = new ArrayList<>();
        for (Loss l : Loss.values()) for (Optimizer.Kind k : Optimizer.Kind.values()) out.add(Arguments.of(l, k));
        return out.stream();
    }

    /** A run's configuration with no checkpoint, verification, early stopping or standardization. */
    static RunConfig config(Architecture spec, Loss loss, Optimizer opt, int batch, int epochs, long seed, boolean shuffle) {
        return RunConfig.builder(spec, Trainer.builder(spec).loss(loss).optimizer(opt).batchSize(batch).epochs(epochs).seed(seed).shuffle(shuffle).build().settings()).build();
    }

    static Parameters train(Backend b, Loss loss, Optimizer.Kind kind, long seed, int epochs) {
        Architecture spec = Architecture.parse(specFor(loss));
        Optimizer opt = Optimizer.of(kind, kind.usesMoments() ? 0.01f : 0.05f).withWeightDecay(kind == Optimizer.Kind.ADAMW ? 0.1f : 1e-3f);
        TrainingLoop.Result r = new TrainingLoop(b, config(spec, loss, opt, 8, epochs, seed, true), null, null)
                .run(dataFor(loss, spec, seed), null, TrainingLoop.Start.fresh(Parameters.initialise(spec, seed)));
        assertEquals(Outcome.COMPLETED, r.outcome());
        return r.parameters();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossesAndOptimizers")
    void openClRunMatchesEjmlRun(Loss loss, Optimizer.Kind kind) {
        Parameters onCl, onRef;
        try (OpenClBackend cl = OpenClDevices.backend()) {
            onCl = train(cl, loss, kind, 5, 6);
            assertEquals(0, cl.liveBuffers(), "device buffers left after training");
        }
        try (EjmlBackend ref = new EjmlBackend()) {
            onRef = train(ref, loss, kind, 5, 6);
            assertEquals(0, ref.liveBuffers());
        }
        for (ParamShape s : onRef.shapes()) assertClose(Tolerance.TRAINING, onCl.get(s.name()), onRef.get(s.name()), s.name());
    }

    /**
     * batchnorm trains on one device (data-parallel runs and Spark refuse it, so it is not in {@link #specFor}'s
     * networks, which those tests share): OpenCL against EJML, running statistics included, for every optimizer.
     */
    @ParameterizedTest(name = "batchnorm {0}")
    @org.junit.jupiter.params.provider.EnumSource(Optimizer.Kind.class)
    void openClRunMatchesEjmlRunThroughBatchNorm(Optimizer.Kind kind) {
        // tanh before each batchnorm: a ReLU unit that fires for one row of a batch of 8 gives a column of tiny
        // variance, whose normalization magnifies last-bit differences past any fixed tolerance (see NormalizationTest)
        Architecture spec = Architecture.parse("6,9:tanh,batchnorm,7:sigmoid:nobias,batchnorm,3:sigmoid");
        Dataset data = dataFor(Loss.BCE, spec, 6);
        Optimizer opt = Optimizer.of(kind, kind.usesMoments() ? 0.01f : 0.05f);
        Parameters[] out = new Parameters[2];
        Backend[] backends = {OpenClDevices.backend(), new EjmlBackend()};
        for (int i = 0; i < 2; i++) {
            try (Backend b = backends[i]) {
                TrainingLoop.Result r = new TrainingLoop(b, config(spec, Loss.BCE, opt, 8, 6, 6, true), null, null)
                        .run(data, null, TrainingLoop.Start.fresh(Parameters.initialise(spec, 6)));
                assertEquals(Outcome.COMPLETED, r.outcome());
                out[i] = r.parameters();
            }
        }
        assertTrue(spec.hasBuffers());
        for (ParamShape s : out[1].shapes()) assertClose(Tolerance.TRAINING, out[0].get(s.name()), out[1].get(s.name()), s.name());
        float[] var = out[1].get("running_var2");
        boolean moved = false;
        for (float v : var) moved |= v != 1f;
        assertTrue(moved, "the running variance moved");
    }

    @Test
    void sameSeedTwiceOnOpenClIsBitIdentical() {
        try (OpenClBackend cl = OpenClDevices.backend()) {
            Parameters a = train(cl, Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, 9, 3);
            Parameters b = train(cl, Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, 9, 3);
            assertTrue(a.bitwiseEquals(b), "two runs with seed 9 differ");
            Parameters c = train(cl, Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, 10, 3);
            assertTrue(!a.bitwiseEquals(c), "a different seed gave the same weights: the seed is not used");
        }
    }

    @Test
    void lockstepVerificationRunsAndPasses() {
        Architecture spec = Architecture.parse(specFor(Loss.CROSS_ENTROPY));
        RunConfig cfg = RunConfig.builder(spec, Trainer.builder(spec).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.momentum(0.05f, 0.9f)).batchSize(8).epochs(2).seed(3).shuffle(true).verifyEvery(2).build().settings()).build();
        List<String> reports = new ArrayList<>();
        try (OpenClBackend cl = OpenClDevices.backend()) {
            new TrainingLoop(cl, cfg, new TrainingListener() {
                @Override
                public void onMessage(String line) {
                    reports.add(line);
                }
            }, null).run(dataFor(Loss.CROSS_ENTROPY, spec, 3), null, TrainingLoop.Start.fresh(Parameters.initialise(spec, 3)));
        }
        // 2 epochs of 6 batches, verified every 2 steps
        assertEquals(6, reports.size(), reports.toString());
        assertTrue(reports.get(0).startsWith("verify step 2 vs ejml: ") && reports.get(0).contains(" ops agree"), reports.get(0));
    }
}
