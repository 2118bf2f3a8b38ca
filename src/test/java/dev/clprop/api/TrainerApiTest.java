package dev.clprop.api;

import dev.clprop.ClpropTestBase;
import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.Dataset;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.TrainingInterruptedException;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.train.Cancellation;
import dev.clprop.train.EpochSummary;
import dev.clprop.train.Outcome;
import dev.clprop.train.RunInfo;
import dev.clprop.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public API as a user meets it: outcomes, errors in its own terms, threads and files. */
class TrainerApiTest extends ClpropTestBase {
    @TempDir
    Path dir;

    /** Points around two centres, labelled by centre: learnable to near 100%. */
    Dataset clusters(int rows) {
        float[][] x = new float[rows][2];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = i % 2;
            x[i][0] = (float) (rng.nextGaussian() * 0.5 + (y[i] == 0 ? -2 : 2));
            x[i][1] = (float) (rng.nextGaussian() * 0.5);
        }
        return Dataset.classification(x, y);
    }

    static final Architecture ARCH = Architecture.builder(2).dense(8, Activation.TANH).dense(2, Activation.SOFTMAX).build();

    Trainer.Builder trainer() {
        return Trainer.builder(ARCH).optimizer(Optimizer.adam(0.05f)).batchSize(16).epochs(5).device("cpu");
    }

    @Test
    void fitLearnsAndReportsEveryEpoch() {
        Dataset d = clusters(200);
        List<String> events = new ArrayList<>();
        TrainingResult r = trainer().validationSplit(0.25).listener(new TrainingListener() {
            @Override
            public void onStart(RunInfo info) {
                events.add("start " + info.trainingRows() + "+" + info.validationRows());
            }

            @Override
            public void onEpochStart(int epoch, int epochs, int rows) {
                events.add("epoch " + epoch + "/" + epochs);
            }

            @Override
            public void onEpochEnd(EpochSummary s) {
                events.add("end " + s.epoch() + (Double.isNaN(s.validationAccuracy()) ? "" : " val"));
            }
        }).build().fit(d);
        assertEquals(Outcome.COMPLETED, r.outcome());
        assertEquals(5, r.epochs());
        assertEquals(5, r.history().size());
        assertEquals(List.of("start 150+50", "epoch 1/5", "end 1 val", "epoch 2/5", "end 2 val", "epoch 3/5", "end 3 val",
                "epoch 4/5", "end 4 val", "epoch 5/5", "end 5 val"), events);
        Metrics m = r.model().evaluate(d);
        assertTrue(m.accuracy() > 0.95, "separable clusters: " + m.accuracy());
        assertEquals(200, m.rows());
    }

    @Test
    void regressionOnArrays() {
        float[][] x = new float[100][1], y = new float[100][1];
        for (int i = 0; i < 100; i++) {
            x[i][0] = i / 100f;
            y[i][0] = 3 * x[i][0] - 1;
        }
        Architecture lin = Architecture.parse("1,1:linear");
        TrainingResult r = Trainer.builder(lin).optimizer(Optimizer.sgd(0.5f)).batchSize(10).epochs(50).device("cpu").build()
                .fit(Dataset.regression(x, y));
        float[] w = r.model().parameters().get("W1"), b = r.model().parameters().get("b1");
        assertEquals(3, w[0], 0.05, "slope");
        assertEquals(-1, b[0], 0.05, "intercept");
        assertEquals(0.5f * 3 - 1, r.model().predict(new float[]{0.5f})[0], 0.05);
        assertTrue(r.model().evaluate(Dataset.regression(x, y)).mse() < 1e-3);
    }

    @Test
    void errorsNameTheSettingOrTheRow() {
        InvalidSettingException batch = assertThrows(InvalidSettingException.class, () -> trainer().batchSize(0).build());
        assertEquals("batchSize", batch.setting());
        assertEquals("batchSize must be a positive integer, got 0", batch.getMessage());
        assertEquals("learningRate", assertThrows(InvalidSettingException.class, () -> Optimizer.adam(-1)).setting());
        assertEquals("validationSplit", assertThrows(InvalidSettingException.class, () -> trainer().validationSplit(1.5).build()).setting());
        assertEquals("earlyStopping", assertThrows(InvalidSettingException.class, () -> trainer().earlyStopping(3).build().fit(clusters(20))).setting());
        assertEquals("architecture", assertThrows(InvalidSettingException.class, () -> Architecture.parse("2,4:softmax,2:softmax")).setting());
        assertEquals("device", assertThrows(InvalidSettingException.class, () -> Device.open("opencl:99").close()).setting());

        int[] labels = new int[20];
        labels[13] = 5;
        InvalidInputException label = assertThrows(InvalidInputException.class,
                () -> trainer().build().fit(Dataset.classification(new float[20][2], labels)));
        assertTrue(label.getMessage().contains("row 14") && label.getMessage().contains("label 5") && label.getMessage().contains("0..1"), label.getMessage());
        InvalidInputException width = assertThrows(InvalidInputException.class, () -> trainer().build().fit(Dataset.classification(new float[4][3], new int[4])));
        assertTrue(width.getMessage().contains("3 feature columns") && width.getMessage().contains("takes 2 inputs"), width.getMessage());
        InvalidInputException ragged = assertThrows(InvalidInputException.class, () -> Dataset.classification(new float[][]{{1, 2}, {3}}, new int[2]));
        assertTrue(ragged.getMessage().contains("row 1"), ragged.getMessage());
        float[][] nan = {{1, Float.NaN}};
        assertThrows(InvalidInputException.class, () -> Dataset.classification(nan, new int[1]));
    }

    @Test
    void saveAndLoadGiveTheSameModel() {
        Model m = trainer().standardize(true).build().fit(clusters(64)).model();
        Path f = dir.resolve("m.npz");
        m.save(f);
        Model back = Model.load(f);
        assertTrue(back.sameAs(m));
        float[] row = {1.5f, -0.3f};
        assertArrayEquals(m.predict(row), back.predict(row));
        assertEquals(m.predictClass(row), back.predictClass(row));
        IncompatibleModelException wrong = assertThrows(IncompatibleModelException.class, () -> Model.loadWeights(f, Architecture.parse("2,9:tanh,2:softmax")));
        assertTrue(wrong.getMessage().contains("W1 has shape (8, 2)") && wrong.getMessage().contains("(9, 2)"), wrong.getMessage());
        assertThrows(InvalidInputException.class, () -> m.predict(new float[]{1f}));
    }

    @Test
    void aModelPredictsTheSameFromManyThreads() throws Exception {
        Model m = trainer().build().fit(clusters(64)).model();
        float[][] rows = new float[300][];
        for (int i = 0; i < rows.length; i++) rows[i] = new float[]{(float) rng.nextGaussian(), (float) rng.nextGaussian()};
        float[][] once = m.predict(rows);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[][]>> all = new ArrayList<>();
            for (int t = 0; t < 8; t++) all.add(pool.submit(() -> m.predict(rows)));
            for (Future<float[][]> f : all) {
                float[][] p = f.get();
                for (int i = 0; i < rows.length; i++) assertArrayEquals(once[i], p[i]);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void anotherThreadCancelsARun() throws Exception {
        Cancellation stop = new Cancellation();
        Path ckpt = dir.resolve("ckpt.npz");
        Trainer t = trainer().epochs(1000).batchSize(4).checkpoint(ckpt).cancellation(stop).listener(new TrainingListener() {
            @Override
            public void onEpochEnd(EpochSummary s) {
                if (s.epoch() == 3) new Thread(stop::cancel).start();
            }
        }).build();
        TrainingResult r = t.fit(clusters(400));
        assertEquals(Outcome.CANCELLED, r.outcome());
        assertTrue(r.epochs() >= 3 && r.epochs() < 1000, "stopped soon after the cancel: " + r.epochs());
        assertTrue(r.message().contains("checkpoint written to " + ckpt), r.message());
        assertTrue(Files.isRegularFile(ckpt));
    }

    @Test
    void anInterruptedThreadStopsWithATypedException() throws Exception {
        Path ckpt = dir.resolve("interrupted.npz");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                trainer().epochs(1000).batchSize(4).checkpoint(ckpt).listener(new TrainingListener() {
                    @Override
                    public void onEpochEnd(EpochSummary s) {
                        if (s.epoch() == 2) Thread.currentThread().interrupt();
                    }
                }).build().fit(clusters(400));
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        worker.start();
        worker.join(60_000);
        assertTrue(thrown.get() instanceof TrainingInterruptedException, String.valueOf(thrown.get()));
        assertEquals(ckpt, ((TrainingInterruptedException) thrown.get()).checkpoint());
        assertTrue(Files.isRegularFile(ckpt));
    }

    @Test
    void resumeRefusesASettingThatWouldChangeTheResultAndNamesIt() {
        Dataset d = clusters(64);
        Path ckpt = dir.resolve("run.npz");
        Cancellation stop = new Cancellation();
        trainer().checkpoint(ckpt).cancellation(stop).listener(new TrainingListener() {
            @Override
            public void onEpochEnd(EpochSummary s) {
                if (s.epoch() == 2) stop.cancel();
            }
        }).build().fit(d);
        TrainingResult straight = trainer().build().fit(d);
        assertTrue(trainer().build().resume(ckpt, d).model().sameAs(straight.model()), "resume continues the same run");
        assertEquals("batchSize", assertThrows(InvalidSettingException.class, () -> trainer().batchSize(8).build().resume(ckpt, d)).setting());
        assertEquals("learningRate", assertThrows(InvalidSettingException.class, () -> trainer().optimizer(Optimizer.adam(0.01f)).build().resume(ckpt, d)).setting());
        assertEquals("shuffle", assertThrows(InvalidSettingException.class, () -> trainer().shuffle(false).build().resume(ckpt, d)).setting());
        assertEquals("seed", assertThrows(InvalidSettingException.class, () -> trainer().seed(1).build().resume(ckpt, d)).setting());
        assertEquals("standardize", assertThrows(InvalidSettingException.class, () -> trainer().standardize(true).build().resume(ckpt, d)).setting());
        assertEquals("validationSplit", assertThrows(InvalidSettingException.class, () -> trainer().validationSplit(0.2).build().resume(ckpt, d)).setting());
        assertEquals("optimizer", assertThrows(InvalidSettingException.class, () -> trainer().optimizer(Optimizer.sgd(0.05f)).build().resume(ckpt, d)).setting());
        InvalidInputException data = assertThrows(InvalidInputException.class, () -> trainer().build().resume(ckpt, clusters(64)));
        assertTrue(data.getMessage().contains("training data differs"), data.getMessage());
    }

    @Test
    void schedulesClippingAndClassWeightsResumeAndAreRefusedWhenChanged() {
        Dataset d = clusters(64);
        Path ckpt = dir.resolve("s.npz");
        java.util.function.Supplier<Trainer.Builder> t = () -> trainer().schedule(dev.clprop.optim.Schedule.parse("warmup:3+cosine"))
                .clipNorm(0.5f).classWeights(1f, 2f);
        Cancellation stop = new Cancellation();
        t.get().checkpoint(ckpt).cancellation(stop).listener(new TrainingListener() {
            @Override
            public void onEpochEnd(EpochSummary s) {
                if (s.epoch() == 2) stop.cancel();
            }
        }).build().fit(d);
        TrainingResult straight = t.get().build().fit(d);
        assertTrue(t.get().build().resume(ckpt, d).model().sameAs(straight.model()), "the schedule continues where it stood");
        assertEquals("schedule", assertThrows(InvalidSettingException.class,
                () -> t.get().schedule(dev.clprop.optim.Schedule.parse("cosine")).build().resume(ckpt, d)).setting());
        assertEquals("clipNorm", assertThrows(InvalidSettingException.class, () -> t.get().clipNorm(1f).build().resume(ckpt, d)).setting());
        assertEquals("classWeights", assertThrows(InvalidSettingException.class, () -> t.get().classWeights(1f, 3f).build().resume(ckpt, d)).setting());
        double[] rates = straight.history().stream().mapToDouble(EpochSummary::learningRate).toArray();
        assertEquals(0.05, rates[0], 1e-7, "epoch 1 ends after the 3-step warmup, at the cosine's start");
        assertEquals(0.05 * (1 + Math.cos(Math.PI * 4 / 5)) / 2, rates[4], 1e-7);
    }

    @Test
    void balancedClassWeightsAreScikitLearns() {
        Dataset d = Dataset.classification(new float[6][2], new int[]{0, 0, 0, 0, 1, 1});
        float[] w = Trainer.balanced(d, 3);
        assertEquals(6.0 / (2 * 4), w[0], 1e-7);
        assertEquals(6.0 / (2 * 2), w[1], 1e-7);
        assertEquals(0, w[2], "a class without rows weighs nothing");
        assertEquals("classWeights", assertThrows(InvalidSettingException.class, () -> trainer().classWeights(1f, 2f, 3f).build()).setting());
        assertEquals("classWeights", assertThrows(InvalidSettingException.class, () -> trainer().classWeights(0f, 0f).build()).setting());
        assertEquals("classWeights", assertThrows(InvalidSettingException.class, () -> trainer().classWeights(1f, -1f).build()).setting());
        assertEquals("classWeights", assertThrows(InvalidSettingException.class,
                () -> Trainer.builder(Architecture.parse("2,1:sigmoid")).classWeights(1f).build()).setting(), "cross-entropy only");
        assertEquals("clipNorm", assertThrows(InvalidSettingException.class, () -> trainer().clipNorm(-1f).build()).setting());
        TrainingResult r = trainer().balancedClassWeights().build().fit(clusters(64));
        assertEquals(Outcome.COMPLETED, r.outcome());
    }

    @Test
    void devicesOpenByChoiceAndCloseOnce() {
        try (Device cpu = Device.open("cpu")) {
            assertTrue(cpu.isReference());
            assertEquals("ejml", cpu.name());
        }
        List<String> said = new ArrayList<>();
        Device cl = Device.open("opencl:" + OpenClDevices.device().index(), said::add);
        assertTrue(!cl.isReference() && cl.name().startsWith("opencl:"), cl.name());
        assertTrue(said.get(0).startsWith("device: opencl:"), said.toString());
        Model m = trainer().device(cl).build().fit(clusters(64)).model();
        assertEquals(m.predictClass(new float[]{2, 0}), Model.load(saved(m)).predictClass(new float[]{2, 0}));
        cl.close();
        cl.close();
        assertThrows(IllegalStateException.class, () -> m.predict(new float[][]{{1, 2}}, cl), "a closed device refuses work");
        assertTrue(Device.available().stream().anyMatch(d -> d.id().equals("cpu")));
    }

    Path saved(Model m) {
        Path f = dir.resolve("x.npz");
        m.save(f);
        return f;
    }

    @Test
    void aRunResumedWithinAnEpochReportsTheLossesOfAnUninterruptedOne() {
        Dataset d = clusters(200);
        Path ckpt = dir.resolve("mid.npz");
        Cancellation stop = new Cancellation();
        // stop after the third batch of epoch 2 (progress is reported every batch here)
        trainer().batchSize(16).checkpoint(ckpt).cancellation(stop).listener(new TrainingListener() {
            @Override
            public long progressIntervalMillis() {
                return 0;
            }

            @Override
            public void onProgress(int epoch, int rowsDone, int rows, double runningLoss) {
                if (epoch == 2 && rowsDone >= 48) stop.cancel();
            }
        }).build().fit(d);
        TrainingResult resumed = trainer().batchSize(16).build().resume(ckpt, d);
        TrainingResult straight = trainer().batchSize(16).build().fit(d);
        assertTrue(resumed.model().sameAs(straight.model()), "the same weights");
        var a = resumed.history().get(0);
        var b = straight.history().get(1);
        assertEquals(2, a.epoch());
        // the device sums batch losses in float between reads, so the last bits depend on when they are read;
        // before the checkpoint kept the epoch's first part, the resumed epoch reported the mean of its rest alone
        assertEquals(b.trainLoss(), a.trainLoss(), 1e-6 * Math.abs(b.trainLoss()), "the interrupted epoch's training loss");
    }
}
