package dev.clprop.train;

import dev.clprop.Trainer;

import dev.clprop.spi.RunConfig;

import dev.clprop.ClpropTestBase;
import dev.clprop.DelegatingBackend;
import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.io.ModelFormat;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.nn.Pass;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.OptimizerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The figures a run reports (training loss, progress) and the network's own guards, checked by value. */
class LoopFiguresTest extends ClpropTestBase {
    @TempDir
    Path dir;

    static final Architecture ARCH = Architecture.parse("6,9:sigmoid,7:tanh,4:softmax");

    Dataset data() {
        return TrainingParityTest.dataFor(Loss.CROSS_ENTROPY, ARCH, 8);
    }

    RunConfig cfg(Optimizer opt, int epochs) {
        return RunConfig.builder(ARCH, Trainer.builder(ARCH).loss(Loss.CROSS_ENTROPY).optimizer(opt).batchSize(8).epochs(epochs).seed(8).shuffle(false).build().settings()).build();
    }

    /**
     * With a learning rate so small that the weights do not move, the epoch's training loss is the
     * mean of its batch losses at the initial weights: 45 rows in batches 8,8,8,8,8,5.
     */
    @Test
    void theTrainingLossIsTheMeanOfTheBatchLosses() {
        Dataset d = data();
        Parameters init = Parameters.initialise(ARCH, 8);
        double sum = 0;
        int batches = 0;
        try (Backend b = new EjmlBackend()) {
            for (int off = 0; off < d.rows(); off += 8) {
                int m = Math.min(8, d.rows() - off);
                int[] idx = new int[m];
                for (int i = 0; i < m; i++) idx[i] = off + i;
                sum += Evaluator.evaluate(b, init, Loss.CROSS_ENTROPY, d.subset(idx, "batch")).loss();
                batches++;
            }
            List<double[]> progress = new ArrayList<>();
            TrainingLoop.Result r = new TrainingLoop(b, cfg(Optimizer.sgd(Float.MIN_NORMAL), 1), new TrainingListener() {
                @Override
                public void onProgress(int epoch, int rowsDone, int rows, double runningLoss) {
                    progress.add(new double[]{epoch, rowsDone, rows, runningLoss});
                }

                @Override
                public long progressIntervalMillis() {
                    return 0;
                }
            }, null).run(d, null, TrainingLoop.Start.fresh(init));
            assertEquals(6, batches);
            assertEquals(sum / batches, r.history().get(0).trainLoss(), 1e-6);
            assertEquals(6, progress.size(), "a progress report after every batch with an interval of 0");
            double[] last = progress.get(5);
            assertEquals(45, last[1], 0);
            assertEquals(45, last[2], 0);
            assertEquals(sum / batches, last[3], 1e-6, "the running loss at the end is the epoch's loss");
            assertEquals(8, progress.get(0)[1], 0);
            assertEquals(1, progress.get(0)[0], 0);
        }
    }

    @Test
    void theDefaultProgressIntervalIsHalfASecond() {
        assertEquals(500, new TrainingListener() { }.progressIntervalMillis());
    }

    @Test
    void aResumedRunStartsAtTheNextEpochAndSaysSo() {
        Path ckpt = dir.resolve("c.npz");
        RunConfig cfg = RunConfig.builder(ARCH, Trainer.builder(ARCH).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.adam(0.01f)).batchSize(8).epochs(3).seed(8).shuffle(true).build().settings()).checkpoint(ckpt).build();
        try (Backend b = new EjmlBackend()) {
            Cancellation c = new Cancellation();
            new TrainingLoop(b, cfg, new TrainingListener() {
                @Override
                public void onEpochEnd(EpochSummary s) {
                    c.cancel();
                }
            }, c).run(data(), null, TrainingLoop.Start.fresh(Parameters.initialise(ARCH, 8)));
            List<Integer> firstEpoch = new ArrayList<>();
            TrainingLoop.Result rest = new TrainingLoop(b, cfg, new TrainingListener() {
                @Override
                public void onStart(RunInfo info) {
                    firstEpoch.add(info.firstEpoch());
                }
            }, null).run(data(), null, TrainingLoop.Start.from(ModelFormat.readCheckpoint(ckpt)));
            assertEquals(List.of(2), firstEpoch);
            assertEquals(2, rest.history().size(), "epochs 2 and 3");
            assertEquals(2, rest.history().get(0).epoch());
        }
    }

    @Test
    void aCancelOnTheLastBatchFinishesTheEpoch() {
        try (Backend b = new EjmlBackend()) {
            Cancellation c = new Cancellation();
            TrainingLoop.Result r = new TrainingLoop(b, cfg(Optimizer.adam(0.01f), 3), new TrainingListener() {
                @Override
                public void onProgress(int epoch, int rowsDone, int rows, double runningLoss) {
                    if (epoch == 2 && rowsDone == rows) c.cancel();
                }

                @Override
                public long progressIntervalMillis() {
                    return 0;
                }
            }, c).run(data(), null, TrainingLoop.Start.fresh(Parameters.initialise(ARCH, 8)));
            assertEquals(Outcome.CANCELLED, r.outcome());
            assertEquals(2, r.epochsDone(), "the whole of epoch 2 counts");
            assertTrue(r.message().equals("stopped after epoch 2; no checkpoint file was configured"), r.message());
            Cancellation last = new Cancellation();
            TrainingLoop.Result done = new TrainingLoop(b, cfg(Optimizer.adam(0.01f), 2), new TrainingListener() {
                @Override
                public void onEpochEnd(EpochSummary s) {
                    if (s.epoch() == 2) last.cancel();
                }
            }, last).run(data(), null, TrainingLoop.Start.fresh(Parameters.initialise(ARCH, 8)));
            assertEquals(Outcome.COMPLETED, done.outcome(), "a cancel after the last epoch changes nothing");
        }
    }

    @Test
    void aDivergedRunNamesTheCheckpointItKept() {
        Path ckpt = dir.resolve("kept.npz");
        Architecture lin = Architecture.parse("1,1:linear:nobias");
        float[] x = new float[10], y = new float[10];
        java.util.Arrays.fill(x, 1f);
        Dataset d = Dataset.regression("doubling", x, 1, y, 1, null);
        RunConfig cfg = RunConfig.builder(lin, Trainer.builder(lin).loss(Loss.MSE).optimizer(Optimizer.sgd(1.5f)).batchSize(1).epochs(50).seed(1).shuffle(false).build().settings()).checkpoint(ckpt).build();
        try (Backend b = new EjmlBackend()) {
            TrainingLoop.Result r = new TrainingLoop(b, cfg, null, null).run(d, null, TrainingLoop.Start.fresh(params(lin, "W1", new float[]{1f})));
            int e = r.epochsDone();
            assertTrue(r.message().endsWith("; try a smaller learning rate; kept the last good checkpoint " + ckpt + " (epoch " + e + ")"), r.message());
            RunConfig noCkpt = RunConfig.builder(lin, Trainer.builder(lin).loss(Loss.MSE).optimizer(Optimizer.sgd(1e30f)).batchSize(1).epochs(5).seed(1).shuffle(false).build().settings()).checkpoint(ckpt).build();
            TrainingLoop.Result first = new TrainingLoop(b, noCkpt, null, null).run(d, null, TrainingLoop.Start.fresh(params(lin, "W1", new float[]{1f})));
            assertEquals(Outcome.DIVERGED, first.outcome());
            assertEquals(0, first.epochsDone());
            assertTrue(first.message().endsWith("try a smaller learning rate"), "no checkpoint of a good epoch to name: " + first.message());
        }
    }

    @Test
    void deviceDataReleasesWhatItAllocatedWhenAnAllocationFails() {
        try (Backend b = new DelegatingBackend(new EjmlBackend()) {
            int n;

            @Override
            public Tensor allocate(int rows, int cols) {
                if (++n == 3) throw new IllegalStateException("out of device memory");
                return inner.allocate(rows, cols);
            }
        }) {
            assertThrows(IllegalStateException.class, () -> new DeviceData(b, data(), 4, 8));
            assertEquals(0, b.liveBuffers(), "the two tensors allocated before the failure were released");
        }
    }

    @Test
    void theNetworkGuardsItsBatchAndItsLossSum() {
        try (Backend b = new EjmlBackend(); DeviceNetwork net = new DeviceNetwork(b, ARCH, Loss.CROSS_ENTROPY, Optimizer.sgd(0.1f), 4, 0);
             Tensor x = b.allocate(4, 6); Tensor y = b.allocate(4, 4)) {
            assertEquals(Loss.CROSS_ENTROPY, net.loss());
            assertEquals(Optimizer.Kind.SGD, net.optimizer().kind());
            assertEquals(3, net.layers().size());
            assertEquals(1, net.layers().get(1).index());
            assertEquals(9, net.layers().get(1).inputWidth());
            assertEquals(7, net.layers().get(1).outputWidth());
            assertEquals("7:tanh", net.layers().get(1).spec().spelling());
            assertEquals("batch of 5 rows, buffers hold 4", assertThrows(IllegalArgumentException.class, () -> net.forward(x, 5, Pass.INFERENCE)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.backward(x, y, 0, Pass.INFERENCE));
            b.upload(y, new float[]{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
            net.forward(x, 4, Pass.training(0, 1));
            net.backward(x, y, 4, Pass.training(0, 1));
            assertTrue(net.takeLossSum() > 0);
            assertEquals(0f, net.takeLossSum(), "taking the loss sum resets it");
            OptimizerState s = net.optimizerState();
            assertEquals(0, s.step());
            assertEquals(Optimizer.Kind.SGD, s.kind());
        }
        try (Backend b = new EjmlBackend()) {
            assertEquals("loss", assertThrows(InvalidSettingException.class,
                    () -> new DeviceNetwork(b, Architecture.parse("2,3:sigmoid"), Loss.CROSS_ENTROPY, null, 4, 0)).setting());
        }
    }

    /** The capacity check to the byte: parameters, gradients and Adam's two slots, and two buffers per layer. */
    @Test
    void aNetworkThatExactlyFitsItsBackendIsAllowed() {
        Architecture a = Architecture.parse("10,20:relu,5:softmax");
        long params = (10 * 20 + 20) + (20 * 5 + 5);
        long need = 4 * 4 * params + 2 * 4L * 8 * (20 + 5);
        for (long capacity : new long[]{need, need - 1}) {
            try (Backend b = new DelegatingBackend(new EjmlBackend()) {
                @Override
                public long capacityBytes() {
                    return capacity;
                }

                @Override
                public long maxTensorBytes() {
                    return 4 * 200;
                }
            }) {
                if (capacity == need) {
                    new DeviceNetwork(b, a, Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 8, 0).close();
                } else {
                    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> new DeviceNetwork(b, a, Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 8, 0));
                    assertTrue(e.getMessage().contains("which has 0 MiB"), e.getMessage());
                }
            }
        }
        try (Backend b = new DelegatingBackend(new EjmlBackend()) {
            @Override
            public long maxTensorBytes() {
                return 4 * 199;
            }
        }) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> new DeviceNetwork(b, a, Loss.CROSS_ENTROPY, null, 8, 0));
            assertTrue(e.getMessage().contains("with one buffer of 0 MiB where the largest possible is 0 MiB"), e.getMessage());
        }
    }

    @Test
    void adamsStepCountComesBackWithItsState() {
        try (Backend b = new EjmlBackend(); DeviceNetwork net = new DeviceNetwork(b, ARCH, Loss.CROSS_ENTROPY, Optimizer.adam(0.01f), 8, 0);
             Tensor x = b.allocate(8, 6); Tensor y = b.allocate(8, 4)) {
            net.trainStep(x, y, 8);
            net.trainStep(x, y, 8);
            OptimizerState s = net.optimizerState();
            assertEquals(2, s.step());
            net.setStep(0);
            net.setOptimizerState(s);
            assertEquals(2, net.step());
            assertThrows(IllegalArgumentException.class, () -> net.setOptimizerState(new OptimizerState(Optimizer.Kind.SGD, 1, Map.of())));
            Metrics m = Evaluator.evaluate(b, net.parameters(), Loss.CROSS_ENTROPY, data());
            assertEquals(45, m.rows());
        }
    }
}
