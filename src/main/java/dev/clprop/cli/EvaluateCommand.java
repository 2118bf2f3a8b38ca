package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.metrics.Metrics;
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

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "default: ${DEFAULT-VALUE}")
    String device = "cpu";

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Model m = Model.load(model);
        DataSplit src = DataSources.open(data, null, targets == null ? CsvOptions.classification() : CsvOptions.regression(targets));
        Dataset d = src.test() != null ? src.test() : src.train();
        try (Device dev = Device.open(device)) {
            Metrics ev = m.evaluate(d, dev);
            out.printf(Locale.ROOT, "model %s (%s), data %s: %d rows%n", model, m.architecture(), d.name(), ev.rows());
            out.printf(Locale.ROOT, "loss (%s) %.6f%n", m.loss(), ev.loss());
            if (ev.isClassification()) {
                out.printf(Locale.ROOT, "accuracy %.2f%%%n", 100 * ev.accuracy());
                out.print("confusion matrix (rows: true class, columns: predicted)\n" + ev.confusionTable());
            } else {
                out.printf(Locale.ROOT, "MSE %.6g%n", ev.mse());
            }
            out.flush();
        }
    }
}
