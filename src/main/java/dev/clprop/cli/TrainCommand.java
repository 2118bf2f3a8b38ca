package dev.clprop.cli;

import dev.clprop.UserError;
import dev.clprop.backend.Backend;
import dev.clprop.backend.Backends;
import dev.clprop.backend.reference.EjmlBackend;
import dev.clprop.bench.TuningCache;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.data.Standardizer;
import dev.clprop.data.Table;
import dev.clprop.model.Activation;
import dev.clprop.model.Loss;
import dev.clprop.model.ModelFile;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Npz;
import dev.clprop.model.Optimizer;
import dev.clprop.model.Parameters;
import dev.clprop.train.DeviceSelfTest;
import dev.clprop.train.Evaluation;
import dev.clprop.train.Evaluator;
import dev.clprop.train.RunOutputs;
import dev.clprop.train.Trainer;
import dev.clprop.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
                "  clprop train --data xy.csv --targets 1 --layers 3,16:tanh,1:linear --loss mse --optimizer sgd --lr 0.05"})
public final class TrainCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "FILE|DIR|digits", description = "CSV file, MNIST-layout folder, or 'digits' (bundled; default)")
    String data = DataSources.DIGITS;

    @Option(names = "--targets", paramLabel = "N", description = "Regression: the last N CSV columns are real-valued targets (default: the last column is a class label)")
    Integer targets;

    @Option(names = "--test", paramLabel = "FILE", description = "CSV test set, evaluated at the end")
    Path test;

    @Option(names = "--layers", paramLabel = "SPEC", description = "Input width, then units:activation[:nobias] per layer, e.g. 784,256:relu,10:softmax (default: from the data)")
    String layers;

    @Option(names = "--loss", paramLabel = "NAME", description = "half-sse, mse, bce or cross-entropy (default: cross-entropy for a softmax output, else mse)")
    String loss;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "sgd, momentum or adam (default: ${DEFAULT-VALUE})")
    String optimizer = "adam";

    @Option(names = "--lr", paramLabel = "F", description = "Learning rate (default: 0.001 for adam, 0.01 otherwise)")
    Float lr;

    @Option(names = "--momentum", paramLabel = "F", description = "Momentum for --optimizer momentum (default: ${DEFAULT-VALUE})")
    float momentum = 0.9f;

    @Option(names = "--weight-decay", paramLabel = "F", description = "L2 weight decay added to the gradient (default: ${DEFAULT-VALUE})")
    float weightDecay = 0f;

    @Option(names = "--batch", paramLabel = "N", description = "Minibatch size (default: ${DEFAULT-VALUE})")
    int batch = 32;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE})")
    int epochs = 15;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for initial weights, shuffling and splits (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--no-shuffle", description = "Batches are consecutive rows in file order")
    boolean noShuffle;

    @Option(names = "--val-split", paramLabel = "F", description = "Hold out this fraction of the training rows for validation (default: 0.1 for digits and MNIST folders, none for CSV; 0 = none)")
    Double valSplit;

    @Option(names = "--standardize", description = "Scale each input feature to zero mean, unit variance (fitted on the training rows; stored in the model)")
    boolean standardize;

    @Option(names = "--init", paramLabel = "FILE.npz", description = "Start from these weights instead of random ones")
    Path init;

    @Option(names = "--resume", paramLabel = "FILE.npz", description = "Continue from a checkpoint; ends with the same weights as an uninterrupted run")
    Path resume;

    @Option(names = "--save", paramLabel = "FILE.npz", description = "Write the trained model here (atomically)")
    Path save;

    @Option(names = "--out", paramLabel = "DIR", description = "Write metrics.csv, loss.png, checkpoint.npz (every epoch) and model.npz here")
    Path out;

    @Option(names = "--early-stop", paramLabel = "N", description = "Stop when validation loss has not improved for N epochs (needs --val-split)")
    int earlyStop = 0;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "Where to train (default: ${DEFAULT-VALUE}); see 'clprop devices'")
    String device = "auto";

    @Option(names = "--verify-every", paramLabel = "N", description = "Run EJML in lockstep and compare weights and gradients every N steps")
    int verifyEvery = 0;

    @Option(names = "--quiet", description = "Only the final report")
    boolean quiet;

    @Override
    public void run() {
        PrintWriter report = spec.commandLine().getOut();
        PrintWriter info = quiet ? new PrintWriter(java.io.OutputStream.nullOutputStream()) : report;
        boolean terminal = System.console() != null;
        if (batch <= 0) throw new UserError("--batch must be a positive integer, got " + batch);
        if (epochs <= 0) throw new UserError("--epochs must be a positive integer, got " + epochs);
        boolean builtIn = data.equals(DataSources.DIGITS) || Files.isDirectory(Path.of(data));
        double holdOut = valSplit != null ? valSplit : builtIn ? 0.1 : 0.0;
        if (earlyStop > 0 && holdOut == 0) throw new UserError("--early-stop needs validation data: add --val-split F");
        if (init != null && resume != null) throw new UserError("--init and --resume cannot be combined: a checkpoint already holds the weights");
        Optimizer.Kind kind = Optimizer.Kind.parse(optimizer);
        Loss chosenLoss = loss == null ? null : Loss.parse(loss);
        NetworkSpec chosenSpec = layers == null ? null : NetworkSpec.parse(layers);
        if (chosenSpec == null && init != null) chosenSpec = ModelFile.load(init).parameters().spec();
        if (chosenSpec == null && resume != null) chosenSpec = ModelFile.load(resume).parameters().spec();

        DataSources.Loaded source = DataSources.load(data, test);
        boolean regression = targets != null;
        if (regression && targets <= 0) throw new UserError("--targets must be a positive integer, got " + targets);
        NetworkSpec netSpec = chosenSpec != null ? chosenSpec : defaultSpec(source.train(), regression);
        Dataset train = toDataset(source.train(), targets, netSpec);
        Dataset testSet = source.test() == null ? null : toDataset(source.test(), targets, netSpec);
        Dataset validation = null;
        if (holdOut != 0) {
            Dataset[] parts = DataSources.split(train, holdOut, seed);
            train = parts[0];
            validation = parts[1];
        }
        Map<String, Npz.Entry> extras = new LinkedHashMap<>();
        if (standardize) {
            Standardizer st = Standardizer.fit(train);
            st.apply(train);
            st.apply(validation);
            st.apply(testSet);
            st.store(extras);
        }
        Loss lossFn = chosenLoss != null ? chosenLoss : defaultLoss(netSpec.outputActivation());
        float rate = lr != null ? lr : (kind == Optimizer.Kind.ADAM ? 0.001f : 0.01f);
        Optimizer opt = Optimizer.of(kind, rate).withMomentum(momentum).withWeightDecay(weightDecay);
        Path checkpoint = out == null ? null : out.resolve("checkpoint.npz");
        TrainingConfig cfg = new TrainingConfig(netSpec, lossFn, opt, batch, epochs, seed, !noShuffle, checkpoint, verifyEvery, earlyStop);

        Trainer.Start start;
        if (resume != null) {
            start = Trainer.readCheckpoint(resume, cfg);
            if (start.epochsDone() >= epochs) {
                throw new UserError(resume + ": already holds epoch " + start.epochsDone() + "; ask for more --epochs than that to continue");
            }
        } else if (init != null) {
            start = Trainer.Start.fresh(ModelFile.load(init, netSpec).parameters());
        } else {
            start = Trainer.Start.fresh(Parameters.initialise(netSpec, seed));
        }

        info.printf(Locale.ROOT, "data: %s, %d training rows%s%s%n", source.name(), train.rows(),
                validation != null ? ", " + validation.rows() + " validation" : "", testSet != null ? ", " + testSet.rows() + " test" : "");
        info.printf(Locale.ROOT, "model: %s (%,d parameters), loss %s, %s lr %s, batch %d, %d epochs, seed %d%n", netSpec,
                netSpec.parameterCount(), lossFn, kind, rate, batch, epochs, seed);
        info.flush();
        RunOutputs outputs = out == null ? null : new RunOutputs(out);
        if (outputs != null && resume != null) outputs.addEarlier(RunOutputs.readCsv(out));

        try (Backend backend = Backends.open(device, m -> { info.println(m); info.flush(); }, TuningCache::lookup)) {
            if (!(backend instanceof EjmlBackend)) DeviceSelfTest.check(backend);
            ConsoleProgress progress = new ConsoleProgress(info, terminal && !quiet, outputs == null ? r -> { } : outputs::add);
            Trainer trainer = new Trainer(backend, cfg, progress);
            trainer.setModelExtras(extras);
            Trainer.Result result = runWithInterruptHandling(trainer, train, validation, start, spec.commandLine().getErr());
            progress.closeBar();

            switch (result.outcome()) {
                case DIVERGED:
                    throw new UserError(result.message());
                case INTERRUPTED:
                    throw new Interrupted(); // reported before the JVM was let go

                case EARLY_STOPPED:
                    info.println(result.message());
                    break;
                default:
                    break;
            }
            Parameters trained = result.parameters();
            if (save != null) ModelFile.save(save, trained, lossFn, extras);
            if (out != null) ModelFile.save(out.resolve("model.npz"), trained, lossFn, extras);

            Dataset evalSet = testSet != null ? testSet : train;
            String which = testSet != null ? "test" : "training";
            Evaluation ev = Evaluator.evaluate(backend, trained, lossFn, evalSet, Math.max(batch, 256));
            report.printf(Locale.ROOT, "%s loss %.6f on %d rows%n", which, ev.loss(), ev.rows());
            if (evalSet.isClassification()) {
                report.printf(Locale.ROOT, "%s accuracy %.2f%% (%d rows)%n", which, 100 * ev.accuracy(), ev.rows());
                if (!quiet) report.print("confusion matrix (rows: true class, columns: predicted)\n" + ev.confusionTable());
            } else {
                report.printf(Locale.ROOT, "%s MSE %.6g%n", which, ev.mse());
            }
            if (save != null) report.println("saved " + save);
            if (out != null) report.println("outputs in " + out + ": model.npz, checkpoint.npz, " + RunOutputs.METRICS + ", " + RunOutputs.CHART);
            report.flush();
        }
    }

    /** Thrown to end with exit status 130 after an interrupt was handled. */
    static final class Interrupted extends RuntimeException {
        Interrupted() {
            super("interrupted", null, false, false);
        }
    }

    /**
     * Ctrl-C asks the trainer to stop; the JVM waits (up to a minute) for the checkpoint to be
     * written and reported. The JVM halts as soon as the hook returns, so the report comes first.
     */
    private static Trainer.Result runWithInterruptHandling(Trainer trainer, Dataset train, Dataset validation, Trainer.Start start, PrintWriter err) {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                done.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "clprop-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Trainer.Result r = trainer.train(train, validation, start);
            if (r.outcome() == Trainer.Outcome.INTERRUPTED) {
                err.println("clprop: " + r.message());
                err.flush();
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

    static Loss defaultLoss(Activation output) {
        return output == Activation.SOFTMAX ? Loss.CROSS_ENTROPY : output == Activation.SIGMOID ? Loss.BCE : Loss.MSE;
    }

    private NetworkSpec defaultSpec(Table t, boolean regression) {
        if (regression) {
            int f = t.cols() - targets;
            if (f < 1) throw new UserError(t.source() + ": has " + t.cols() + " columns, too few for " + targets + " target column(s)");
            return NetworkSpec.parse(f + ",64:tanh," + targets + ":linear");
        }
        int maxLabel = 0;
        for (int r = 0; r < t.rows(); r++) {
            float v = t.get(r, t.cols() - 1);
            if (v != (int) v || v < 0) {
                throw new UserError(t.source() + ":" + t.lines()[r] + ": class label '" + v + "' is not a non-negative integer (for real-valued targets use --targets N)");
            }
            maxLabel = Math.max(maxLabel, (int) v);
        }
        return NetworkSpec.parse((t.cols() - 1) + ",128:relu," + Math.max(2, maxLabel + 1) + ":softmax");
    }

    /** Splits a table into inputs and targets for the network: regression with {@code targets}, else class labels. */
    static Dataset toDataset(Table t, Integer targets, NetworkSpec spec) {
        boolean regression = targets != null;
        if (regression && targets != spec.outputs()) {
            throw new UserError("--targets " + targets + " does not match the network's " + spec.outputs() + " output(s) (" + spec + ")");
        }
        Dataset d = regression ? Dataset.regression(t, targets) : Dataset.classification(t, spec.outputs());
        if (d.features() != spec.inputs()) {
            throw new UserError(t.source() + ": has " + d.features() + " input columns but the network " + spec + " takes " + spec.inputs()
                    + (regression ? "" : " (the last column is the class label)"));
        }
        return d;
    }
}
