package dev.clprop.cli;

import dev.clprop.backend.Backend;
import dev.clprop.backend.Backends;
import dev.clprop.data.Dataset;
import dev.clprop.model.Loss;
import dev.clprop.model.ModelFile;
import dev.clprop.train.Evaluation;
import dev.clprop.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Reports a model's loss, and accuracy with a confusion matrix (classification) or MSE (regression).")
public final class EvaluateCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.npz", description = "A model written by 'clprop train'")
    Path model;

    @Option(names = "--data", paramLabel = "FILE|DIR|digits", description = "CSV file, MNIST folder (its t10k test set) or 'digits' (its test split); default: ${DEFAULT-VALUE}")
    String data = "digits";

    @Option(names = "--targets", paramLabel = "N", description = "Regression: the last N columns are targets")
    Integer targets;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "default: cpu")
    String device = "cpu";

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        ModelFile.Loaded m = ModelFile.load(model);
        Loss loss = m.loss() != null ? m.loss() : TrainCommand.defaultLoss(m.parameters().spec().outputActivation());
        Dataset d = ModelData.forModel(m, data, targets, true);
        try (Backend b = Backends.open(device, s -> { })) {
            Evaluation ev = Evaluator.evaluate(b, m.parameters(), loss, d, 256);
            out.printf(Locale.ROOT, "model %s (%s), data %s: %d rows%n", model, m.parameters().spec(), d.source(), ev.rows());
            out.printf(Locale.ROOT, "loss (%s) %.6f%n", loss, ev.loss());
            if (d.isClassification()) {
                out.printf(Locale.ROOT, "accuracy %.2f%%%n", 100 * ev.accuracy());
                out.print("confusion matrix (rows: true class, columns: predicted)\n" + ev.confusionTable());
            } else {
                out.printf(Locale.ROOT, "MSE %.6g%n", ev.mse());
            }
            out.flush();
        }
    }
}
