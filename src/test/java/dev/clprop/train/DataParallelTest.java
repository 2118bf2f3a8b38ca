package dev.clprop.train;

import dev.clprop.Trainer;

import dev.clprop.spi.RunConfig;

import dev.clprop.spi.DataParallelTiming;

import dev.clprop.ClpropTestBase;
import dev.clprop.DelegatingBackend;
import dev.clprop.OpenClDevices;
import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.DeviceException;
import dev.clprop.io.ModelFormat;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Data-parallel training on N devices ends with the weights of the one-device run with the same
 * global batch, within the training tolerance: for every loss and optimizer, with dropout, clipping
 * and class weights; on EJML replicas (the combination's logic) and on PoCL sub-devices (the real
 * thing: separate OpenCL devices, contexts and queues).
 */
class DataParallelTest extends ClpropTestBase {
    static final int EPOCHS = 4;

    /** A run's result and its epochs' training losses. */
    record Run(Parameters parameters, double[] losses) {
    }

    static RunConfig config(Loss loss, Optimizer.Kind kind, boolean dropout, float clip, float[] classWeights) {
        String spec = TrainingParityTest.specFor(loss);
        if (dropout) spec = spec.replaceFirst(",", ",dropout:0.2,").replaceFirst("(,[0-9]+:[a-z-]+)(,[0-9]+:[a-z]+)$", "$1,dropout:0.3$2");
        Architecture arch = Architecture.parse(spec);
        Optimizer opt = Optimizer.of(kind, kind == Optimizer.Kind.ADAM ? 0.01f : 0.05f).withWeightDecay(1e-3f);
        return RunConfig.builder(arch, Trainer.builder(arch).loss(loss).optimizer(opt).batchSize(8).epochs(EPOCHS).seed(5).shuffle(true).clipNorm(clip).classWeights(classWeights).build().settings()).build();
    }

    static Run train(List<Backend> devices, RunConfig cfg, Dataset data) {
        TrainingLoop.Result r = new TrainingLoop(devices, cfg, null, null)
                .run(data, null, TrainingLoop.Start.fresh(Parameters.initialise(cfg.architecture(), 5)));
        assertEquals(Outcome.COMPLETED, r.outcome(), r.message());
        return new Run(r.parameters(), r.history().stream().mapToDouble(EpochSummary::trainLoss).toArray());
    }

    static Dataset data(RunConfig cfg) {
        return TrainingParityTest.dataFor(cfg.loss(), Architecture.parse(TrainingParityTest.specFor(cfg.loss())), 5);
    }

    static void assertSameRun(Run one, Run many, String what) {
        for (ParamShape s : one.parameters().shapes()) {
            assertClose(Tolerance.TRAINING, many.parameters().get(s.name()), one.parameters().get(s.name()), what + ": " + s.name());
        }
        for (int e = 0; e < one.losses().length; e++) {
            assertEquals(one.losses()[e], many.losses()[e], 1e-5 + 1e-4 * Math.abs(one.losses()[e]), what + ": training loss of epoch " + (e + 1));
        }
    }

    /** The run on one EJML device and on {@code n} EJML replicas end alike. */
    static void assertReplicasTrainAsOne(RunConfig cfg, Dataset d, int n, String what) {
        Run one;
        try (Backend b = new EjmlBackend()) {
            one = train(List.of(b), cfg, d);
        }
        List<Backend> bs = ejml(n);
        try {
            assertSameRun(one, train(bs, cfg, d), what);
        } finally {
            closeAll(bs);
        }
    }

    static List<Backend> ejml(int n) {
        List<Backend> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new EjmlBackend());
        return out;
    }

    static void closeAll(List<Backend> bs) {
        for (int i = bs.size() - 1; i >= 0; i--) bs.get(i).close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Loss l : Loss.values()) {
            for (Optimizer.Kind k : Optimizer.Kind.values()) {
                out.add(Arguments.of(l, k, false));
                out.add(Arguments.of(l, k, true));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} dropout={2}")
    @MethodSource("cases")
    void twoAndThreeEjmlReplicasTrainAsOneDevice(Loss loss, Optimizer.Kind kind, boolean dropout) {
        RunConfig cfg = config(loss, kind, dropout, 0f, null);
        Dataset d = data(cfg);
        // batches of 8 over 45 rows: shards of 4+4 and 2+3+3, and 2+3 / 1+2+2 for the last batch of 5
        for (int n : new int[]{2, 3}) assertReplicasTrainAsOne(cfg, d, n, n + " replicas");
    }

    /**
     * Batchnorm on two replicas is per shard: one step equals what two separate networks compute on the
     * two halves of the batch, their gradients averaged by rows and their running statistics averaged
     * likewise; and that is not what one device computes on the whole batch.
     */
    @Test
    void batchNormNormalizesEachShardWithItsOwnStatisticsAndAveragesTheRunningOnes() {
        Architecture arch = Architecture.parse("6,9:tanh,batchnorm,4:softmax");
        float lr = 0.05f;
        RunConfig cfg = RunConfig.builder(arch, Trainer.builder(arch).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.sgd(lr)).batchSize(8).epochs(1).seed(5).shuffle(false).build().settings()).build();
        Dataset all = TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, arch, 5);
        Dataset d = all.subset(new int[]{0, 1, 2, 3, 4, 5, 6, 7}, "one batch");
        Parameters start = Parameters.initialise(arch, 5);
        Parameters two;
        List<Backend> bs = ejml(2);
        try {
            two = new TrainingLoop(bs, cfg, null, null).run(d, null, TrainingLoop.Start.fresh(start)).parameters();
        } finally {
            closeAll(bs);
        }
        // the reference: each half on a network of its own
        float[][][] grads = new float[2][][];
        float[][][] stats = new float[2][][];
        List<String> names;
        try (EjmlBackend b = new EjmlBackend()) {
            names = null;
            for (int half = 0; half < 2; half++) {
                try (dev.clprop.nn.DeviceNetwork net = new dev.clprop.nn.DeviceNetwork(b, arch, Loss.CROSS_ENTROPY, Optimizer.sgd(lr), 4, 5);
                     DeviceData data = new DeviceData(b, d, arch.outputs(), 4)) {
                    net.setParameters(start);
                    data.setOrder(new int[]{0, 1, 2, 3, 4, 5, 6, 7});
                    data.gatherBatch(4 * half, 4);
                    net.computeGradients(data.batchX, data.batchY, 4, 4 * half);
                    List<ParamShape> shapes = net.parameterShapes();
                    grads[half] = new float[shapes.size()][];
                    for (int i = 0; i < shapes.size(); i++) grads[half][i] = new float[shapes.get(i).size()];
                    net.readGradients(grads[half]);
                    names = net.bufferNames();
                    stats[half] = new float[names.size()][9];
                    net.readBuffers(stats[half]);
                }
            }
            try (dev.clprop.nn.DeviceNetwork net = new dev.clprop.nn.DeviceNetwork(b, arch, Loss.CROSS_ENTROPY, Optimizer.sgd(lr), 4, 5)) {
                List<ParamShape> shapes = net.parameterShapes();
                for (int i = 0; i < shapes.size(); i++) {
                    float[] w = start.get(shapes.get(i).name()), want = new float[w.length];
                    for (int j = 0; j < w.length; j++) want[j] = w[j] - lr * (0.5f * grads[0][i][j] + 0.5f * grads[1][i][j]);
                    assertClose(Tolerance.OP, two.get(shapes.get(i).name()), want, "parameter " + shapes.get(i).name());
                }
            }
        }
        assertEquals(List.of("running_mean2", "running_var2"), names);
        for (int k = 0; k < names.size(); k++) {
            float[] want = new float[9];
            for (int j = 0; j < 9; j++) want[j] = 0.5f * stats[0][k][j] + 0.5f * stats[1][k][j];
            assertClose(Tolerance.OP, two.get(names.get(k)), want, names.get(k) + ": the replicas' average");
        }
        // the choice is visible: one device normalizing the whole batch ends elsewhere
        try (Backend b = new EjmlBackend()) {
            Parameters one = new TrainingLoop(List.of(b), cfg, null, null).run(d, null, TrainingLoop.Start.fresh(start)).parameters();
            assertFalse(Tolerance.OP.compare(two.get("W1"), one.get("W1")).ok(), "per-shard statistics give other gradients than the whole batch's");
            assertClose(Tolerance.OP, two.get("running_mean2"), one.get("running_mean2"), "the average of the shards' means is the batch's mean");
        }
    }

    @Test
    void clippingAndClassWeightsAreThoseOfTheWholeBatch() {
        // class weights: a shard's mean is over its own weight total, so shards are weighted by it, not by rows
        RunConfig cfg = config(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, true, 0.05f, new float[]{0.2f, 3f, 1f, 0.5f});
        Dataset d = data(cfg);
        assertReplicasTrainAsOne(cfg, d, 3, "3 replicas");
        // and the settings matter: without them the weights differ
        try (Backend b = new EjmlBackend()) {
            Parameters plain = train(List.of(b), config(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, true, 0f, null), d).parameters();
            Parameters with = train(List.of(b), cfg, d).parameters();
            assertFalse(Tolerance.TRAINING.compare(plain.get("W1"), with.get("W1")).ok());
        }
    }

    @Test
    void aResumedDataParallelRunRepeatsAnUninterruptedOneBitForBit(@TempDir Path dir) {
        RunConfig base = config(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, true, 0.05f, null);
        Dataset d = data(base);
        Path whole = dir.resolve("whole.npz"), half = dir.resolve("half.npz");
        List<Backend> bs = ejml(3);
        try {
            Parameters straight = new TrainingLoop(bs, withEpochs(base, 4, whole), null, null)
                    .run(d, null, TrainingLoop.Start.fresh(Parameters.initialise(base.architecture(), 5))).parameters();
            new TrainingLoop(bs, withEpochs(base, 2, half), null, null).run(d, null, TrainingLoop.Start.fresh(Parameters.initialise(base.architecture(), 5)));
            Parameters resumed = new TrainingLoop(bs, withEpochs(base, 4, half), null, null)
                    .run(d, null, TrainingLoop.Start.from(ModelFormat.readCheckpoint(half))).parameters();
            assertTrue(straight.bitwiseEquals(resumed), "2 + 2 epochs on 3 replicas differ from 4");
        } finally {
            closeAll(bs);
        }
    }

    static RunConfig withEpochs(RunConfig c, int epochs, Path checkpoint) {
        return RunConfig.builder(c.architecture(), Trainer.builder(c.architecture()).loss(c.loss()).optimizer(c.optimizer()).batchSize(c.batch()).epochs(epochs).seed(c.seed()).shuffle(c.shuffle()).schedule(c.schedule()).clipNorm(c.clipNorm()).classWeights(c.classWeights()).build().settings()).checkpoint(checkpoint).schema(c.schema()).build();
    }

    @Test
    void aLearningRateScheduleReachesEveryReplica() {
        RunConfig base = config(Loss.CROSS_ENTROPY, Optimizer.Kind.SGD, false, 0f, null);
        RunConfig cfg = RunConfig.builder(base.architecture(), Trainer.builder(base.architecture()).loss(base.loss()).optimizer(base.optimizer()).batchSize(8).epochs(4).seed(5).shuffle(true).schedule(dev.clprop.optim.Schedule.parse("warmup:5+step:1:0.3")).build().settings()).build();
        Dataset d = data(cfg);
        assertReplicasTrainAsOne(cfg, d, 2, "2 replicas with a schedule");
    }

    @Test
    void theTimingAddsUp() {
        RunConfig cfg = config(Loss.MSE, Optimizer.Kind.ADAM, false, 0f, null);
        DataParallelTiming[] t = {null};
        List<Backend> bs = ejml(3);
        try {
            new TrainingLoop(bs, cfg, new TrainingListener() {
                @Override
                public void onDataParallelTiming(DataParallelTiming timing) {
                    t[0] = timing;
                }
            }, null).run(data(cfg), null, TrainingLoop.Start.fresh(Parameters.initialise(cfg.architecture(), 5)));
        } finally {
            closeAll(bs);
        }
        assertEquals("3 devices", t[0].workers());
        assertEquals(EPOCHS * 6, t[0].steps(), "45 rows in batches of 8: 6 steps an epoch");
        assertTrue(t[0].msPerStep() > t[0].combineMsPerStep() && t[0].combineMsPerStep() > 0, t[0].toString());
        assertEquals(2L * 3 * cfg.architecture().parameterCount() * Float.BYTES, t[0].bytesPerStep());
        String share = String.format(java.util.Locale.ROOT, "(%.1f%%)", 100 * t[0].combineMsPerStep() / t[0].msPerStep());
        assertTrue(t[0].describe().contains(share), t[0].describe() + " should say " + share);
    }

    @Test
    void moreReplicasThanRowsLeavesSomeIdleAndStillAgrees() {
        // a batch of 2 on 3 replicas: one shard is empty every step
        RunConfig base = config(Loss.MSE, Optimizer.Kind.MOMENTUM, false, 0f, null);
        RunConfig cfg = RunConfig.builder(base.architecture(), Trainer.builder(base.architecture()).loss(base.loss()).optimizer(base.optimizer()).batchSize(2).epochs(2).seed(5).shuffle(true).build().settings()).build();
        Dataset d = data(cfg);
        assertReplicasTrainAsOne(cfg, d, 3, "3 replicas, batch 2");
    }

    @Test
    void aVerifiedDataParallelRunChecksEveryReplica() {
        RunConfig base = config(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, true, 0f, null);
        RunConfig cfg = RunConfig.builder(base.architecture(), Trainer.builder(base.architecture()).loss(base.loss()).optimizer(base.optimizer()).batchSize(8).epochs(1).seed(5).shuffle(true).verifyEvery(3).build().settings()).build();
        List<String> lines = new ArrayList<>();
        List<Backend> bs = ejml(2);
        try {
            new TrainingLoop(bs, cfg, new TrainingListener() {
                @Override
                public void onMessage(String line) {
                    lines.add(line);
                }
            }, null).run(data(cfg), null, TrainingLoop.Start.fresh(Parameters.initialise(cfg.architecture(), 5)));
        } finally {
            closeAll(bs);
        }
        // 6 steps, verified at steps 3 and 6, each on both replicas; then the timing line
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("verify step 3 on ejml vs ejml: [1-9]\\d* ops agree.*; verify step 3 on ejml vs ejml: [1-9]\\d* ops agree.*"), lines.get(0));
        assertTrue(lines.get(2).matches("data-parallel training on 2 devices: [0-9.]+ ms per step, of which [0-9.]+ ms \\([0-9.]+%\\) combining [0-9.]+ MB of gradients through the host"),
                lines.get(2));
    }

    /** A device that works until step {@code failAt}, then fails as a lost GPU would. */
    static final class FailingBackend extends DelegatingBackend {
        private final int failAt;
        private int updates;

        FailingBackend(Backend inner, int failAt) {
            super(inner);
            this.failAt = failAt;
        }

        @Override
        public String name() {
            return "flaky-gpu";
        }

        @Override
        public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
            if (updates >= failAt) throw new IllegalStateException("CL_OUT_OF_RESOURCES");
            inner.gemmForward(a, w, out, m);
        }

        @Override
        public void optimizerStep(Optimizer o, long step, Tensor p, Tensor g, Tensor s1, Tensor s2) {
            if (p.rows() > 1 && g.cols() > 1) updates = (int) step;
            inner.optimizerStep(o, step, p, g, s1, s2);
        }
    }

    @Test
    void aDeviceThatFailsMidRunStopsItByNameAndTheLastCheckpointStays(@TempDir Path dir) throws Exception {
        RunConfig base = config(Loss.CROSS_ENTROPY, Optimizer.Kind.SGD, false, 0f, null);
        Path ckpt = dir.resolve("run.ckpt.npz");
        RunConfig cfg = RunConfig.builder(base.architecture(), Trainer.builder(base.architecture()).loss(base.loss()).optimizer(base.optimizer()).batchSize(8).epochs(3).seed(5).shuffle(true).build().settings()).checkpoint(ckpt).build();
        List<Backend> bs = List.of(new EjmlBackend(), new FailingBackend(new EjmlBackend(), 8)); // 6 steps per epoch: fails in epoch 2
        try {
            DeviceException e = assertThrows(DeviceException.class, () -> train(bs, cfg, data(cfg)));
            assertEquals("device flaky-gpu failed in step 9: CL_OUT_OF_RESOURCES", e.getMessage());
        } finally {
            closeAll(bs);
        }
        assertTrue(Files.exists(ckpt));
        assertEquals(1, ModelFormat.readCheckpoint(ckpt).progress().epochsDone(), "the checkpoint of epoch 1 is kept");
    }

    @Test
    void aReplicaThatUpdatesWronglyIsNamedAtTheEndOfTheEpoch() {
        RunConfig cfg = config(Loss.MSE, Optimizer.Kind.SGD, false, 0f, null);
        Backend bad = new DelegatingBackend(new EjmlBackend()) {
            @Override
            public String name() {
                return "bad-update";
            }

            @Override
            public void optimizerStep(Optimizer o, long step, Tensor p, Tensor g, Tensor s1, Tensor s2) {
                inner.optimizerStep(o.withLearningRate(o.learningRate() * 1.01f), step, p, g, s1, s2);
            }
        };
        List<Backend> bs = List.of(new EjmlBackend(), bad);
        try {
            DeviceException e = assertThrows(DeviceException.class, () -> train(bs, cfg, data(cfg)));
            assertTrue(e.getMessage().startsWith("replicas disagree after step 6: W1 on bad-update differs from ejml"), e.getMessage());
        } finally {
            closeAll(bs);
        }
    }

    /** PoCL splits a CPU; most GPU drivers cannot, and there the test has nothing to run (never in CI, which runs PoCL). */
    static void assumeSplittable(DeviceInfo whole, int parts) {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        assumeTrue(ci || OpenCl.maxSubDevices(whole) >= parts && whole.computeUnits() >= parts,
                whole.describe() + " cannot be split into " + parts + " sub-devices");
    }

    @Test
    void replicasOnPoclSubDevicesTrainAsOneDevice() {
        DeviceInfo whole = OpenClDevices.device();
        assumeSplittable(whole, 2);
        List<DeviceInfo> parts = OpenCl.subDevices(whole, 2);
        assertEquals(2, parts.size());
        assertEquals("1/2", parts.get(0).part());
        assertTrue(parts.get(1).describe().contains("part 2/2"), parts.get(1).describe());
        checkOnSubDevices(whole, parts);
    }

    /** Needs a device with 4 compute units: CI's second test run sets POCL_MAX_PTHREAD_COUNT=4 for it. */
    @Tag("four-sub-devices")
    @Test
    void replicasOnFourPoclSubDevicesTrainAsOneDevice() {
        DeviceInfo whole = OpenClDevices.device();
        assumeSplittable(whole, 4);
        checkOnSubDevices(whole, OpenCl.subDevices(whole, 4));
    }

    private static void checkOnSubDevices(DeviceInfo whole, List<DeviceInfo> parts) {
        List<Backend> bs = new ArrayList<>();
        try {
            for (DeviceInfo p : parts) bs.add(new OpenClBackend(p));
            for (RunConfig cfg : List.of(config(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM, true, 0.05f, new float[]{0.2f, 3f, 1f, 0.5f}),
                    config(Loss.BCE, Optimizer.Kind.MOMENTUM, false, 0f, null))) {
                Run one;
                try (OpenClBackend b = new OpenClBackend(whole)) {
                    one = train(List.of(b), cfg, data(cfg));
                }
                assertSameRun(one, train(bs, cfg, data(cfg)), parts.size() + " sub-devices, " + cfg.loss());
            }
            for (Backend b : bs) assertEquals(0, b.liveBuffers(), b.name() + " holds buffers after training");
        } finally {
            closeAll(bs);
        }
    }
}
