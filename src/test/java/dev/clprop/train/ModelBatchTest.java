package dev.clprop.train;

import dev.clprop.Device;
import dev.clprop.OpenClDevices;
import dev.clprop.Sweep;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.KernelOp;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models trained together end as their solo runs do (the sweep's promise), on the EJML path and on
 * OpenCL; each op of the batch agrees with its reference on awkward shapes; one launch covers every model.
 */
class ModelBatchTest {
    static final Tolerance SAME_RUN = new Tolerance(1e-4, 1e-4);

    /** 203 rows of 7 features in 3 classes that a small network can separate. */
    static Dataset classes(long seed) {
        Random r = new Random(seed);
        float[][] x = new float[203][7];
        int[] y = new int[203];
        for (int i = 0; i < x.length; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 7; j++) x[i][j] = (float) (r.nextGaussian() + (j % 3 == y[i] ? 1.5 : 0));
        }
        return Dataset.classification(x, y);
    }

    static Dataset regression(long seed) {
        Random r = new Random(seed);
        float[][] x = new float[150][5], t = new float[150][2];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < 5; j++) x[i][j] = (float) r.nextGaussian();
            t[i][0] = (float) Math.sin(x[i][0] + x[i][1]);
            t[i][1] = 0.5f * x[i][2] - x[i][3] * x[i][4];
        }
        return Dataset.regression(x, t);
    }

    /** Each together-trained model against its trainer's own fit: weights, epochs, outcome, validation figures. */
    static void assertEachEqualsItsSoloRun(List<Trainer> trainers, Dataset train, Dataset validation, Device device) {
        List<String> said = new ArrayList<>();
        List<TrainingResult> together = Sweep.of(trainers).log(said::add).fit(train, validation);
        assertTrue(said.stream().noneMatch(s -> s.contains("one at a time")), said.toString());
        assertEquals(trainers.size(), together.size());
        for (int k = 0; k < trainers.size(); k++) {
            TrainingResult solo = trainers.get(k).fit(train, validation), t = together.get(k);
            String what = device + ", model " + k;
            assertEquals(solo.outcome(), t.outcome(), what);
            assertEquals(solo.epochs(), t.epochs(), what);
            assertEquals(solo.model().architecture(), t.model().architecture(), what);
            for (ParamShape s : solo.model().architecture().parameterShapes()) {
                Tolerance.Report rep = SAME_RUN.compare(t.model().parameters().get(s.name()), solo.model().parameters().get(s.name()));
                assertTrue(rep.ok(), what + " " + s.name() + ": " + rep.describe());
            }
            assertEquals(solo.history().size(), t.history().size(), what);
            for (int e = 0; e < solo.history().size(); e++) {
                var a = solo.history().get(e);
                var b = t.history().get(e);
                assertEquals(a.trainLoss(), b.trainLoss(), 1e-4 * (1 + Math.abs(a.trainLoss())), what + " epoch " + (e + 1) + " training loss");
                if (!Double.isNaN(a.validationLoss())) assertEquals(a.validationLoss(), b.validationLoss(), 1e-4 * (1 + Math.abs(a.validationLoss())), what + " validation loss");
                assertEquals(a.validationAccuracy(), b.validationAccuracy(), 0.011, what + " validation accuracy");
                assertEquals(a.learningRate(), b.learningRate(), 0f, what + " learning rate");
            }
        }
        // the models differ from one another: a batch that trained one model K times would pass the loop above only by accident
        assertNotEquals(together.get(0).model().parameters().get("W1")[0], together.get(1).model().parameters().get("W1")[0]);
    }

    static List<Device> devices() {
        return List.of(Device.cpu(), Device.open("opencl:" + OpenClDevices.device().index()));
    }

    @Test
    void aSweepOfLearningRatesSeedsAndDropoutEndsAsEachSoloRunWithValidationSplitsOfTheirOwn() {
        Dataset data = classes(5);
        for (Device d : devices()) {
            try (d) {
                List<Trainer> trainers = new ArrayList<>();
                float[][] settings = {{0.01f, 1, 0.2f}, {0.003f, 2, 0f}, {0.02f, 2, 0.5f}};
                for (float[] s : settings) {
                    Architecture a = Architecture.parse("7,33:relu,dropout:" + s[2] + ",17:gelu,3:softmax");
                    trainers.add(Trainer.builder(a).optimizer(Optimizer.adam(s[0]).withWeightDecay(0.01f)).batchSize(17).epochs(3).seed((long) s[1])
                            .validationSplit(0.2).schedule(Schedule.parse("cosine")).device(d).build());
                }
                assertEachEqualsItsSoloRun(trainers, data, null, d);
            }
        }
    }

    @Test
    void regressionWithMomentumClippingAndModelsThatStopAtDifferentEpochs() {
        Dataset data = regression(3), validation = regression(4);
        for (Device d : devices()) {
            try (d) {
                List<Trainer> trainers = new ArrayList<>();
                int[] epochs = {2, 5, 4};
                float[] lr = {0.05f, 0.01f, 0.03f};
                for (int k = 0; k < 3; k++) {
                    trainers.add(Trainer.builder(Architecture.parse("5,16:tanh,7:silu,2:linear")).loss(Loss.MSE)
                            .optimizer(Optimizer.momentum(lr[k], 0.8f + 0.05f * k).withWeightDecay(0.001f * k)).batchSize(32).epochs(epochs[k])
                            .seed(7).clipNorm(0.5f).earlyStopping(k == 2 ? 1 : 0).device(d).build());
                }
                assertEachEqualsItsSoloRun(trainers, data, validation, d);
            }
        }
    }

    @Test
    void classWeightsAndSgdAndAnOddLastBatch() {
        Dataset data = classes(9);
        for (Device d : devices()) {
            try (d) {
                List<Trainer> trainers = new ArrayList<>();
                for (long seed = 1; seed <= 4; seed++) {
                    trainers.add(Trainer.builder(Architecture.parse("7,1:sigmoid,3:softmax")).optimizer(Optimizer.sgd(0.1f)).batchSize(200)
                            .epochs(2).seed(seed).balancedClassWeights().device(d).build());
                }
                assertEachEqualsItsSoloRun(trainers, data, null, d);
            }
        }
    }

    @Test
    void whatABatchCannotTrainTrainsOneAtATimeAndSaysWhy() {
        Dataset data = classes(2);
        List<Trainer> trainers = new ArrayList<>();
        Device cpu = Device.cpu();
        for (long seed = 1; seed <= 2; seed++) {
            trainers.add(Trainer.builder(Architecture.parse("7,8:relu,layernorm,3:softmax")).epochs(1).seed(seed).device(cpu).build());
        }
        List<String> said = new ArrayList<>();
        List<TrainingResult> r = Sweep.of(trainers).log(said::add).fit(data);
        assertEquals(List.of("sweep: training the models one at a time, because layer 2 ('layernorm') is not one a model batch trains yet (dense and dropout are)"), said);
        assertEquals(2, r.size());
        for (int k = 0; k < 2; k++) assertEquals(0f, Math.abs(trainers.get(k).fit(data).model().parameters().get("W1")[3] - r.get(k).model().parameters().get("W1")[3]));
    }

    @Test
    void unsupportedNamesEachReason() {
        Dataset data = classes(1);
        assertNull(reason("7,4:relu,dropout:0.1,3:softmax", "7,4:relu,dropout:0.3,3:softmax", Optimizer.adam(0.01f), Optimizer.adam(0.1f), data, data));
        assertTrue(reason("7,4:relu,3:softmax", "7,5:relu,3:softmax", Optimizer.adam(0.01f), Optimizer.adam(0.01f), data, data).startsWith("the models' layers differ"));
        assertEquals("the models' optimizers differ in kind or betas", reason("7,4:relu,3:softmax", "7,4:relu,3:softmax", Optimizer.adam(0.01f), Optimizer.sgd(0.01f), data, data));
        assertEquals("the models' training sets differ in size",
                reason("7,4:relu,3:softmax", "7,4:relu,3:softmax", Optimizer.sgd(0.01f), Optimizer.sgd(0.01f), data, data.subset(new int[]{1, 2, 3}, "part")));
        Dataset other = classes(2);
        assertEquals("the models' validation sets differ in size", ModelBatch.unsupported(configs("7,3:softmax", 2), List.of(data, data),
                java.util.Arrays.asList(data, null)));
        assertNull(ModelBatch.unsupported(configs("7,3:softmax", 2), List.of(data, other), List.of(other, data)), "different rows, same sizes");
        var settings = dev.clprop.settings.TrainingSettings.DEFAULTS;
        Architecture arch = Architecture.parse("7,3:softmax");
        java.util.function.BiFunction<dev.clprop.settings.TrainingSettings, dev.clprop.spi.RunConfig.Builder, String> second = (st, bld) ->
                ModelBatch.unsupported(List.of(dev.clprop.spi.RunConfig.builder(arch, settings).build(), bld.build()), List.of(data, data), null);
        assertEquals("the models' batch sizes differ", second.apply(null, dev.clprop.spi.RunConfig.builder(arch, settings.withBatchSize(7))));
        assertEquals("the models' gradient clipping differs", second.apply(null, dev.clprop.spi.RunConfig.builder(arch, settings.withClipNorm(1f))));
        assertEquals("some models weight classes and some do not", second.apply(null, dev.clprop.spi.RunConfig.builder(arch, settings).classWeights(new float[]{1, 2, 3})));
        assertEquals("lockstep verification (verifyEvery) checks one model at a time", second.apply(null, dev.clprop.spi.RunConfig.builder(arch, settings.withVerifyEvery(5))));
        assertEquals("a checkpoint file is written for one model at a time", second.apply(null, dev.clprop.spi.RunConfig.builder(arch, settings).checkpoint(java.nio.file.Path.of("c.npz"))));
        Architecture sigmoid = Architecture.parse("7,3:sigmoid");
        assertEquals("the models' losses differ", ModelBatch.unsupported(List.of(dev.clprop.spi.RunConfig.builder(sigmoid, settings.withLoss(Loss.BCE)).build(),
                dev.clprop.spi.RunConfig.builder(sigmoid, settings.withLoss(Loss.MSE)).build()), List.of(data, data), null));
        List<dev.clprop.spi.RunConfig> mse = List.of(dev.clprop.spi.RunConfig.builder(Architecture.parse("7,4:relu,3:softmax"),
                dev.clprop.settings.TrainingSettings.DEFAULTS.withLoss(Loss.MSE)).build());
        assertEquals("softmax is trained together only as the output of cross-entropy", ModelBatch.unsupported(mse, List.of(data), null));
    }

    private static String reason(String a1, String a2, Optimizer o1, Optimizer o2, Dataset d1, Dataset d2) {
        List<dev.clprop.spi.RunConfig> cfgs = List.of(
                dev.clprop.spi.RunConfig.builder(Architecture.parse(a1), dev.clprop.settings.TrainingSettings.DEFAULTS.withOptimizer(o1)).build(),
                dev.clprop.spi.RunConfig.builder(Architecture.parse(a2), dev.clprop.settings.TrainingSettings.DEFAULTS.withOptimizer(o2)).build());
        return ModelBatch.unsupported(cfgs, List.of(d1, d2), null);
    }

    @Test
    void oneLaunchPerOpCoversEveryModel() {
        Dataset data = classes(4);
        try (OpenClBackend b = OpenClDevices.backend()) {
            b.setProfiling(true);
            Architecture a = Architecture.parse("7,9:relu,dropout:0.25,3:softmax");
            List<dev.clprop.spi.RunConfig> cfgs = new ArrayList<>();
            for (int k = 0; k < 5; k++) {
                cfgs.add(dev.clprop.spi.RunConfig.builder(a, dev.clprop.settings.TrainingSettings.DEFAULTS.withOptimizer(Optimizer.adam(0.01f)).withSeed(k)).build());
            }
            List<Dataset> trains = List.of(data, data, data, data, data);
            try (ModelBatch mb = new ModelBatch(b, cfgs, trains, null, 50)) {
                // one thread per lane, each asking for the same two batches
                List<Thread> threads = new ArrayList<>();
                List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                for (int k = 0; k < 5; k++) {
                    var lane = mb.lane(k);
                    lane.setParameters(dev.clprop.model.Parameters.initialise(a, k));
                    threads.add(new Thread(() -> {
                        lane.trainBatch(0, 50);
                        lane.trainBatch(50, 50);
                    }));
                    threads.get(k).setUncaughtExceptionHandler((t, e) -> failures.add(e));
                }
                for (Thread t : threads) t.start();
                for (Thread t : threads) join(t);
                assertEquals(List.of(), failures);
                assertEquals(2, mb.lane(0).step());
                // per step: gather, 2 dense forwards, dropout forward and backward, loss (the softmax fused), activation
                // backward (the relu layer's: dropout stands between it and the backward-data), 2 weight gradients (biases fused),
                // 1 backward-data, update
                var profile = b.profile();
                assertEquals(2L, profile.get("mb_gather")[1], profile.keySet().toString());
                assertEquals(4L, profile.get("mb_dense_forward")[1]);
                assertEquals(4L, profile.get("mb_dropout")[1]);
                assertEquals(4L, profile.get("mb_weight_grad")[1]);
                assertEquals(2L, profile.get("mb_backward_data")[1]);
                assertEquals(2L, profile.get("mb_optimizer")[1]);
                long launches = profile.entrySet().stream().filter(e -> e.getKey().startsWith("mb_")).mapToLong(e -> e.getValue()[1]).sum();
                assertEquals(2 * 11L, launches, profile.keySet().toString());
                assertEquals(null, profile.get("mb_softmax"), "training applies the softmax in the loss launch");
                assertFalse(mb.lane(0).parameters().get("W1")[0] == mb.lane(1).parameters().get("W1")[0]);
            }
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static List<dev.clprop.spi.RunConfig> configs(String spec, int k) {
        List<dev.clprop.spi.RunConfig> cfgs = new ArrayList<>();
        for (int i = 0; i < k; i++) cfgs.add(dev.clprop.spi.RunConfig.builder(Architecture.parse(spec), dev.clprop.settings.TrainingSettings.DEFAULTS.withSeed(i)).build());
        return cfgs;
    }

    @Test
    void equalTrainingSetsAreStoredOnceAndAllBuffersAreReleased() {
        Dataset a = classes(4), b = classes(5);
        Dataset aCopy = a.subset(dev.clprop.data.Splits.identity(a.rows()), "copy");
        try (OpenClBackend cl = OpenClDevices.backend()) {
            int before = cl.liveBuffers();
            try (ModelBatch mb = new ModelBatch(cl, configs("7,3:softmax", 3), List.of(a, aCopy, a), null, 10)) {
                assertEquals(a.rows(), mb.storedTrainingRows(), "equal rows, even as another object, are one copy");
                assertTrue(cl.liveBuffers() > before);
            }
            assertEquals(before, cl.liveBuffers(), "closing the batch releases every buffer it allocated");
            try (ModelBatch mb = new ModelBatch(cl, configs("7,3:softmax", 3), List.of(a, b, a), null, 10)) {
                assertEquals(2 * a.rows(), mb.storedTrainingRows());
            }
        }
    }

    @Test
    void weightsReadBeforeAnyStepAreTheOnesSetAndALaneThatLeavesLetsTheOthersStep() {
        Dataset data = classes(4);
        Architecture a = Architecture.parse("7,3:softmax");
        try (ModelBatch mb = new ModelBatch(new EjmlBackend(), configs("7,3:softmax", 2), List.of(data, data), null, 10)) {
            for (int k = 0; k < 2; k++) {
                mb.lane(k).setParameters(dev.clprop.model.Parameters.initialise(a, k + 1));
                mb.lane(k).setOrder(dev.clprop.data.Splits.identity(data.rows()));
            }
            assertTrue(mb.lane(1).parameters().bitwiseEquals(dev.clprop.model.Parameters.initialise(a, 2)), "read back before any step");
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread waiting = new Thread(() -> mb.lane(1).trainBatch(0, 10));
            waiting.setUncaughtExceptionHandler((t, e) -> failures.add(e));
            waiting.start();
            // lane 1 waits for lane 0, which leaves instead: the step runs for lane 1
            while (waiting.getState() != Thread.State.WAITING && waiting.isAlive()) Thread.onSpinWait();
            mb.lane(0).close();
            join(waiting);
            assertEquals(List.of(), failures);
            assertEquals(1, mb.lane(1).step());
            assertFalse(mb.lane(1).parameters().bitwiseEquals(dev.clprop.model.Parameters.initialise(a, 2)), "the step changed the weights");
            assertThrows(IllegalStateException.class, () -> mb.lane(0).trainBatch(10, 10), "a lane that left cannot step");
        }
    }

    @Test
    void anInterruptedWaitingLaneStillGetsItsStepAndKeepsTheInterrupt() {
        Dataset data = classes(4);
        try (ModelBatch mb = new ModelBatch(new EjmlBackend(), configs("7,3:softmax", 2), List.of(data, data), null, 10)) {
            for (int k = 0; k < 2; k++) mb.lane(k).setOrder(dev.clprop.data.Splits.identity(data.rows()));
            java.util.concurrent.atomic.AtomicBoolean keptInterrupt = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong stepSeen = new java.util.concurrent.atomic.AtomicLong(-1);
            Thread waiting = new Thread(() -> {
                mb.lane(1).trainBatch(0, 10);
                keptInterrupt.set(Thread.currentThread().isInterrupted());
                stepSeen.set(mb.lane(1).step());
            });
            waiting.start();
            while (waiting.getState() != Thread.State.WAITING && waiting.isAlive()) Thread.onSpinWait();
            waiting.interrupt();
            // the interrupted lane waits on (it neither returns early nor spins) until lane 0 asks too
            for (int i = 0; i < 100 && waiting.isAlive(); i++) Thread.onSpinWait();
            assertEquals(0, mb.lane(0).step(), "no step ran before every lane asked");
            mb.lane(0).trainBatch(0, 10);
            join(waiting);
            assertEquals(1, stepSeen.get(), "the interrupted lane returned after the step ran");
            assertTrue(keptInterrupt.get(), "the interrupt is kept for the loop to see");
        }
    }

    @Test
    void lanesThatAskForDifferentBatchesFailLoudly() {
        Dataset data = classes(4);
        Architecture a = Architecture.parse("7,3:softmax");
        List<dev.clprop.spi.RunConfig> cfgs = List.of(dev.clprop.spi.RunConfig.builder(a, dev.clprop.settings.TrainingSettings.DEFAULTS).build(),
                dev.clprop.spi.RunConfig.builder(a, dev.clprop.settings.TrainingSettings.DEFAULTS).build());
        try (ModelBatch mb = new ModelBatch(new EjmlBackend(), cfgs, List.of(data, data), null, 10)) {
            Thread other = new Thread(() -> assertThrows(IllegalStateException.class, () -> mb.lane(1).trainBatch(10, 10)));
            other.start();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> mb.lane(0).trainBatch(0, 10));
            join(other);
            assertTrue(e.getMessage().contains("asked for different batches"), e.getMessage());
        }
    }

    // ---- each op against its reference, on shapes that are not multiples of anything

    private static final int K = 3, CAP = 7;

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Runs op on both backends from the same inputs and compares every output. */
    private static final Backend REFERENCE = new EjmlBackend();
    private static Backend device;

    @org.junit.jupiter.api.AfterAll
    static void closeDevice() {
        // nulled too: a JVM that runs this class again (PIT's minions do) must not reuse a closed device
        if (device != null) device.close();
        device = null;
    }

    static void assertAgrees(KernelOp op, int[][] shapes, float[][] values, int m) {
        if (device == null) device = OpenClDevices.backend();
        float[][] expected = run(REFERENCE, op, shapes, values, m), actual = run(device, op, shapes, values, m);
        Tensor[] args = tensors(REFERENCE, shapes, values);
        for (int i : op.outputs()) {
            if (shapes[i] == null) continue;
            Tolerance.Report rep = op.tolerance(args, m).compare(actual[i], expected[i]);
            assertTrue(rep.ok(), op.name() + " m=" + m + " output " + i + ": " + rep.describe());
        }
    }

    private static Tensor[] tensors(Backend b, int[][] shapes, float[][] values) {
        Tensor[] t = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            if (shapes[i] == null) continue;
            t[i] = b.allocate(shapes[i][0], shapes[i][1]);
            b.upload(t[i], values[i]);
        }
        return t;
    }

    private static float[][] run(Backend b, KernelOp op, int[][] shapes, float[][] values, int m) {
        Tensor[] t = tensors(b, shapes, values);
        b.run(op, t, m);
        float[][] out = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            if (t[i] == null) continue;
            out[i] = new float[t[i].size()];
            b.download(t[i], out[i]);
            t[i].close();
        }
        return out;
    }

    static float[][] randoms(Random r, int[][] shapes) {
        float[][] v = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) if (shapes[i] != null) v[i] = random(r, shapes[i][0] * shapes[i][1]);
        return v;
    }

    @Test
    void everyOpAgreesWithItsReferenceOnAwkwardShapes() {
        Random r = new Random(17);
        for (int in : new int[]{1, 7, 17, 33}) {
            for (int n : new int[]{1, 7, 17}) {
                int stride = n * in + n + 5;
                var shape = new ModelBatchOps.DenseShape(in, n, stride, 3, 3 + n * in);
                var noBias = new ModelBatchOps.DenseShape(in, n, stride, 2, -1);
                for (int m : new int[]{1, 5, CAP}) {
                    int[][] dense = {{K * CAP, in}, {K, stride}, {K * CAP, n}, {K * CAP, n}};
                    for (Activation act : Activation.values()) {
                        if (act == Activation.SOFTMAX) continue;
                        assertAgrees(new ModelBatchOps.DenseForward(K, CAP, shape, act), dense, randoms(r, dense), m);
                        assertAgrees(new ModelBatchOps.ActivationBackward(K, CAP, act), new int[][]{{K * CAP, n}, {K * CAP, n}},
                                randoms(r, new int[][]{{K * CAP, n}, {K * CAP, n}}), m);
                    }
                    assertAgrees(new ModelBatchOps.DenseForward(K, CAP, noBias, Activation.RELU), new int[][]{{K * CAP, in}, {K, stride}, null, {K * CAP, n}},
                            randoms(r, dense), m);
                    int[][] wg = {{K * CAP, n}, {K * CAP, in}, {K, stride}};
                    assertAgrees(new ModelBatchOps.WeightGrad(K, CAP, shape), wg, randoms(r, wg), m);
                    assertAgrees(new ModelBatchOps.WeightGrad(K, CAP, noBias), wg, randoms(r, wg), m);
                    int[][] bd = {{K * CAP, n}, {K, stride}, {K * CAP, in}, {K * CAP, in}};
                    assertAgrees(new ModelBatchOps.BackwardData(K, CAP, shape, Activation.LINEAR), new int[][]{bd[0], bd[1], bd[2], null}, randoms(r, bd), m);
                    for (Activation below : Activation.values()) {
                        if (below != Activation.SOFTMAX) assertAgrees(new ModelBatchOps.BackwardData(K, CAP, shape, below), bd, randoms(r, bd), m);
                    }
                }
            }
        }
        for (int n : new int[]{1, 3, 10}) {
            for (int m : new int[]{1, CAP}) {
                int[][] sm = {{K * CAP, n}};
                assertAgrees(new ModelBatchOps.Softmax(K, CAP), sm, randoms(r, sm), m);
                for (Loss loss : Loss.values()) {
                    int[][] ls = {{K * CAP, n}, {K * CAP, n}, {K * CAP, n}, {K, 1}, {K, n}};
                    float[][] v = randoms(r, ls);
                    probabilities(v[0]);
                    probabilities(v[1]);
                    assertAgrees(new ModelBatchOps.LossGradient(K, CAP, loss, false), new int[][]{ls[0], ls[1], ls[2], ls[3], null}, v, m);
                    if (loss == Loss.CROSS_ENTROPY) {
                        for (int i = 0; i < v[4].length; i++) v[4][i] = Math.abs(v[4][i]);
                        assertAgrees(new ModelBatchOps.LossGradient(K, CAP, loss, false), ls, v, m);
                        // from logits: the softmax fused in front
                        float[][] logits = randoms(r, ls);
                        logits[1] = v[1];
                        logits[4] = v[4];
                        assertAgrees(new ModelBatchOps.LossGradient(K, CAP, loss, true), ls, logits, m);
                        assertAgrees(new ModelBatchOps.LossGradient(K, CAP, loss, true), new int[][]{ls[0], ls[1], ls[2], ls[3], null}, logits, m);
                    }
                }
            }
        }
    }

    @Test
    void theLossSpreadsRowsOverItsWorkGroupForBatchesLargerThanTheGroup() {
        Random r = new Random(29);
        int cap = 2 * KernelOp.LOSS_GROUP + 11, n = 10, k = 2;
        for (int m : new int[]{KernelOp.LOSS_GROUP + 1, cap}) {
            int[][] ls = {{k * cap, n}, {k * cap, n}, {k * cap, n}, {k, 1}, {k, n}};
            float[][] v = randoms(r, ls);
            probabilities(v[0]);
            probabilities(v[1]);
            for (int i = 0; i < v[4].length; i++) v[4][i] = Math.abs(v[4][i]);
            for (Loss loss : Loss.values()) assertAgrees(new ModelBatchOps.LossGradient(k, cap, loss, false), new int[][]{ls[0], ls[1], ls[2], ls[3], null}, v, m);
            assertAgrees(new ModelBatchOps.LossGradient(k, cap, Loss.CROSS_ENTROPY, true), ls, v, m);
        }
    }

    /** Values in (0, 1), as outputs of a sigmoid or softmax and targets of bce. */
    private static void probabilities(float[] v) {
        for (int i = 0; i < v.length; i++) v[i] = 1f / (1f + (float) Math.exp(-v[i]));
    }

    @Test
    void gatherDropoutClippingAndTheOptimizersAgreeWithTheirReferences() {
        Random r = new Random(23);
        int rows = 19, nx = 17, ny = 3, orderLen = 11;
        int[][] g = {{rows, nx}, {rows, ny}, {K, orderLen}, {K * CAP, nx}, {K * CAP, ny}};
        float[][] v = randoms(r, g);
        for (int i = 0; i < v[2].length; i++) v[2][i] = r.nextInt(rows);
        assertAgrees(new ModelBatchOps.Gather(K, CAP, orderLen, 4), g, v, CAP);
        assertAgrees(new ModelBatchOps.Gather(K, CAP, orderLen, 10), new int[][]{g[0], null, g[2], g[3], null}, v, 1);

        int hc = ModelBatchOps.Hyper.fixedColumns() + 4;
        for (int n : new int[]{1, 9, 33}) {
            int[][] d = {{K * CAP, n}, {K * CAP, n}, {K, hc}};
            float[][] dv = randoms(r, d);
            for (int k = 0; k < K; k++) {
                ModelBatchOps.putU64(dv[2], k * hc + ModelBatchOps.Hyper.SEED.column(), 0x9E3779B97F4A7C15L * (k + 1));
                dv[2][k * hc + hc - 2] = new dev.clprop.model.DropoutSpec(0.1f + 0.3f * k).threshold();
                dv[2][k * hc + hc - 1] = new dev.clprop.model.DropoutSpec(0.1f + 0.3f * k).scale();
            }
            for (int m : new int[]{1, 6}) assertAgrees(new ModelBatchOps.Dropout(K, CAP, hc - 2, 5 + m, 2), d, dv, m);
        }

        int count = 5000;
        int[][] c = {{K, count}, {K, 1}};
        assertAgrees(new ModelBatchOps.ClipCoefficient(K, 0.7f), c, randoms(r, c), 1);
        for (Optimizer.Kind kind : Optimizer.Kind.values()) {
            int[][] u = {{K, count}, {K, count}, {K, count}, {K, count}, {K, hc}, {K, 1}};
            float[][] uv = randoms(r, u);
            for (int i = 0; i < uv[3].length; i++) uv[3][i] = Math.abs(uv[3][i]); // second moments
            for (int k = 0; k < K; k++) {
                Optimizer o = Optimizer.of(kind, 0.01f * (k + 1)).withWeightDecay(0.1f * k).withMomentum(0.5f + 0.2f * k);
                int at = k * hc;
                uv[4][at + ModelBatchOps.Hyper.LR.column()] = o.learningRate();
                uv[4][at + ModelBatchOps.Hyper.MOMENTUM.column()] = o.momentum();
                uv[4][at + ModelBatchOps.Hyper.BETA1.column()] = o.beta1();
                uv[4][at + ModelBatchOps.Hyper.BETA2.column()] = o.beta2();
                uv[4][at + ModelBatchOps.Hyper.EPSILON.column()] = o.epsilon();
                uv[4][at + ModelBatchOps.Hyper.GRADIENT_DECAY.column()] = o.gradientDecay();
                uv[4][at + ModelBatchOps.Hyper.PARAMETER_DECAY.column()] = o.parameterDecay();
                uv[5][k] = 0.25f * (k + 1);
            }
            assertAgrees(new ModelBatchOps.Update(K, kind, 0.19f, 0.03f), u, uv, 1);
            assertAgrees(new ModelBatchOps.Update(K, kind, 0.19f, 0.03f), new int[][]{u[0], u[1], u[2], u[3], u[4], null}, uv, 1);
        }
    }

    /** Adds 1e-3·(1 + |v|) to the first element of every output of the op named {@code target}. */
    static final class SkewedOp extends dev.clprop.DelegatingBackend {
        final String target;

        SkewedOp(Backend inner, String target) {
            super(inner);
            this.target = target;
        }

        @Override
        public void run(KernelOp op, Tensor[] args, int m) {
            inner.run(op, args, m);
            if (!op.name().equals(target)) return;
            for (int i : op.outputs()) {
                if (args[i] == null) continue;
                float[] v = new float[args[i].size()];
                inner.download(args[i], v);
                perturb(args[i], 0, 1e-3f * (1 + Math.abs(v[0])));
            }
        }
    }

    @Test
    void theSelfTestOfModelsTrainedTogetherPassesOnTheDeviceAndCatchesEachSkewedOp() {
        try (Backend cl = OpenClDevices.backend()) {
            DeviceSelfTest.checkModelBatch(cl);
            for (String op : List.of("mb_gather", "mb_dense_forward", "mb_softmax", "mb_dropout", "mb_loss", "mb_activation_backward", "mb_weight_grad",
                    "mb_backward_data", "mb_clip_coefficient", "mb_optimizer")) {
                dev.clprop.error.DeviceException e = assertThrows(dev.clprop.error.DeviceException.class,
                        () -> DeviceSelfTest.checkModelBatch(new SkewedOp(cl, op)), op + " skewed, yet the self-test passed");
                assertTrue(e.getMessage().contains(op) && e.getMessage().contains("refusing to train models together"), e.getMessage());
            }
        }
    }

    @Test
    void seedsTravelExactlyInSixteenBitParts() {
        float[] row = new float[6];
        for (long v : new long[]{0L, 1L, -1L, Long.MIN_VALUE, 0x9E3779B97F4A7C15L, 123456789012345L}) {
            ModelBatchOps.putU64(row, 1, v);
            assertEquals(v, ModelBatchOps.u64(row, 1));
        }
    }
}
