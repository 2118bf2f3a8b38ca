package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import dev.clprop.io.OutputPlan;
import dev.clprop.io.RunFolder;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.settings.TrainingSettings;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;
import dev.clprop.train.Cancellation;
import dev.clprop.train.Outcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a network and reports its accuracy (classification) or MSE (regression).",
                "With no options: a 64-128-10 network on the bundled digits set, on the best device."},
        footer = {"", "Examples:",
                "  clprop train",
                "  clprop train --data mnist/ --layers 784,256:relu,128:relu,10:softmax --epochs 10 --out runs/mnist",
                "  clprop train --data xy.csv --targets 1 --layers 3,16:tanh,1:linear --loss mse --optimizer sgd --lr 0.05",
                "  clprop train --data iris.csv --label species --ignore id --standardize --epochs 200 --json iris.json"})
public final class TrainCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "FILE|DIR|digits", description = "CSV file, MNIST-layout folder, or 'digits' (bundled; default)")
    String data = DataSources.DIGITS;

    @Mixin
    ColumnOptions columns = new ColumnOptions();

    @Option(names = "--test", paramLabel = "FILE", description = "CSV test set with the training file's columns, evaluated at the end")
    Path test;

    @Option(names = "--val", paramLabel = "FILE", description = "CSV validation set with the training file's columns (instead of a split of the training rows)")
    Path val;

    @Option(names = "--layers", paramLabel = "SPEC", description = "Input width, then units:activation[:nobias] per layer, e.g. 784,256:relu,10:softmax (default: from the data)")
    String layers;

    @Option(names = "--loss", paramLabel = "NAME", description = "half-sse, mse, huber, bce or cross-entropy (default: cross-entropy for a softmax output, bce for sigmoid, else mse)")
    String loss;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "sgd, momentum, adam or adamw (default: ${DEFAULT-VALUE})")
    String optimizer = TrainingSettings.DEFAULTS.optimizer().kind().spelling();

    @Option(names = "--lr", paramLabel = "F", description = "Learning rate (default: 0.001 for adam and adamw, 0.01 otherwise)")
    Float lr;

    @Option(names = "--momentum", paramLabel = "F", description = "Momentum for --optimizer momentum (default: ${DEFAULT-VALUE})")
    float momentum = 0.9f;

    @Option(names = "--weight-decay", paramLabel = "F", description = {"Weight decay: F·p added to the gradient (L2); for adamw decoupled,",
            "p·(1 − lr·F) before each step (default: 0.01 for adamw, as torch.optim.AdamW; 0 otherwise)"})
    Float weightDecay;

    @Option(names = "--lr-schedule", paramLabel = "SCHEDULE", description = {"How the learning rate changes (PyTorch's formulas): constant (default),",
            "step:S:G (StepLR), cosine or cosine:T (CosineAnnealingLR), warmup:N (linear over N steps), warmup:N+cosine, warmup:N+step:S:G"})
    String lrSchedule = "constant";

    @Option(names = "--clip-norm", paramLabel = "F", description = "Clip the gradients to this global L2 norm before each update (torch.nn.utils.clip_grad_norm_)")
    float clipNorm = TrainingSettings.DEFAULTS.clipNorm();

    @Option(names = "--class-weights", paramLabel = "w0,w1,...|balanced", description = "Cross-entropy class weights (torch.nn.CrossEntropyLoss(weight=w)), or balanced: n/(C·count) from the training rows")
    String classWeights;

    @Option(names = "--batch", paramLabel = "N", description = "Minibatch size (default: ${DEFAULT-VALUE})")
    int batch = TrainingSettings.DEFAULTS.batchSize();

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE})")
    int epochs = TrainingSettings.DEFAULTS.epochs();

    @Option(names = "--seed", paramLabel = "N", description = "Seed of initial weights, validation split and batch order (default: ${DEFAULT-VALUE})")
    long seed = TrainingSettings.DEFAULTS.seed();

    @Option(names = "--no-shuffle", description = "Consecutive rows in file order instead of a shuffled order each epoch")
    boolean noShuffle;

    @Option(names = "--val-split", paramLabel = "F", description = "Hold out this fraction of the training rows for validation (default: 0.1 when there is a test set: digits, MNIST, --test; else none; 0 = none)")
    Double valSplit;

    @Option(names = "--standardize", description = "Scale each input feature to zero mean, unit variance (fitted on the training rows; stored in the model)")
    boolean standardize;

    @Option(names = "--standardize-targets", description = {"Regression: train on targets scaled to zero mean, unit variance (fitted on the training rows;",
            "stored in the model). Predictions, metrics and exports stay in target units; per-epoch losses are of the scaled targets"})
    boolean standardizeTargets;

    @Option(names = "--init", paramLabel = "FILE.npz", description = "Start from these weights instead of random ones")
    Path init;

    @Option(names = "--resume", paramLabel = "FILE.npz", description = "Continue from a checkpoint; ends with the same weights as an uninterrupted run")
    Path resume;

    @Option(names = "--save", paramLabel = "FILE.npz", description = "Write the trained model here (atomically)")
    Path save;

    @Option(names = "--out", paramLabel = "DIR", description = {"Write metrics.csv, loss.png, checkpoint.npz (every epoch) and model.npz here.",
            "They are kept in DIR/incomplete/ until the run succeeds; a failed or interrupted run leaves DIR's earlier files as they were"})
    Path out;

    @Option(names = "--early-stop", paramLabel = "N", description = "Stop when validation loss has not improved for N epochs (needs validation data)")
    int earlyStop = TrainingSettings.DEFAULTS.earlyStopping();

    @Mixin
    GemmOption gemm;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "Where to train (default: ${DEFAULT-VALUE}); see 'clprop devices'")
    String device = "auto";

    @Option(names = "--verify-every", paramLabel = "N", description = "Every N steps, check each op of the step against EJML and report the largest difference")
    int verifyEvery = 0;

    @Option(names = "--spark", paramLabel = "MASTER", description = {"Train on Apache Spark, one Spark job per step: local[N] runs Spark in this process",
            "with N threads; a cluster's URL (spark://, yarn, k8s://) when run through spark-submit. See docs/spark.md"})
    String spark;

    @Option(names = "--spark-partitions", paramLabel = "N", description = "Partitions of the training rows on Spark (default: Spark's default parallelism)")
    Integer sparkPartitions;

    @Option(names = "--spark-sync", paramLabel = "K", description = {"Spark's averaging mode: each partition makes K local steps on its own rows,",
            "then the weights and optimizer state are averaged (default 1: exact, one Spark job per step). See docs/spark.md"})
    int sparkSync = 1;

    @Option(names = "--executor-device", paramLabel = "cpu|auto|opencl[:N]", description = "What Spark's executors train on (default: ${DEFAULT-VALUE})")
    String executorDevice = "cpu";

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the settings, the history and the final figures here as JSON (atomically)")
    Path json;

    @Option(names = "--quiet", description = "Only the final report")
    boolean quiet;

    @Override
    public void run() {
        PrintWriter report = spec.commandLine().getOut();
        PrintWriter info = quiet ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : report;
        if (init != null && resume != null) throw new InvalidSettingException("initialWeights", "cannot be combined with --resume: a checkpoint already holds the weights");
        if (spark == null && (sparkSync != 1 || sparkPartitions != null)) {
            throw new InvalidSettingException(sparkSync != 1 ? "sparkSync" : "sparkPartitions", "applies to training on Spark only (give --spark MASTER)");
        }
        // outputs are checked before any work, so a bad path does not cost a whole run
        Path dataFile = data.equals(DataSources.DIGITS) ? null : Path.of(data);
        try (OutputPlan plan = new OutputPlan().input("data", dataFile).input("test", test).input("val", val).input("initialWeights", init)
                .input("resume", resume).rewrites(resume)) {
            if (out != null) {
                // the run folder's files, where they end and where they are staged, and its lock
                for (String name : RunOutputs.FILES) plan.output("out", out.resolve(name)).output("out", out.resolve(RunFolder.INCOMPLETE).resolve(name));
                plan.output("out", out.resolve(RunFolder.LOCK));
            }
            plan.output("save", save).output("json", json);
            try (RunFolder folder = out == null ? null : RunFolder.open(out)) {
                train(report, info, folder, plan);
            }
        }
    }

    private void train(PrintWriter report, PrintWriter info, RunFolder folder, OutputPlan plan) {
        DataSplit source = DataSources.open(data, test, val, columns.csv());
        Dataset train = source.train();
        Architecture arch = architectureFor(train);
        RunOutputs outputs = folder == null ? null : new RunOutputs(folder, resume);
        Cancellation cancellation = new Cancellation();
        ConsoleProgress progress = new ConsoleProgress(info, System.console() != null && !quiet, outputs, source.name());
        Trainer.Builder b = trainerFor(arch, source)
                .checkpoint(folder == null ? null : folder.staged(RunOutputs.CHECKPOINT))
                .listener(progress).cancellation(cancellation);

        try (Device dev = Device.openForTraining(device, gemm.family(), arch, batch, progress::onMessage)) {
            Trainer trainer = b.device(dev).build();
            Dataset validation = source.validation();
            TrainingResult result = runWithInterruptHandling(cancellation, folder,
                    () -> spark != null ? SparkTraining.fit(trainer, train, validation, valSplit != null ? valSplit : source.defaultValidationFraction(), resume, spark,
                            sparkPartitions, executorDevice, sparkSync, progress::onMessage)
                            : resume != null ? trainer.resume(resume, train, validation) : trainer.fit(train, validation));
            progress.closeBar();
            Model model = result.model();
            if (result.outcome() == Outcome.DIVERGED) throw new Main.Stopped(Main.EXIT_USAGE, result.message());
            if (save != null) model.save(plan.stage(save));
            if (result.outcome() == Outcome.EARLY_STOPPED) info.println(result.message());
            Dataset evalSet = source.test() != null ? source.test() : train;
            String which = source.test() != null ? "test" : "training";
            Metrics m = model.evaluate(evalSet, dev);
            List<String> names = Reports.outputNames(model.schema(), m);
            if (folder != null) {
                model.save(folder.staged(RunOutputs.MODEL));
                if (m.isClassification()) Reports.writeConfusionChart(folder.staged(RunOutputs.CONFUSION), m, names);
            }
            if (json != null) Reports.writeJson(plan.stage(json), jsonReport(result, which, evalSet, m, model));
            // every output is written; only now does any of them replace what was there
            plan.commit();
            if (folder != null) folder.commit();
            Reports.print(report, which, m, model.schema(), model.loss().toString(), !quiet);
            warnOfNegativeR2(m, which);
            if (save != null) report.println("saved " + save);
            if (json != null) report.println("wrote " + json);
            if (folder != null) {
                report.println("outputs in " + out + ": " + RunOutputs.MODEL + ", " + RunOutputs.CHECKPOINT + ", " + RunOutputs.METRICS + ", " + RunOutputs.CHART
                        + (m.isClassification() ? ", " + RunOutputs.CONFUSION : ""));
            }
        }
    }

    /** The network these options ask for: --layers, the weights' or checkpoint's, or the default for the data. */
    Architecture architectureFor(Dataset train) {
        return layers != null ? Architecture.parse(layers)
                : init != null ? Model.load(init).architecture()
                : resume != null ? Model.load(resume).architecture()
                : Architecture.defaultFor(train.featureCount(), classesToLearn(train), train.targetCount());
    }

    /** A trainer as these options set it up (no checkpoint, listener or device yet): what train runs, and what sweep runs per model. */
    Trainer.Builder trainerFor(Architecture arch, DataSplit source) {
        Optimizer.Kind kind = Optimizer.Kind.parse(optimizer);
        Optimizer opt = Optimizer.of(kind, lr != null ? lr : kind.defaultLearningRate()).withMomentum(momentum)
                .withWeightDecay(weightDecay != null ? weightDecay : kind.defaultWeightDecay());
        Trainer.Builder b = Trainer.builder(arch)
                .loss(loss == null ? null : Loss.parse(loss))
                .optimizer(opt).batchSize(batch).epochs(epochs).seed(seed).shuffle(!noShuffle)
                // on Spark the split is made here, where the rows are, and the validation rows stay with the driver
                .validationSplit(spark != null ? 0 : valSplit != null ? valSplit : source.defaultValidationFraction())
                .earlyStopping(earlyStop).standardize(standardize).standardizeTargets(standardizeTargets).verifyEvery(verifyEvery)
                .schedule(Schedule.parse(lrSchedule)).clipNorm(clipNorm);
        if (init != null) b.initialWeights(Model.loadWeights(init, arch));
        if (classWeights != null) {
            if (classWeights.trim().equalsIgnoreCase("balanced")) b.balancedClassWeights();
            else b.classWeights(weights(classWeights));
        }
        return b;
    }

    /**
     * The classes a network made from the data learns: a file whose rows are all of one class would give a
     * two-output network a class that no row has, so it is refused (a network given by --layers may still
     * train on it, as the worked examples do).
     */
    static int classesToLearn(Dataset train) {
        if (!train.isClassification()) return train.classCount();
        int present = 0;
        for (int c : train.classCounts()) if (c > 0) present++;
        if (present < 2) {
            String only = train.classNames() != null ? Quote.of(train.classNames().get(train.label(0))) : Integer.toString(train.label(0));
            throw new dev.clprop.error.InvalidInputException(train.name() + ": every training row is of class " + only
                    + "; a classifier needs rows of two classes or more (or give --layers for a network of your own)");
        }
        return train.classCount();
    }

    /** A regression worse than predicting the mean gets one warning, with the likely cause when it applies. */
    private void warnOfNegativeR2(Metrics m, String which) {
        if (m.isClassification()) return;
        double worst = Double.POSITIVE_INFINITY;
        for (int j = 0; j < m.targets(); j++) worst = Math.min(worst, m.r2(j));
        if (!(worst < 0)) return;
        spec.commandLine().getErr().printf(Locale.ROOT, "clprop: warning: R² is %.3f on the %s rows: the model predicts worse than the targets' mean%s%n",
                worst, which, standardizeTargets ? "; try more epochs, another learning rate or --standardize"
                        : "; for targets far from 0 or of large spread, try --standardize-targets (and --standardize)");
    }

    Map<String, Object> jsonReport(TrainingResult result, String which, Dataset evalSet, Metrics m, Model model) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("command", "train");
        j.put("options", Reports.options(spec));
        j.put("architecture", model.architecture().toString());
        j.put("loss", model.loss().toString());
        j.put("outcome", result.outcome().name().toLowerCase(Locale.ROOT));
        j.put("epochs", result.epochs());
        j.put("message", result.message());
        j.put("history", Reports.history(result.history()));
        Map<String, Object> e = Reports.figures(m, model.schema());
        e.put("set", which);
        e.put("data", evalSet.name());
        j.put("evaluation", e);
        return j;
    }

    private static float[] weights(String list) {
        String[] f = list.split(",", -1);
        float[] w = new float[f.length];
        for (int i = 0; i < f.length; i++) {
            try {
                w[i] = Float.parseFloat(f[i].trim());
            } catch (NumberFormatException e) {
                throw new InvalidSettingException("classWeights", dev.clprop.error.Quote.of(f[i]) + " is not a number (expected w0,w1,... or balanced)");
            }
        }
        return w;
    }

    /**
     * Ctrl-C cancels the run, which stops after its step and writes its checkpoint; the JVM waits
     * (up to a minute) for that, then exits. The JVM halts as soon as the hook returns, so the
     * report is printed before the hook lets go.
     */
    private TrainingResult runWithInterruptHandling(Cancellation cancellation, RunFolder folder, java.util.function.Supplier<TrainingResult> work) {
        CountDownLatch done = new CountDownLatch(1);
        PrintWriter err = spec.commandLine().getErr();
        Thread hook = new Thread(() -> {
            cancellation.cancel();
            try {
                done.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "clprop-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            TrainingResult r = work.get();
            if (r.outcome() == Outcome.CANCELLED) {
                if (save != null) r.model().save(save);
                err.println("clprop: interrupted: " + r.message() + (folder != null ? "; continue with --resume " + folder.staged(RunOutputs.CHECKPOINT) : "")
                        + (save != null ? "; the model trained so far is in " + save : ""));
                throw new Main.Stopped(Main.EXIT_INTERRUPTED, null);
            }
            return r;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down: the hook is running and has just been released
            }
        }
    }
}
