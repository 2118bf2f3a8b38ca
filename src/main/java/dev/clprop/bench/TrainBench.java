package dev.clprop.bench;

import dev.clprop.device.Backend;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import dev.clprop.settings.TrainingSettings;
import dev.clprop.spi.DataParallelTiming;
import dev.clprop.train.EpochSummary;
import dev.clprop.spi.RunConfig;
import dev.clprop.train.TrainingListener;
import dev.clprop.train.TrainingLoop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training throughput of a network on one backend: whole epochs over synthetic data of the
 * network's shape (uploaded once, as in real training), timed after a warm-up epoch.
 */
public final class TrainBench {
    public record Result(String backend, String spec, String optimizer, int batch, Stats samplesPerSecond) {
    }

    /** Device time per kernel per training step, from OpenCL profiling events. */
    public record KernelProfile(String backend, String optimizer, int batch, int steps, Map<String, Double> microsPerStep,
                                double uploadMillis, double downloadMillis, double buildMillis) {
    }

    private TrainBench() {
    }

    public static Dataset syntheticClassification(Architecture spec, int rows, long seed) {
        Random rng = new Random(seed);
        int f = spec.inputs(), n = spec.outputs();
        float[] x = new float[rows * f];
        int[] labels = new int[rows];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextFloat();
        for (int r = 0; r < rows; r++) labels[r] = rng.nextInt(n);
        return Dataset.classification("synthetic", x, f, labels, null);
    }

    /** Cross-entropy, shuffled batches, seed 1, the optimizer at its default learning rate: the workload every figure is measured on. */
    static RunConfig config(Architecture spec, Optimizer.Kind opt, int batch, int epochs) {
        return RunConfig.builder(spec, TrainingSettings.DEFAULTS.withLoss(Loss.CROSS_ENTROPY).withOptimizer(Optimizer.of(opt, opt.defaultLearningRate()))
                .withBatchSize(batch).withEpochs(epochs).withSeed(1)).build();
    }

    /** Adam, the default optimizer of the figures. */
    public static Result run(Backend b, Architecture spec, int batch, int rows, int reps) {
        return run(b, spec, Optimizer.Kind.ADAM, batch, rows, reps);
    }

    public static Result run(Backend b, Architecture spec, Optimizer.Kind opt, int batch, int rows, int reps) {
        return runOn(List.of(b), spec, opt, batch, rows, reps).result();
    }

    /** A data-parallel measurement: throughput, and where each step's time went. */
    public record ParallelResult(Result result, DataParallelTiming timing) {
    }

    /** Training throughput on one device, or data-parallel on several (then with its timing). */
    public static ParallelResult runOn(List<Backend> devices, Architecture spec, Optimizer.Kind opt, int batch, int rows, int reps) {
        Dataset data = syntheticClassification(spec, rows, 1);
        double[] rates = new double[reps];
        int[] next = {0};
        DataParallelTiming[] timing = {null};
        TrainingListener l = new TrainingListener() {
            @Override
            public void onEpochEnd(EpochSummary r) {
                if (r.epoch() > 1) rates[next[0]++] = r.samplesPerSecond(); // epoch 1 is the warm-up
            }

            @Override
            public long progressIntervalMillis() {
                return Long.MAX_VALUE;
            }

            @Override
            public void onDataParallelTiming(DataParallelTiming t) {
                timing[0] = t;
            }
        };
        new TrainingLoop(devices, config(spec, opt, batch, 1 + reps), l, null).run(data, null, TrainingLoop.Start.fresh(Parameters.initialise(spec, 1)));
        List<String> names = new ArrayList<>();
        for (Backend b : devices) names.add(b.name());
        return new ParallelResult(new Result(String.join(" + ", names), spec.spelling(), opt.spelling(), batch, Stats.of(rates)), timing[0]);
    }

    /** One profiled epoch: every launch waits for its event, so this is for attribution, not throughput. */
    public static KernelProfile profile(OpenClBackend b, Architecture spec, Optimizer.Kind opt, int batch, int rows) {
        Dataset data = syntheticClassification(spec, rows, 2);
        b.resetProfile();
        b.setProfiling(true);
        try {
            new TrainingLoop(b, config(spec, opt, batch, 1), null, null).run(data, null, TrainingLoop.Start.fresh(Parameters.initialise(spec, 1)));
        } finally {
            b.setProfiling(false);
        }
        int steps = (rows + batch - 1) / batch;
        Map<String, Double> per = new LinkedHashMap<>();
        Map<String, long[]> prof = new LinkedHashMap<>(b.profile());
        long[] up = prof.remove("upload"), down = prof.remove("download");
        prof.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                .forEach(e -> per.put(e.getKey() + " x" + Math.round((double) e.getValue()[1] / steps), e.getValue()[0] / 1e3 / steps));
        return new KernelProfile(b.name(), opt.spelling(), batch, steps, per, up == null ? 0 : up[0] / 1e6, down == null ? 0 : down[0] / 1e6, b.buildNanos() / 1e6);
    }
}
