package dev.clprop.train;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.backend.Backend;
import dev.clprop.data.Dataset;
import dev.clprop.model.Loss;
import dev.clprop.model.ModelFile;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Optimizer;
import dev.clprop.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints, resume, interrupts, divergence and early stopping. */
class TrainerLifecycleTest extends ClpropTestBase {
    @TempDir
    Path dir;

    static final NetworkSpec SPEC = NetworkSpec.parse(TrainingParityTest.specFor(Loss.CROSS_ENTROPY));

    TrainingConfig config(int epochs, Path checkpoint) {
        return new TrainingConfig(SPEC, Loss.CROSS_ENTROPY, Optimizer.of(Optimizer.Kind.ADAM, 0.01f), 8, epochs, 21, true, checkpoint, 0, 0);
    }

    Dataset data() {
        return TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, SPEC, 21);
    }

    /** Stops the trainer when {@code epochStarted(epoch)} (mid-epoch, after its first batch) or {@code epochFinished(epoch)} is seen. */
    Trainer.Result runStoppingAt(Backend b, TrainingConfig cfg, Trainer.Start start, int epoch, boolean midEpoch) {
        AtomicReference<Trainer> ref = new AtomicReference<>();
        Trainer t = new Trainer(b, cfg, new Trainer.Listener() {
            @Override
            public void epochStarted(int e, int total, int samples) {
                if (midEpoch && e == epoch) ref.get().requestStop();
            }

            @Override
            public void epochFinished(Trainer.EpochResult r) {
                if (!midEpoch && r.epoch() == epoch) ref.get().requestStop();
            }
        });
        ref.set(t);
        return t.train(data(), null, start);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void resumeAfterAnInterruptEndsWithTheSameWeights(BackendKind kind) {
        Parameters init = Parameters.initialise(SPEC, 21);
        try (Backend b = kind.open()) {
            Parameters straight = new Trainer(b, config(4, null), null).train(data(), null, Trainer.Start.fresh(init)).parameters();
            for (boolean midEpoch : new boolean[]{true, false}) {
                Path ckpt = dir.resolve("ckpt-" + midEpoch + ".npz");
                Trainer.Result first = runStoppingAt(b, config(4, ckpt), Trainer.Start.fresh(init), 2, midEpoch);
                assertEquals(Trainer.Outcome.INTERRUPTED, first.outcome(), first.message());
                assertTrue(Files.exists(ckpt), "an interrupt writes a checkpoint");
                Trainer.Start resumed = Trainer.readCheckpoint(ckpt, config(4, ckpt));
                assertEquals(midEpoch ? 1 : 2, resumed.epochsDone());
                assertEquals(midEpoch ? 8 : 0, resumed.rowsDone(), "rows of the interrupted epoch already trained");
                Trainer.Result rest = new Trainer(b, config(4, ckpt), null).train(data(), null, resumed);
                assertEquals(Trainer.Outcome.COMPLETED, rest.outcome());
                assertTrue(rest.parameters().bitwiseEquals(straight), "resumed run (midEpoch=" + midEpoch + ") differs from the uninterrupted one");
            }
        }
    }

    @Test
    void divergenceStopsAndKeepsTheLastGoodCheckpoint() {
        // y = 0, w·1 with sgd lr 1.5 on mse: w ← w(1 − 2·1.5) doubles |w| every step until it overflows
        NetworkSpec spec = NetworkSpec.parse("1,1:linear:nobias");
        float[] x = new float[10], y = new float[10];
        java.util.Arrays.fill(x, 1f);
        Dataset d = new Dataset("doubling", x, y, 10, 1, 1, null);
        Path ckpt = dir.resolve("last-good.npz");
        TrainingConfig cfg = new TrainingConfig(spec, Loss.MSE, Optimizer.of(Optimizer.Kind.SGD, 1.5f), 1, 50, 1, false, ckpt, 0, 0);
        Parameters init = new Parameters(spec, new float[][]{{1f}}, new float[][]{null});
        try (Backend b = BackendKind.EJML.open()) {
            Trainer.Result r = new Trainer(b, cfg, null).train(d, null, Trainer.Start.fresh(init));
            assertEquals(Trainer.Outcome.DIVERGED, r.outcome());
            assertTrue(r.message().contains("diverged in epoch " + (r.epochsDone() + 1)), r.message());
            assertTrue(r.epochsDone() >= 5, "it should take several epochs to overflow, took " + r.epochsDone());
            ModelFile.Loaded kept = ModelFile.load(ckpt);
            assertTrue(kept.parameters().allFinite(), "the checkpoint on disk is the last good one");
            assertEquals(r.epochsDone(), (int) kept.entries().get("clprop_epoch").data()[0]);
            assertTrue(r.parameters().allFinite());
        }
    }

    @Test
    void earlyStoppingOnValidationLoss() {
        Dataset all = data();
        Dataset[] parts = dev.clprop.data.DataSources.split(all, 0.3, 1);
        // random labels: nothing to learn, so validation loss soon rises as the network memorises
        TrainingConfig cfg = new TrainingConfig(SPEC, Loss.CROSS_ENTROPY, Optimizer.of(Optimizer.Kind.ADAM, 0.05f), 8, 200, 3, true, null, 0, 3);
        try (Backend b = BackendKind.EJML.open()) {
            Trainer.Result r = new Trainer(b, cfg, null).train(parts[0], parts[1], Trainer.Start.fresh(Parameters.initialise(SPEC, 3)));
            assertEquals(Trainer.Outcome.EARLY_STOPPED, r.outcome());
            assertTrue(r.epochsDone() < 200);
            // the weights returned are those of the best validation epoch, which the message names
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("kept the weights of epoch (\\d+) \\(validation loss ([0-9.]+)\\)").matcher(r.message());
            assertTrue(m.find(), r.message());
            assertEquals(r.epochsDone() - 3, Integer.parseInt(m.group(1)), "3 epochs without improvement after the best one");
            try (Network net = new Network(b, SPEC, Loss.CROSS_ENTROPY, null, 8)) {
                net.setParameters(r.parameters());
                assertEquals(Double.parseDouble(m.group(2)), Evaluator.evaluate(net, parts[1]).loss(), 1e-6);
            }
        }
    }

    @Test
    void runOutputsWriteMetricsAndAChart() throws IOException {
        RunOutputs out = new RunOutputs(dir.resolve("run"));
        out.add(new Trainer.EpochResult(1, 0.9, 0.8, 0.5, 1.0, 100));
        out.add(new Trainer.EpochResult(2, 0.5, 0.6, 0.7, 1.0, 110));
        List<String> csv = Files.readAllLines(dir.resolve("run/metrics.csv"));
        assertEquals("epoch,train_loss,val_loss,val_accuracy,seconds,samples_per_second", csv.get(0));
        assertEquals(3, csv.size());
        assertTrue(csv.get(2).startsWith("2,0.5"), csv.get(2));
        byte[] png = Files.readAllBytes(dir.resolve("run/loss.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "loss.png is a PNG");
        assertEquals(2, RunOutputs.readCsv(dir.resolve("run")).size(), "metrics.csv reads back for --resume");
    }
}
