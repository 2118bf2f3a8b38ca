package dev.clprop.train;

import dev.clprop.ClpropTestBase;
import dev.clprop.OpenClDevices;
import dev.clprop.backend.Backend;
import dev.clprop.backend.Tolerance;
import dev.clprop.backend.opencl.OpenClBackend;
import dev.clprop.backend.reference.EjmlBackend;
import dev.clprop.data.Dataset;
import dev.clprop.data.Table;
import dev.clprop.model.Loss;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Optimizer;
import dev.clprop.model.Parameters;
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
            case BCE -> "6,9:relu,7:tanh:nobias,3:sigmoid";
            case CROSS_ENTROPY -> "6,9:sigmoid,7:tanh,4:softmax";
        };
    }

    /** 45 rows: batches of 8 leave a partial last batch of 5. */
    static Dataset dataFor(Loss loss, NetworkSpec spec, long seed) {
        Random r = new Random(seed);
        int rows = 45, f = spec.inputs(), n = spec.outputs();
        if (loss == Loss.CROSS_ENTROPY) {
            float[] v = new float[rows * (f + 1)];
            int[] lines = new int[rows];
            for (int i = 0; i < rows; i++) {
                for (int c = 0; c < f; c++) v[i * (f + 1) + c] = (float) r.nextGaussian();
                v[i * (f + 1) + f] = r.nextInt(n);
                lines[i] = i + 1;
            }
            return Dataset.classification(new Table("random", v, rows, f + 1, lines), n);
        }
        float[] v = new float[rows * (f + n)];
        int[] lines = new int[rows];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < f; c++) v[i * (f + n) + c] = (float) r.nextGaussian();
            for (int c = 0; c < n; c++) v[i * (f + n) + f + c] = loss == Loss.BCE ? r.nextInt(2) : (float) r.nextDouble();
            lines[i] = i + 1;
        }
        return Dataset.regression(new Table("random", v, rows, f + n, lines), n);
    }

    static Stream<Arguments> lossesAndOptimizers() {
        List<Arguments> out = new ArrayList<>();
        for (Loss l : Loss.values()) for (Optimizer.Kind k : Optimizer.Kind.values()) out.add(Arguments.of(l, k));
        return out.stream();
    }

    static Parameters train(Backend b, Loss loss, Optimizer.Kind kind, long seed, int epochs) {
        NetworkSpec spec = NetworkSpec.parse(specFor(loss));
        Optimizer opt = Optimizer.of(kind, kind == Optimizer.Kind.ADAM ? 0.01f : 0.05f).withWeightDecay(1e-3f);
        TrainingConfig cfg = new TrainingConfig(spec, loss, opt, 8, epochs, seed, true, null, 0, 0);
        Trainer.Result r = new Trainer(b, cfg, null).train(dataFor(loss, spec, seed), null, Trainer.Start.fresh(Parameters.initialise(spec, seed)));
        assertEquals(Trainer.Outcome.COMPLETED, r.outcome());
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
        for (int l = 0; l < onRef.spec().depth(); l++) {
            assertClose(Tolerance.TRAINING, onCl.weights(l), onRef.weights(l), "W" + (l + 1));
            if (onRef.bias(l) != null) assertClose(Tolerance.TRAINING, onCl.bias(l), onRef.bias(l), "b" + (l + 1));
        }
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
        NetworkSpec spec = NetworkSpec.parse(specFor(Loss.CROSS_ENTROPY));
        TrainingConfig cfg = new TrainingConfig(spec, Loss.CROSS_ENTROPY, Optimizer.of(Optimizer.Kind.MOMENTUM, 0.05f), 8, 2, 3, true, null, 2, 0);
        List<String> reports = new ArrayList<>();
        try (OpenClBackend cl = OpenClDevices.backend()) {
            Trainer t = new Trainer(cl, cfg, new Trainer.Listener() {
                @Override
                public void message(String line) {
                    reports.add(line);
                }
            });
            t.train(dataFor(Loss.CROSS_ENTROPY, spec, 3), null, Trainer.Start.fresh(Parameters.initialise(spec, 3)));
        }
        // 2 epochs of 6 batches, compared every 2 steps
        assertEquals(6, reports.size(), reports.toString());
        assertTrue(reports.get(0).startsWith("verify step 2 vs ejml: L1 W "), reports.get(0));
    }
}
