package dev.clprop;

import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.error.ClpropException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.spi.RunConfig;
import dev.clprop.spi.StepRunner;
import dev.clprop.train.DeviceSelfTest;
import dev.clprop.train.ModelBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Several models of one architecture trained on the same data with different settings: a sweep of
 * learning rates, seeds, weight decays, momenta or dropout probabilities, or the members of an ensemble.
 * Each model is one {@link Trainer}, and ends with the weights that trainer's {@link Trainer#fit} gives.
 * {@link Mode#TOGETHER} (the default) trains them at once on one device, each launch covering every model
 * (so a step of K small models costs about what a step of one does); {@link Mode#SEQUENTIAL} calls each
 * trainer's {@code fit} in turn, the baseline and the check. Where the models cannot be trained together
 * ({@link ModelBatch#unsupported}), the sweep says why through its log and trains them in turn.
 * <pre>{@code
 * List<Trainer> trainers = new ArrayList<>();
 * for (float lr : new float[]{0.01f, 0.03f, 0.1f}) {
 *     trainers.add(Trainer.builder(arch).optimizer(Optimizer.sgd(lr)).epochs(20).device(device).build());
 * }
 * List<TrainingResult> results = Sweep.of(trainers).fit(train, validation);
 * }</pre>
 * The trainers share one device: the same {@link Device} object, or the same device choice. A trainer's
 * listener hears of its own model, on that model's thread.
 */
public final class Sweep {
    /** How the models share the device. */
    public enum Mode {
        /** Every op launched once for all the models (up to {@link #MAX_TOGETHER} at a time). */
        TOGETHER,
        /** One model after another, each by its trainer's {@code fit}. */
        SEQUENTIAL
    }

    /** The most models trained in one batch; a larger sweep trains in batches of this many. */
    public static final int MAX_TOGETHER = 64;

    private final List<Trainer> trainers;
    private Mode mode = Mode.TOGETHER;
    private Consumer<String> log = s -> { };

    private Sweep(List<Trainer> trainers) {
        if (trainers == null || trainers.isEmpty()) throw new InvalidSettingException("sweep", "needs at least one trainer");
        this.trainers = List.copyOf(trainers);
    }

    /** A sweep of these trainers' models, in this order. */
    public static Sweep of(List<Trainer> trainers) {
        return new Sweep(trainers);
    }

    /** Together (the default) or one after another. */
    public Sweep mode(Mode mode) {
        if (mode == null) throw new InvalidSettingException("mode", "must be given");
        this.mode = mode;
        return this;
    }

    /** Where the sweep says how it trains (the device, or why the models train one at a time). */
    public Sweep log(Consumer<String> log) {
        this.log = log == null ? s -> { } : log;
        return this;
    }

    /** Trains every model on {@code train}; the results are in the trainers' order. */
    public List<TrainingResult> fit(Dataset train) {
        return fit(train, null);
    }

    /**
     * Trains every model on {@code train}, watching {@code validation} (or each trainer's validation
     * split, drawn from its own seed). A model that fails stops the sweep with its error once the others
     * have finished; a model that diverges or stops early returns that outcome like its {@code fit}.
     */
    public List<TrainingResult> fit(Dataset train, Dataset validation) {
        List<Trainer.PreparedRun> runs = new ArrayList<>();
        for (Trainer t : trainers) runs.add(t.prepareRun(train, validation));
        if (mode == Mode.SEQUENTIAL) return sequential(runs);
        Trainer first = trainers.get(0);
        for (Trainer t : trainers) {
            if (t.device() != first.device() || (first.device() == null && !t.deviceChoice().equals(first.deviceChoice()))) {
                throw new InvalidSettingException("device", "differs between the sweep's trainers; a sweep trains on one device");
            }
        }
        String why = ModelBatch.unsupported(configs(runs), trains(runs), validations(runs));
        if (why != null) {
            log.accept("sweep: training the models one at a time, because " + why);
            return sequential(runs);
        }
        int batch = Math.min(first.settings().batchSize(), runs.get(0).train().rows());
        Device d = first.device() != null ? first.device()
                : Device.openForTraining(first.deviceChoice(), first.gemm(), first.architecture(), batch * Math.min(runs.size(), MAX_TOGETHER), log);
        try {
            List<TrainingResult> out = new ArrayList<>();
            for (int from = 0; from < runs.size(); from += MAX_TOGETHER) {
                List<Trainer.PreparedRun> group = runs.subList(from, Math.min(runs.size(), from + MAX_TOGETHER));
                out.addAll(d.use(backends -> together(backends.get(0), group, batch)));
            }
            return out;
        } finally {
            if (first.device() == null) d.close();
        }
    }

    /** Each prepared run in turn, as its trainer's {@code fit} runs it (the data split and scaled once, here). */
    private static List<TrainingResult> sequential(List<Trainer.PreparedRun> runs) {
        List<TrainingResult> out = new ArrayList<>();
        for (Trainer.PreparedRun r : runs) out.add(r.trainer().fit(r));
        return out;
    }

    private static List<RunConfig> configs(List<Trainer.PreparedRun> runs) {
        return runs.stream().map(Trainer.PreparedRun::config).toList();
    }

    private static List<Dataset> trains(List<Trainer.PreparedRun> runs) {
        return runs.stream().map(Trainer.PreparedRun::train).toList();
    }

    private static List<Dataset> validations(List<Trainer.PreparedRun> runs) {
        List<Dataset> v = new ArrayList<>();
        for (Trainer.PreparedRun r : runs) v.add(r.validation());
        return v;
    }

    /** Backends whose model-batch ops have passed {@link DeviceSelfTest#checkModelBatch} (the EJML path runs the references themselves). */
    private static final java.util.Set<Backend> CHECKED = java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

    /** One batch of models: each model's loop on its own thread, its steps run together. */
    private static List<TrainingResult> together(Backend backend, List<Trainer.PreparedRun> runs, int batch) {
        if (!(backend instanceof dev.clprop.device.reference.EjmlBackend) && CHECKED.add(backend)) {
            try {
                DeviceSelfTest.checkModelBatch(backend);
            } catch (RuntimeException e) {
                CHECKED.remove(backend);
                throw e;
            }
        }
        int k = runs.size();
        try (ModelBatch mb = new ModelBatch(backend, configs(runs), trains(runs), validations(runs), batch)) {
            ExecutorService pool = Executors.newFixedThreadPool(k, r -> {
                Thread t = new Thread(r, "clprop-sweep");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<TrainingResult>> futures = new ArrayList<>();
                for (int i = 0; i < k; i++) {
                    Trainer.PreparedRun run = runs.get(i);
                    StepRunner lane = mb.lane(i);
                    futures.add(pool.submit(() -> {
                        try (lane) {
                            return run.trainer().runOn(run, lane);
                        }
                    }));
                }
                List<TrainingResult> out = new ArrayList<>();
                RuntimeException failure = null;
                for (Future<TrainingResult> f : futures) {
                    try {
                        out.add(f.get());
                    } catch (ExecutionException e) {
                        if (failure == null) failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        if (failure == null) failure = new ClpropException("the sweep was interrupted");
                    }
                }
                if (failure != null) throw failure;
                return out;
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
