package dev.clprop.train;

import dev.clprop.Trainer;

import dev.clprop.spi.RunConfig;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.data.Dataset;
import dev.clprop.data.Splits;
import dev.clprop.device.Backend;
import dev.clprop.io.ModelFormat;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints, resume, cancellation, divergence and early stopping of the training loop. */
class TrainerLifecycleTest extends ClpropTestBase {
    @TempDir
    Path dir;

    static final Architecture SPEC = Architecture.parse(TrainingParityTest.specFor(Loss.CROSS_ENTROPY));

    RunConfig config(int epochs, Path checkpoint) {
        return RunConfig.builder(SPEC, Trainer.builder(SPEC).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.adam(0.01f)).batchSize(8).epochs(epochs).seed(21).shuffle(true).build().settings()).checkpoint(checkpoint).build();
    }

    Dataset data() {
        return TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, SPEC, 21);
    }

    /** Cancels the run when epoch {@code epoch} starts (so after its first batch) or, if not midEpoch, when it ends. */
    TrainingLoop.Result runStoppingAt(Backend b, RunConfig cfg, TrainingLoop.Start start, int epoch, boolean midEpoch) {
        Cancellation c = new Cancellation();
        return new TrainingLoop(b, cfg, new TrainingListener() {
            @Override
            public void onEpochStart(int e, int total, int samples) {
                if (midEpoch && e == epoch) c.cancel();
            }

            @Override
            public void onEpochEnd(EpochSummary r) {
                if (!midEpoch && r.epoch() == epoch) c.cancel();
            }
        }, c).run(data(), null, start);
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void resumeAfterACancelEndsWithTheSameWeights(BackendKind kind) {
        Parameters init = Parameters.initialise(SPEC, 21);
        try (Backend b = kind.open()) {
            Parameters straight = new TrainingLoop(b, config(4, null), null, null).run(data(), null, TrainingLoop.Start.fresh(init)).parameters();
            for (boolean midEpoch : new boolean[]{true, false}) {
                Path ckpt = dir.resolve("ckpt-" + midEpoch + ".npz");
                TrainingLoop.Result first = runStoppingAt(b, config(4, ckpt), TrainingLoop.Start.fresh(init), 2, midEpoch);
                assertEquals(Outcome.CANCELLED, first.outcome(), first.message());
                assertTrue(Files.exists(ckpt), "a cancel writes a checkpoint");
                ModelFormat.StoredCheckpoint c = ModelFormat.readCheckpoint(ckpt);
                assertEquals(midEpoch ? 1 : 2, c.progress().epochsDone());
                assertEquals(midEpoch ? 8 : 0, c.progress().rowsDone(), "rows of the interrupted epoch already trained");
                assertTrue(c.model().parameters().bitwiseEquals(first.parameters()), "the cancelled run returns what the checkpoint holds");
                TrainingLoop.Result rest = new TrainingLoop(b, config(4, ckpt), null, null).run(data(), null, TrainingLoop.Start.from(c));
                assertEquals(Outcome.COMPLETED, rest.outcome());
                assertTrue(rest.parameters().bitwiseEquals(straight), "resumed run (midEpoch=" + midEpoch + ") differs from the uninterrupted one");
            }
        }
    }

    @Test
    void divergenceStopsAndKeepsTheLastGoodCheckpoint() {
        // y = 0, w·1 with sgd lr 1.5 on mse: w ← w(1 − 2·1.5) doubles |w| every step until it overflows
        Architecture spec = Architecture.parse("1,1:linear:nobias");
        float[] x = new float[10], y = new float[10];
        java.util.Arrays.fill(x, 1f);
        Dataset d = Dataset.regression("doubling", x, 1, y, 1, null);
        Path ckpt = dir.resolve("last-good.npz");
        RunConfig cfg = RunConfig.builder(spec, Trainer.builder(spec).loss(Loss.MSE).optimizer(Optimizer.sgd(1.5f)).batchSize(1).epochs(50).seed(1).shuffle(false).build().settings()).checkpoint(ckpt).build();
        Parameters init = params(spec, "W1", new float[]{1f});
        try (Backend b = BackendKind.EJML.open()) {
            TrainingLoop.Result r = new TrainingLoop(b, cfg, null, null).run(d, null, TrainingLoop.Start.fresh(init));
            assertEquals(Outcome.DIVERGED, r.outcome());
            assertTrue(r.message().contains("diverged in epoch " + (r.epochsDone() + 1)), r.message());
            assertTrue(r.epochsDone() >= 5, "it should take several epochs to overflow, took " + r.epochsDone());
            ModelFormat.StoredCheckpoint kept = ModelFormat.readCheckpoint(ckpt);
            assertTrue(kept.model().parameters().allFinite(), "the checkpoint on disk is the last good one");
            assertEquals(r.epochsDone(), kept.progress().epochsDone());
            assertTrue(r.parameters().allFinite());
            assertTrue(r.parameters().bitwiseEquals(kept.model().parameters()), "the result is the last good epoch, as on disk");
        }
    }

    @Test
    void earlyStoppingOnValidationLoss() {
        Dataset[] parts = Splits.validation(data(), 0.3, 1);
        // random labels: nothing to learn, so validation loss soon rises as the network memorises
        RunConfig cfg = RunConfig.builder(SPEC, Trainer.builder(SPEC).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.adam(0.05f)).batchSize(8).epochs(200).seed(3).shuffle(true).earlyStopping(3).build().settings()).build();
        try (Backend b = BackendKind.EJML.open()) {
            TrainingLoop.Result r = new TrainingLoop(b, cfg, null, null).run(parts[0], parts[1], TrainingLoop.Start.fresh(Parameters.initialise(SPEC, 3)));
            assertEquals(Outcome.EARLY_STOPPED, r.outcome());
            assertTrue(r.epochsDone() < 200);
            // the weights returned are those of the best validation epoch, which the message names
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("kept the weights of epoch (\\d+) \\(validation loss ([0-9.]+)\\)").matcher(r.message());
            assertTrue(m.find(), r.message());
            assertEquals(r.epochsDone() - 3, Integer.parseInt(m.group(1)), "3 epochs without improvement after the best one");
            Metrics ev = Evaluator.evaluate(b, r.parameters(), Loss.CROSS_ENTROPY, parts[1]);
            assertEquals(Double.parseDouble(m.group(2)), ev.loss(), 1e-6);
            assertEquals(r.epochsDone(), r.history().size(), "one summary per epoch");
        }
    }

    @Test
    void earlyStoppingResumesWithItsMemory() {
        Dataset[] parts = Splits.validation(data(), 0.3, 1);
        Path ckpt = dir.resolve("es.npz");
        RunConfig cfg = RunConfig.builder(SPEC, Trainer.builder(SPEC).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.adam(0.05f)).batchSize(8).epochs(200).seed(3).shuffle(true).earlyStopping(3).build().settings()).checkpoint(ckpt).build();
        Parameters init = Parameters.initialise(SPEC, 3);
        try (Backend b = BackendKind.EJML.open()) {
            TrainingLoop.Result straight = new TrainingLoop(b, cfg, null, null).run(parts[0], parts[1], TrainingLoop.Start.fresh(init));
            assertEquals(Outcome.EARLY_STOPPED, straight.outcome());
            // stop one epoch before the end, resume: the same best epoch and weights
            int stopAt = straight.epochsDone() - 1;
            Cancellation c = new Cancellation();
            TrainingLoop.Result first = new TrainingLoop(b, cfg, new TrainingListener() {
                @Override
                public void onEpochEnd(EpochSummary s) {
                    if (s.epoch() == stopAt) c.cancel();
                }
            }, c).run(parts[0], parts[1], TrainingLoop.Start.fresh(init));
            assertEquals(Outcome.CANCELLED, first.outcome());
            TrainingLoop.Result rest = new TrainingLoop(b, cfg, null, null).run(parts[0], parts[1], TrainingLoop.Start.from(ModelFormat.readCheckpoint(ckpt)));
            assertEquals(Outcome.EARLY_STOPPED, rest.outcome());
            assertEquals(straight.message(), rest.message());
            assertTrue(rest.parameters().bitwiseEquals(straight.parameters()));
        }
    }
}
