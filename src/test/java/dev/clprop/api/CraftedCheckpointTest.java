package dev.clprop.api;

import dev.clprop.BackendKind;
import dev.clprop.OpenClDevices;
import dev.clprop.Trainer;
import dev.clprop.data.Dataset;
import dev.clprop.error.InvalidInputException;
import dev.clprop.io.Npz;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.train.Cancellation;
import dev.clprop.train.EpochSummary;
import dev.clprop.train.TrainingListener;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint's counters reach the minibatch gather: one whose rows-done value lies outside the epoch
 * once crashed the JVM on OpenCL (SIGSEGV in gather_rows) and threw ArrayIndexOutOfBounds on EJML. Now
 * resume refuses it, naming the file, before anything runs.
 */
class CraftedCheckpointTest {
    static final Architecture ARCH = Architecture.builder(2).dense(8, Activation.TANH).dense(2, Activation.SOFTMAX).build();

    @TempDir
    Path dir;

    static Dataset clusters(int n) {
        Random rng = new Random(3);
        float[][] x = new float[n][2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            x[i][0] = (float) (rng.nextGaussian() + (y[i] == 0 ? -2 : 2));
            x[i][1] = (float) rng.nextGaussian();
        }
        return Dataset.classification(x, y);
    }

    Trainer.Builder trainer(BackendKind kind) {
        String device = kind == BackendKind.OPENCL ? "opencl:" + OpenClDevices.device().index() : "cpu";
        return Trainer.builder(ARCH).optimizer(Optimizer.adam(0.05f)).batchSize(16).epochs(5).device(device);
    }

    /** The entries of a real checkpoint: a run on {@code d} stopped after {@code epochs} epochs. */
    Map<String, Npz.Entry> checkpointAfter(BackendKind kind, Dataset d, int epochs) throws Exception {
        Path ckpt = dir.resolve("run.npz");
        Cancellation stop = new Cancellation();
        trainer(kind).checkpoint(ckpt).cancellation(stop).listener(new TrainingListener() {
            @Override
            public void onEpochEnd(EpochSummary s) {
                if (s.epoch() == epochs) stop.cancel();
            }
        }).build().fit(d);
        return Npz.read(ckpt);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void rowsDoneOutsideTheEpochIsRefusedAsDamaged(BackendKind kind) throws Exception {
        Dataset d = clusters(64);
        Map<String, Npz.Entry> original = checkpointAfter(kind, d, 2);
        for (long rows : new long[]{(1L << 31) + 16, -16, 64, 5, 1L << 40}) {
            Map<String, Npz.Entry> crafted = new LinkedHashMap<>(original);
            crafted.put("clprop_rows_done", Npz.Entry.int64(rows));
            Path bad = dir.resolve("crafted-" + rows + ".npz");
            Npz.write(bad, crafted);
            byte[] before = Files.readAllBytes(bad);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> trainer(kind).build().resume(bad, d), "rows done " + rows);
            assertTrue(e.getMessage().startsWith(bad + ": implausible progress"), e.getMessage());
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(bad)), "the file is left as it was");
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void aCheckpointHoldingNaNIsCalledDamagedNotDiverged(BackendKind kind) throws Exception {
        Dataset d = clusters(64);
        Map<String, Npz.Entry> original = checkpointAfter(kind, d, 1);
        for (String entry : new String[]{"W1", "state.W2.exp_avg_sq"}) {
            Map<String, Npz.Entry> crafted = new LinkedHashMap<>(original);
            float[] v = original.get(entry).floats().clone();
            v[v.length - 1] = Float.NaN;
            crafted.put(entry, Npz.Entry.floats(v, original.get(entry).shape()));
            Path bad = dir.resolve("nan-" + entry + ".npz");
            Npz.write(bad, crafted);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> trainer(kind).build().resume(bad, d), entry);
            String expected = entry.startsWith("state.") ? bad + ": " + entry + " holds a value that is not a finite number; the checkpoint is damaged"
                    : bad + ": " + entry + " holds NaN at index " + (v.length - 1) + "; a model's values must be finite";
            assertEquals(expected, e.getMessage());
        }
    }
}
