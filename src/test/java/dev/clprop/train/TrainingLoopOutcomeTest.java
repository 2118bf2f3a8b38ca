package dev.clprop.train;

import dev.clprop.Trainer;

import dev.clprop.spi.RunConfig;

import dev.clprop.ClpropTestBase;
import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the loop's settings do to the weights, checked against what they mean rather than against the
 * other backend (which shares the loop): one full-batch SGD step per epoch, so each claim is a formula.
 */
class TrainingLoopOutcomeTest extends ClpropTestBase {
    static final Architecture ARCH = Architecture.parse("6,9:tanh,4:softmax");
    static final Dataset DATA = TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, Architecture.parse("6,9:sigmoid,4:softmax"), 4);
    static final Parameters START = Parameters.initialise(ARCH, 5);

    static TrainingLoop.Result run(Dataset data, float lr, int epochs, Schedule schedule, float clipNorm, float[] classWeights) {
        RunConfig cfg = RunConfig.builder(ARCH, Trainer.builder(ARCH).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.sgd(lr)).batchSize(data.rows()).epochs(epochs).seed(3).shuffle(true).schedule(schedule).clipNorm(clipNorm).classWeights(classWeights).build().settings()).build();
        try (Backend b = new EjmlBackend()) {
            return new TrainingLoop(b, cfg, null, null).run(data, null, TrainingLoop.Start.fresh(START));
        }
    }

    /** The global L2 norm of {@code a - b} over every parameter. */
    static double distance(Parameters a, Parameters b) {
        double s = 0;
        for (ParamShape p : a.shapes()) {
            float[] x = a.get(p.name()), y = b.get(p.name());
            for (int i = 0; i < x.length; i++) s += (double) (x[i] - y[i]) * (x[i] - y[i]);
        }
        return Math.sqrt(s);
    }

    @Test
    void clippingLimitsTheStepToTheLearningRateTimesTheClipNorm() {
        float lr = 0.5f, clip = 1e-3f;
        double unclipped = distance(run(DATA, lr, 1, null, 0f, null).parameters(), START);
        assertTrue(unclipped > 10 * lr * clip, "the test needs gradients well above the clip norm: step " + unclipped);
        double clipped = distance(run(DATA, lr, 1, null, clip, null).parameters(), START);
        assertEquals(lr * clip, clipped, lr * clip * 1e-3, "one SGD step with clipped gradients moves the weights by lr · clipNorm");
    }

    @Test
    void aClassWeightOfZeroRemovesThatClassFromTheGradient() {
        // weighted mean over the batch with weights (0, 1, 0, 0) = the plain mean over class 1's rows
        int[] rows = IntStream.range(0, DATA.rows()).filter(r -> DATA.label(r) == 1).toArray();
        assertTrue(rows.length >= 5 && rows.length < DATA.rows() / 2, "the data has some rows of class 1: " + rows.length);
        float[] x = new float[rows.length * DATA.featureCount()];
        int[] labels = new int[rows.length];
        float[] all = DATA.featureMatrix();
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(all, rows[i] * DATA.featureCount(), x, i * DATA.featureCount(), DATA.featureCount());
            labels[i] = 1;
        }
        Dataset onlyClass1 = Dataset.classification("class 1", x, DATA.featureCount(), labels, null);
        Parameters weighted = run(DATA, 0.5f, 1, null, 0f, new float[]{0f, 1f, 0f, 0f}).parameters();
        Parameters subset = run(onlyClass1, 0.5f, 1, null, 0f, null).parameters();
        Parameters plain = run(DATA, 0.5f, 1, null, 0f, null).parameters();
        assertTrue(distance(weighted, subset) < 1e-6, "weighted step differs from the class-1 step by " + distance(weighted, subset));
        assertTrue(distance(weighted, plain) > 1e-3, "class weights changed nothing");
    }

    @Test
    void aStepScheduleWithATinyGammaFreezesTheWeightsAfterItsFirstStep() {
        Parameters once = run(DATA, 0.5f, 1, null, 0f, null).parameters();
        TrainingLoop.Result r = run(DATA, 0.5f, 3, Schedule.parse("step:1:1e-9"), 0f, null);
        assertTrue(distance(once, r.parameters()) < 1e-7, "epochs 2 and 3 ran with learning rates 5e-10 and 5e-19 yet moved the weights");
        assertEquals(0.5, r.history().get(0).learningRate(), 1e-7);
        assertEquals(0.5e-18, r.history().get(2).learningRate(), 1e-24);
    }

    @Test
    void warmupStartsAtTheLearningRateOverN() {
        Parameters warm = run(DATA, 0.4f, 1, Schedule.parse("warmup:4"), 0f, null).parameters();
        Parameters quarter = run(DATA, 0.1f, 1, null, 0f, null).parameters();
        Parameters full = run(DATA, 0.4f, 1, null, 0f, null).parameters();
        assertTrue(distance(warm, quarter) < 1e-6, "the first warmup step did not use lr/4: " + distance(warm, quarter));
        assertTrue(distance(warm, full) > 1e-3);
    }

    @Test
    void theEpochsTrainingLossIsTheLossOfTheWeightsItStartedFrom() {
        // one full batch per epoch: the batch loss is taken before the update
        TrainingLoop.Result r = run(DATA, 0.5f, 2, null, 0f, null);
        double want0, want1;
        try (Backend b = new EjmlBackend()) {
            want0 = Evaluator.evaluate(b, START, Loss.CROSS_ENTROPY, DATA).loss();
            want1 = Evaluator.evaluate(b, run(DATA, 0.5f, 1, null, 0f, null).parameters(), Loss.CROSS_ENTROPY, DATA).loss();
        }
        assertEquals(want0, r.history().get(0).trainLoss(), 1e-5);
        assertEquals(want1, r.history().get(1).trainLoss(), 1e-5);
        assertNotEquals(want0, want1);
    }

    @Test
    void anEpochsTimeIsPartOfTheRunsTime() {
        long t0 = System.nanoTime();
        TrainingLoop.Result r = run(DATA, 0.5f, 3, null, 0f, null);
        double wall = (System.nanoTime() - t0) / 1e9;
        double sum = 0;
        for (EpochSummary e : r.history()) {
            assertTrue(e.seconds() > 0, "epoch time " + e.seconds());
            assertEquals(DATA.rows() / e.seconds(), e.samplesPerSecond(), 1e-6 * e.samplesPerSecond());
            sum += e.seconds();
        }
        assertTrue(sum <= wall, "epochs took " + sum + " s of a " + wall + " s run");
    }

    @Test
    void noProgressIsReportedBeforeItsIntervalHasPassed() {
        RunConfig cfg = RunConfig.builder(ARCH, Trainer.builder(ARCH).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.sgd(0.1f)).batchSize(4).epochs(2).seed(3).shuffle(true).build().settings()).build();
        int[] progress = {0};
        try (Backend b = new EjmlBackend()) {
            new TrainingLoop(b, cfg, new TrainingListener() {
                @Override
                public void onProgress(int epoch, int rowsDone, int rows, double meanLoss) {
                    progress[0]++;
                }

                @Override
                public long progressIntervalMillis() {
                    return Long.MAX_VALUE / 2;
                }
            }, null).run(DATA, null, TrainingLoop.Start.fresh(START));
        }
        assertEquals(0, progress[0], "progress reported within an interval of 146 million years");
    }

    @Test
    void lockstepPassesEveryOtherCallToItsDeviceAndLeavesNoReferenceBuffers() {
        int[] finished = {0};
        EjmlBackend reference = new EjmlBackend(false);
        try (Backend ejml = new dev.clprop.DelegatingBackend(new EjmlBackend()) {
            @Override
            public String name() {
                return inner.name();
            }

            @Override
            public void finish() {
                finished[0]++;
            }
        }; Lockstep lockstep = new Lockstep(ejml, reference)) {
            Backend lock = lockstep.backend();
            assertEquals(ejml.name(), lock.name());
            assertTrue(lockstep.device() == ejml);
            Tensor t = lock.allocate(2, 3);
            assertEquals(ejml.liveBuffers(), lock.liveBuffers());
            assertEquals(1, lock.liveBuffers());
            lock.upload(t, new float[]{1, 2, 3, 4, 5, 6});
            lock.zero(t);
            lock.finish();
            assertEquals(1, finished[0], "finish did not reach the device");
            float[] back = new float[6];
            ejml.download(t, back);
            assertFalse(IntStream.range(0, 6).anyMatch(i -> back[i] != 0), "zero did not reach the device");
            Tensor w = lock.allocate(2, 3), out = lock.allocate(2, 2), c = lock.allocate(1, 1);
            lock.upload(c, new float[]{2});
            lockstep.begin();
            lock.gemmForward(t, w, out, 2);
            lock.scale(out, c);
            assertTrue(lockstep.end("a test").startsWith("verify a test vs ejml: 2 ops agree (2 outputs)"));
            assertEquals(0, reference.liveBuffers(), "the reference copies of an op's arguments are closed after it");
            lockstep.begin();
            lock.gemmForward(t, w, out, 2);
            assertEquals(0, reference.liveBuffers());
            c.close();
            out.close();
            w.close();
            t.close();
        }
    }
}
