package dev.clprop;

import dev.clprop.data.Dataset;
import dev.clprop.device.GemmFamily;
import dev.clprop.data.Splits;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import dev.clprop.io.AtomicFiles;
import dev.clprop.io.ModelFormat;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.Parameters;
import dev.clprop.model.Standardizer;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;
import dev.clprop.settings.TrainingSettings;
import dev.clprop.train.Cancellation;
import dev.clprop.spi.DistributedData;
import dev.clprop.spi.RunConfig;
import dev.clprop.train.TrainingListener;
import dev.clprop.train.TrainingLoop;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Trains networks of one architecture with one set of settings. Build it once, fit it on data:
 * <pre>{@code
 * Trainer trainer = Trainer.builder(Architecture.parse("4,16:tanh,3:softmax"))
 *         .optimizer(Optimizer.adam(0.01f)).batchSize(16).epochs(100).seed(42)
 *         .validationSplit(0.2).earlyStopping(10)
 *         .build();
 * TrainingResult result = trainer.fit(Dataset.classification(features, labels));
 * Model model = result.model();
 * }</pre>
 * Without a {@link Builder#device(Device) device}, each fit opens the device named by
 * {@link Builder#device(String)} (default {@code auto}) and closes it when done; a Device given to the
 * builder belongs to the caller, who closes it. A Trainer is immutable and may be shared; its fits
 * run on the calling thread and are independent of each other (a shared Device serializes them).
 * Every randomness (initial weights, validation split, batch order) comes from the one seed.
 */
public final class Trainer {
    private final Architecture architecture;
    /** Resolved for the architecture: the loss is filled in. */
    private final TrainingSettings settings;
    private final Model initialWeights;
    private final Path checkpoint;
    private final Device device;
    private final String deviceChoice;
    private final GemmFamily gemm;
    private final TrainingListener listener;
    private final Cancellation cancellation;

    private Trainer(Builder b) {
        architecture = b.architecture;
        settings = b.settings.resolvedFor(architecture);
        if (b.initialWeights != null && !b.initialWeights.architecture().equals(architecture)) {
            throw new IncompatibleModelException("the initial weights are for " + b.initialWeights.architecture() + ", not " + architecture);
        }
        initialWeights = b.initialWeights;
        checkpoint = b.checkpoint;
        device = b.device;
        deviceChoice = b.deviceChoice;
        gemm = b.gemm;
        listener = b.listener != null ? b.listener : new TrainingListener() { };
        cancellation = b.cancellation != null ? b.cancellation : new Cancellation();
        if (checkpoint != null) AtomicFiles.checkReplaceable(checkpoint);
    }

    /** Starts the settings of a trainer for {@code architecture}, every other setting at its default. */
    public static Builder builder(Architecture architecture) {
        return new Builder(architecture);
    }

    /** The network this trainer trains. */
    public Architecture architecture() {
        return architecture;
    }

    /** @return the loss (the output layer's default when none was set) */
    public Loss loss() {
        return settings.loss();
    }

    /** @return the optimizer */
    public Optimizer optimizer() {
        return settings.optimizer();
    }

    /** @return every setting of this trainer's runs, the loss filled in */
    public TrainingSettings settings() {
        return settings;
    }

    /** Trains on {@code train}, holding out {@link Builder#validationSplit} of it for validation if set. */
    public TrainingResult fit(Dataset train) {
        return fit(train, null);
    }

    /** Trains on {@code train} and validates each epoch on {@code validation} (then no validation split is taken). */
    public TrainingResult fit(Dataset train, Dataset validation) {
        Prepared p = prepare(train, validation, null);
        Parameters init = initialWeights != null ? initialWeights.parameters() : Parameters.initialise(architecture, settings.seed());
        return run(p, TrainingLoop.Start.fresh(init));
    }

    /**
     * Continues the run that wrote {@code checkpointFile} (with this trainer's settings and the same
     * data), to {@link Builder#epochs} epochs. The result is bit-identical to a run that was never
     * interrupted. A setting or data that would change the result is refused, naming it.
     */
    public TrainingResult resume(Path checkpointFile, Dataset train) {
        return resume(checkpointFile, train, null);
    }

    /** As {@link #resume(Path, Dataset)}, validating each epoch on {@code validation}, as the interrupted run did. */
    public TrainingResult resume(Path checkpointFile, Dataset train, Dataset validation) {
        ModelFormat.StoredCheckpoint c = checkpointFor(checkpointFile);
        Prepared p = prepare(train, validation, c.model().standardizer(), c.model().targetScaling());
        checkContinues(c, checkpointFile, p.checkpointKeys, p.train.rows());
        return run(p, TrainingLoop.Start.from(c));
    }

    /** Refuses a checkpoint whose settings or data differ from this run's ({@code keys}), or whose progress cannot be this run's. */
    private void checkContinues(ModelFormat.StoredCheckpoint c, Path checkpointFile, Map<String, String> keys, int trainRows) {
        String from = "checkpoint " + checkpointFile;
        for (Map.Entry<String, String> e : c.settings().entrySet()) {
            String now = keys.get(e.getKey());
            if (now != null && !now.equals(e.getValue())) {
                if (e.getKey().equals("trainingData")) {
                    throw new InvalidInputException("the training data differs from the data " + from + " was trained on (" + Quote.clean(e.getValue())
                            + ", now " + now + "); resume with the same data");
                }
                throw new InvalidSettingException(e.getKey(), "is " + now + " but " + from + " was written with " + Quote.clean(e.getValue())
                        + "; resuming with another value would not continue the same run");
            }
        }
        long rowsDone = c.progress().rowsDone();
        if (rowsDone >= trainRows || rowsDone % settings.batchSize() != 0) {
            // the settings and data matched, so this counter was not written by this run: the file is damaged
            // (ModelFormat has refused negative counters already)
            throw new InvalidInputException(checkpointFile + ": implausible progress (" + rowsDone + " rows into an epoch of " + trainRows
                    + " training rows in batches of " + settings.batchSize() + "); the file is damaged");
        }
    }

    /** Reads {@code checkpointFile} and refuses it where it cannot continue this trainer's run (architecture, optimizer, seed, epochs, scalings). */
    private ModelFormat.StoredCheckpoint checkpointFor(Path checkpointFile) {
        if (checkpointFile == null) throw new InvalidInputException("no checkpoint file was given");
        ModelFormat.StoredCheckpoint c = ModelFormat.readCheckpoint(checkpointFile);
        String from = "checkpoint " + checkpointFile;
        if (!c.model().architecture().equals(architecture)) {
            throw new IncompatibleModelException(checkpointFile + ": holds " + c.model().architecture() + ", not " + architecture);
        }
        if (c.optimizer().kind() != settings.optimizer().kind()) {
            throw new InvalidSettingException("optimizer", "is " + settings.optimizer().kind() + " but " + from + " holds the state of " + c.optimizer().kind());
        }
        if (c.progress().seed() != settings.seed()) {
            throw new InvalidSettingException("seed", "is " + settings.seed() + " but " + from + " was written with seed " + c.progress().seed()
                    + "; resume with the same seed");
        }
        if (c.progress().epochsDone() >= settings.epochs()) {
            throw new InvalidSettingException("epochs", "is " + settings.epochs() + " but " + from + " already holds " + c.progress().epochsDone()
                    + " epoch(s); ask for more to continue");
        }
        if (settings.standardize() != (c.model().standardizer() != null)) {
            throw new InvalidSettingException("standardize", "is " + settings.standardize() + " but " + from + " was written with standardize "
                    + (c.model().standardizer() != null));
        }
        if (settings.standardizeTargets() != (c.model().targetScaling() != null)) {
            throw new InvalidSettingException("standardizeTargets", "is " + settings.standardizeTargets() + " but " + from + " was written with standardizeTargets "
                    + (c.model().targetScaling() != null));
        }
        return c;
    }

    /** Data ready for the loop: split, standardized, the class weights, and the settings that fingerprint the run. */
    private record Prepared(Dataset train, Dataset validation, Standardizer standardizer, float[] classWeights, Map<String, String> checkpointKeys,
                            DataSchema schema, Standardizer targetScaling) {
    }

    /**
     * scikit-learn's "balanced" weights, n / (C·count_c) over the C classes present in the training
     * rows; a class without rows gets 0 (it is never a target).
     */
    public static float[] balanced(Dataset train, int outputs) {
        return balanced(train.classCounts(), train.rows(), outputs);
    }

    /** {@link #balanced(Dataset, int)} from the rows' class counts. */
    static float[] balanced(int[] classCounts, long rows, int outputs) {
        int[] counts = java.util.Arrays.copyOf(classCounts, outputs);
        int present = 0;
        for (int c : counts) if (c > 0) present++;
        float[] w = new float[outputs];
        for (int c = 0; c < outputs; c++) w[c] = counts[c] == 0 ? 0f : (float) ((double) rows / ((double) present * counts[c]));
        return w;
    }

    private Prepared prepare(Dataset all, Dataset validation, Standardizer fixed) {
        return prepare(all, validation, fixed, null);
    }

    /** {@code fixed} and {@code fixedTargets}: the scalings a checkpoint holds (else fitted here, when asked for). */
    private Prepared prepare(Dataset all, Dataset validation, Standardizer fixed, Standardizer fixedTargets) {
        if (all == null) throw new InvalidInputException("no training data was given");
        if (settings.standardizeTargets()) checkTargetsCanBeScaled(all); // a setting that cannot apply is named before the data's faults
        checkData(all);
        if (validation != null) {
            validation = validation.withClassesOf(all.classNames());
            checkData(validation);
            if (settings.validationSplit() > 0) throw new InvalidSettingException("validationSplit", "cannot be combined with separate validation data");
        }
        String empty = all.emptyClasses();
        if (empty != null) {
            listener.onMessage("warning: " + all.name() + " has no rows of class(es) " + empty + " although its labels go up to "
                    + (all.classCount() - 1) + "; a corrupt label file, or labels that do not start at 0?");
        }
        Dataset train = all;
        if (validation == null && settings.validationSplit() > 0) {
            Dataset[] parts = Splits.validation(all, settings.validationSplit(), settings.seed());
            train = parts[0];
            validation = parts[1];
        }
        if (settings.earlyStopping() > 0 && validation == null) {
            throw new InvalidSettingException("earlyStopping", "needs validation data: give some, or a validationSplit");
        }
        Standardizer st = fixed;
        if (st == null && settings.standardize()) st = Standardizer.fit(train.featureMatrix(), train.rows(), train.featureCount());
        if (st != null) {
            train = train.standardized(st);
            if (validation != null) validation = validation.standardized(st);
        }
        Standardizer ts = fixedTargets;
        if (settings.standardizeTargets()) {
            if (ts == null) ts = Standardizer.fit(train.targetValues(), train.rows(), train.targetCount());
            train = train.withTargetsScaled(ts);
            if (validation != null) validation = validation.withTargetsScaled(ts);
        }
        float[] weights = settings.classWeights();
        if (settings.balancedClassWeights()) {
            if (!train.isClassification()) throw new InvalidSettingException("classWeights", "need class labels; the data is regression data");
            weights = balanced(train, architecture.outputs());
        }
        String validationSetting = validation == null ? "none" : settings.validationSplit() > 0 ? Double.toString(settings.validationSplit()) : "given: " + fingerprint(validation);
        Map<String, String> s = settings.checkpointKeys(architecture, validationSetting, weights, fingerprint(all));
        return new Prepared(train, validation, st, weights, s, all.schema(), ts);
    }

    private void checkTargetsCanBeScaled(Dataset train) {
        if (train.isClassification()) {
            throw new InvalidSettingException("standardizeTargets", "applies to regression targets; " + train.name() + " has class labels");
        }
        var layers = architecture.layers();
        if (architecture.outputActivation() != dev.clprop.model.Activation.LINEAR
                || !(layers.get(layers.size() - 1) instanceof dev.clprop.model.DenseSpec last) || !last.bias()) {
            throw new InvalidSettingException("standardizeTargets", "needs a linear output layer with a bias (" + architecture
                    + " ends otherwise): scaled targets are undone through it");
        }
    }

    /**
     * Trains on data held elsewhere, where it lies: for example a Spark {@code Dataset<Row>} through
     * {@code dev.clprop.spark.SparkData}, each step's gradient computed by the executors and combined
     * by the cluster. Epochs, row order, schedule, clipping, class weights and checkpoints are as for
     * local data, so the result equals a local run on the same rows in the same order, within the
     * training tolerance. Standardization and balanced class weights take their statistics from the
     * cluster (one job), as a local run takes them from its rows; dropout draws one machine's masks.
     * Validation splits, target scaling and step verification need the rows at hand and are refused
     * here; validation rows and early stopping are {@link #fit(DistributedData, Dataset)}'s.
     */
    public TrainingResult fit(DistributedData data) {
        return fit(data, null);
    }

    /**
     * {@link #fit(DistributedData)}, evaluating {@code validation} (rows at hand) with each epoch's weights:
     * validation figures per epoch, and early stopping, as for local data.
     *
     * @param validation rows to evaluate each epoch, or null for none
     */
    public TrainingResult fit(DistributedData data, Dataset validation) {
        Distributed d = prepare(data, validation, null);
        Parameters init = initialWeights != null ? initialWeights.parameters() : Parameters.initialise(architecture, settings.seed());
        return run(data, d, TrainingLoop.Start.fresh(init));
    }

    /**
     * Continues the run on distributed data that wrote {@code checkpointFile}, as {@link #resume(Path, Dataset, Dataset)}
     * does for local data: the same settings, the same rows in the same order (their fingerprint), and the
     * standardizer the checkpoint holds.
     *
     * @param validation the validation rows the interrupted run had, or null
     */
    public TrainingResult resume(Path checkpointFile, DistributedData data, Dataset validation) {
        ModelFormat.StoredCheckpoint c = checkpointFor(checkpointFile);
        Distributed d = prepare(data, validation, c.model().standardizer());
        checkContinues(c, checkpointFile, d.cfg().checkpointKeys(), data.rows());
        return run(data, d, TrainingLoop.Start.from(c));
    }

    /** A run on distributed data, ready: its configuration, validation rows (standardized) and standardizer. */
    private record Distributed(RunConfig cfg, Dataset validation, Standardizer standardizer) {
    }

    private TrainingResult run(DistributedData data, Distributed d, TrainingLoop.Start start) {
        try (var runner = data.runner(d.cfg(), d.validation() == null ? null : d.validation().featureMatrix(), listener::onMessage)) {
            TrainingLoop.Result r = new TrainingLoop(d.cfg(), listener, cancellation).run(runner, data.rows(), d.validation(), start);
            return new TrainingResult(Model.of(r.parameters(), settings.loss(), d.standardizer(), data.schema()), r.outcome(), r.epochsDone(), r.message(), r.history());
        }
    }

    /** {@code fixed}: the standardizer a checkpoint holds (else computed on the cluster, when asked for). */
    private Distributed prepare(DistributedData data, Dataset validation, Standardizer fixed) {
        if (settings.validationSplit() > 0) {
            throw new InvalidSettingException("validationSplit", "is not available when training on distributed data (a split needs the rows at hand);"
                    + " give validation rows instead");
        }
        refuseForDistributed("standardizeTargets", settings.standardizeTargets());
        if (settings.earlyStopping() > 0 && validation == null) {
            throw new InvalidSettingException("earlyStopping", "needs validation data to watch");
        }
        if (validation != null) checkData(validation);
        // the statistics a local run takes from its rows, computed where these rows are
        Standardizer st = fixed != null ? fixed : settings.standardize() ? data.featureStandardizer(architecture) : null;
        if (st != null && validation != null) validation = validation.standardized(st);
        float[] weights = settings.balancedClassWeights() ? balanced(data.classCounts(architecture), data.rows(), architecture.outputs()) : settings.classWeights();
        refuseForDistributed("verifyEvery", settings.verifyEvery() > 0);
        RunConfig cfg = RunConfig.builder(architecture, settings).checkpoint(checkpoint).standardizer(st).classWeights(weights)
                .checkpointKeys(settings.checkpointKeys(architecture, validation == null ? "none" : "given: " + fingerprint(validation), weights, data.fingerprint()))
                .schema(data.schema()).build();
        return new Distributed(cfg, validation, st);
    }

    private static void refuseForDistributed(String setting, boolean set) {
        if (set) throw new InvalidSettingException(setting, "is not available when training on distributed data (it needs the rows at hand)");
    }

    private void checkData(Dataset d) {
        if (d.featureCount() != architecture.inputs()) {
            throw new InvalidInputException(d.name() + ": has " + d.featureCount() + " feature columns but the architecture " + architecture
                    + " takes " + architecture.inputs() + " inputs" + (d.isClassification() ? " (the last column is the class label)" : ""));
        }
        if (d.isClassification() && d.classCount() > architecture.outputs()) {
            int r = 0;
            while (d.label(r) < architecture.outputs()) r++;
            throw new InvalidInputException(d.where(r) + ": class label " + d.label(r) + " is outside 0.." + (architecture.outputs() - 1)
                    + " (the output layer has " + architecture.outputs() + " units)");
        }
        if (!d.isClassification() && d.targetCount() != architecture.outputs()) {
            throw new InvalidInputException(d.name() + ": has " + d.targetCount() + " target column(s) but the architecture " + architecture
                    + " has " + architecture.outputs() + " output(s)");
        }
        Loss loss = settings.loss();
        if (!d.isClassification() && loss == Loss.CROSS_ENTROPY) {
            throw new InvalidInputException(d.name() + ": has real-valued targets, but " + loss + " on a softmax output needs class labels"
                    + " (drop --targets to read the last column as a label, or end the network with a linear layer)");
        }
        if (!d.isClassification() && loss == Loss.BCE) {
            float[] t = d.targetValues();
            for (int i = 0; i < t.length; i++) {
                if (t[i] < 0 || t[i] > 1) {
                    throw new InvalidInputException(d.where(i / d.targetCount()) + ": target " + t[i] + " is outside [0, 1], which " + loss
                            + " on a sigmoid output needs (a linear output with mse fits any value)");
                }
            }
        }
    }


    /** Rows and a CRC-32C of features and labels or targets: the same data gives the same string. */
    static String fingerprint(Dataset d) {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        float[] x = d.featureMatrix();
        for (int i = 0; i < x.length; ) {
            buf.clear();
            while (i < x.length && buf.remaining() >= 4) buf.putFloat(x[i++]);
            buf.flip();
            crc.update(buf);
        }
        if (d.isClassification()) {
            for (int r = 0; r < d.rows(); r++) crc.update(d.label(r));
        } else {
            float[] t = d.targetMatrix(d.targetCount());
            for (float v : t) {
                int bits = Float.floatToRawIntBits(v);
                crc.update(bits);
                crc.update(bits >>> 8);
                crc.update(bits >>> 16);
                crc.update(bits >>> 24);
            }
        }
        return String.format(Locale.ROOT, "%d rows, crc %08x", d.rows(), crc.getValue());
    }

    private RunConfig config(Prepared p) {
        return RunConfig.builder(architecture, settings).checkpoint(checkpoint).standardizer(p.standardizer).checkpointKeys(p.checkpointKeys)
                .classWeights(p.classWeights).schema(p.schema).targetScaling(p.targetScaling).build();
    }

    private TrainingResult result(Prepared p, TrainingLoop.Result r) {
        return new TrainingResult(new Model(r.parameters(), settings.loss(), p.standardizer, p.schema, p.targetScaling), r.outcome(), r.epochsDone(), r.message(), r.history());
    }

    /** A run as {@link #fit(Dataset, Dataset)} would start it (data split, standardized, weighted; first weights drawn), not yet run: for {@link Sweep}. */
    record PreparedRun(Trainer trainer, RunConfig config, Dataset train, Dataset validation, Parameters initial, Prepared prepared) {
    }

    PreparedRun prepareRun(Dataset train, Dataset validation) {
        Prepared p = prepare(train, validation, null);
        Parameters init = initialWeights != null ? initialWeights.parameters() : Parameters.initialise(architecture, settings.seed());
        return new PreparedRun(this, config(p), p.train, p.validation, init, p);
    }

    /** Runs a prepared run as {@link #fit(Dataset, Dataset)} would, on this trainer's device. */
    TrainingResult fit(PreparedRun run) {
        return run(run.prepared(), TrainingLoop.Start.fresh(run.initial()));
    }

    /** Runs a prepared run's loop on {@code runner}, with this trainer's listener and cancellation. */
    TrainingResult runOn(PreparedRun run, dev.clprop.spi.StepRunner runner) {
        TrainingLoop.Result r = new TrainingLoop(run.config(), listener, cancellation).run(runner, run.train().rows(), run.validation(),
                TrainingLoop.Start.fresh(run.initial()));
        return result(run.prepared(), r);
    }

    Device device() {
        return device;
    }

    String deviceChoice() {
        return deviceChoice;
    }

    GemmFamily gemm() {
        return gemm;
    }

    private TrainingResult run(Prepared p, TrainingLoop.Start start) {
        RunConfig cfg = config(p);
        Device d = device != null ? device : Device.openForTraining(deviceChoice, gemm, architecture, Math.min(settings.batchSize(), p.train.rows()),
                listener::onMessage);
        try {
            TrainingLoop.Result r = d.use(backends -> new TrainingLoop(backends, cfg, listener, cancellation).run(p.train, p.validation, start));
            return result(p, r);
        } finally {
            if (device == null) d.close();
        }
    }

    /**
     * Settings with PyTorch-like defaults ({@link TrainingSettings#DEFAULTS}, shared with the command line);
     * only the architecture is required. A value that can never be right fails at its setter, naming it.
     */
    public static final class Builder {
        private final Architecture architecture;
        private TrainingSettings settings = TrainingSettings.DEFAULTS;
        private Model initialWeights;
        private Path checkpoint;
        private Device device;
        private String deviceChoice = "auto";
        private GemmFamily gemm = GemmFamily.AUTO;
        private TrainingListener listener;
        private Cancellation cancellation;

        private Builder(Architecture architecture) {
            if (architecture == null) throw new InvalidSettingException("architecture", "must be given");
            this.architecture = architecture;
        }

        /** Default: cross-entropy for a softmax output, binary cross-entropy for sigmoid, else mean squared error. */
        public Builder loss(Loss loss) {
            settings = settings.withLoss(loss);
            return this;
        }

        /** Default: Adam, learning rate 0.001. */
        public Builder optimizer(Optimizer optimizer) {
            settings = settings.withOptimizer(optimizer);
            return this;
        }

        /** Rows per step (default 32); the last batch of an epoch may be smaller. */
        public Builder batchSize(int rows) {
            settings = settings.withBatchSize(rows);
            return this;
        }

        /** Passes over the training rows (default 15, as the command line's). */
        public Builder epochs(int epochs) {
            settings = settings.withEpochs(epochs);
            return this;
        }

        /** Seeds initial weights, the validation split and the batch order (default 42). */
        public Builder seed(long seed) {
            settings = settings.withSeed(seed);
            return this;
        }

        /** Shuffle rows each epoch (default); off: consecutive rows in data order. */
        public Builder shuffle(boolean shuffle) {
            settings = settings.withShuffle(shuffle);
            return this;
        }

        /** Hold out this share of the training rows for validation (default 0: none). */
        public Builder validationSplit(double fraction) {
            settings = settings.withValidationSplit(fraction);
            return this;
        }

        /** Stop when validation loss has not improved for this many epochs, keeping the best epoch's weights (0: off). */
        public Builder earlyStopping(int patience) {
            settings = settings.withEarlyStopping(patience);
            return this;
        }

        /** Standardize inputs to zero mean and unit variance, fitted on the training rows and kept with the model. */
        public Builder standardize(boolean on) {
            settings = settings.withStandardize(on);
            return this;
        }

        /**
         * Scale regression targets to zero mean and unit variance for training (fitted on the training rows,
         * kept with the model), as scikit-learn's {@code TransformedTargetRegressor} with a
         * {@code StandardScaler} does: targets in the hundreds otherwise meet a network whose outputs start
         * near 0. Predictions, metrics and exported models stay in target units; the losses printed per epoch
         * are those of the scaled targets, which the network minimises. Needs a linear output layer with a bias.
         */
        public Builder standardizeTargets(boolean on) {
            settings = settings.withStandardizeTargets(on);
            return this;
        }

        /** Start from these weights instead of random ones. */
        public Builder initialWeights(Model model) {
            this.initialWeights = model;
            return this;
        }

        /** Write a checkpoint here (atomically) after every epoch and when cancelled; {@link Trainer#resume} continues from it. */
        public Builder checkpoint(Path file) {
            this.checkpoint = file;
            return this;
        }

        /** Every this many steps, check each op of the step against EJML and report (0: off). */
        public Builder verifyEvery(int steps) {
            settings = settings.withVerifyEvery(steps);
            return this;
        }

        /** How the learning rate changes over the run (default constant); see {@link Schedule}. */
        public Builder schedule(Schedule schedule) {
            settings = settings.withSchedule(schedule);
            return this;
        }

        /** Clip the gradients to this global L2 norm before each update, as torch.nn.utils.clip_grad_norm_ (0: off). */
        public Builder clipNorm(float maxNorm) {
            settings = settings.withClipNorm(maxNorm);
            return this;
        }

        /** Weight each class's cross-entropy, as torch.nn.CrossEntropyLoss(weight=w): one weight per output. */
        public Builder classWeights(float... weights) {
            settings = settings.withClassWeights(weights);
            return this;
        }

        /** Class weights n / (C·count_c) from the training rows (scikit-learn's "balanced"). */
        public Builder balancedClassWeights() {
            settings = settings.withBalancedClassWeights(true);
            return this;
        }

        /** Train on this open device; the caller keeps it and closes it. */
        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /**
         * Open this device for each fit and close it afterwards (default "auto": EJML for networks whose training
         * step is too small to gain from OpenCL's launches, else the best OpenCL device; see
         * {@link Device#openForTraining}).
         */
        public Builder device(String choice) {
            this.deviceChoice = choice;
            this.device = null;
            return this;
        }

        /**
         * The GEMM kernels of a device this builder opens per fit ({@link #device(String)}; default AUTO). A
         * device given open ({@link #device(Device)}) keeps the family it was opened with.
         */
        public Builder gemm(GemmFamily gemm) {
            if (gemm == null) throw new InvalidSettingException("gemm", "must be given");
            this.gemm = gemm;
            return this;
        }

        /** Hears of progress: each epoch, periodic progress within one, and messages (which device, warnings). */
        public Builder listener(TrainingListener listener) {
            this.listener = listener;
            return this;
        }

        /** A token another thread can use to stop the run after its current step. */
        public Builder cancellation(Cancellation cancellation) {
            this.cancellation = cancellation;
            return this;
        }

        /** The trainer, its settings checked against the architecture (a bad combination is an {@link InvalidSettingException} naming the setting). */
        public Trainer build() {
            return new Trainer(this);
        }
    }
}
