package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.Ensemble;
import dev.clprop.Model;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.io.OutputPlan;
import dev.clprop.metrics.Metrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reports a model's loss and, for a classifier, accuracy, per-class precision, recall and F1 and a confusion matrix;",
                "for regression, MSE, RMSE, MAE and R² per target. The model file says which columns it needs."},
        footer = {"", "Examples:",
                "  clprop evaluate --model runs/digits/model.npz",
                "  clprop evaluate --model iris.npz --data iris-test.csv --json iris-test.json --plot iris-confusion.png"})
public final class EvaluateCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.npz",
            description = {"A model written by 'clprop train'; several (--model a.npz --model b.npz) are scored as an ensemble,",
                    "their outputs averaged (class probabilities, or values in target units)"})
    List<Path> models;

    @Option(names = "--data", paramLabel = "FILE|DIR|digits", description = "CSV file, MNIST folder (its t10k test set) or 'digits' (its test split); default: ${DEFAULT-VALUE}")
    String data = DataSources.DIGITS;

    @Mixin
    ColumnOptions columns = new ColumnOptions();

    @Mixin
    GemmOption gemm;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "default: ${DEFAULT-VALUE}")
    String device = "cpu";

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures here as JSON (atomically)")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw the confusion matrix as a heat map (classifiers)")
    Path plot;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Path dataFile = data.equals(DataSources.DIGITS) ? null : Path.of(data);
        OutputPlan planned = new OutputPlan().input("data", dataFile);
        for (Path m : models) planned.input("model", m);
        try (OutputPlan plan = planned.output("json", json).output("plot", plot)) {
            evaluate(out, plan);
        }
    }

    private void evaluate(PrintWriter out, OutputPlan plan) {
        List<Model> loaded = new java.util.ArrayList<>();
        for (Path p : models) loaded.add(Model.load(p));
        Ensemble ensemble = Ensemble.of(loaded);
        Model m = ensemble.first();
        String model = models.size() == 1 ? models.get(0).toString() : "ensemble of " + models.size() + " (" + models.get(0) + ", ...)";
        Dataset d = read(m);
        if (plot != null && !m.isClassifier()) throw new dev.clprop.error.InvalidSettingException("plot", "draws a confusion matrix; this is a regression model");
        try (Device dev = Device.open(device, gemm.family(), line -> { })) {
            Metrics ev = ensemble.evaluate(d, dev);
            out.printf("model %s (%s), data %s%n", model, m.architecture(), d.name());
            Reports.print(out, "", ev, m.schema(), m.loss().toString(), true);
            if (json != null) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "evaluate");
                j.put("model", models.size() == 1 ? model : models.stream().map(Path::toString).toList());
                j.put("architecture", m.architecture().toString());
                j.put("data", d.name());
                j.putAll(Reports.figures(ev, m.schema()));
                Reports.writeJson(plan.stage(json), j);
            }
            if (plot != null) Reports.writeConfusionChart(plan.stage(plot), ev, Reports.outputNames(m.schema(), ev));
            plan.commit();
            if (json != null) out.println("wrote " + json);
            if (plot != null) out.println("wrote " + plot);
        }
    }

    private Dataset read(Model m) {
        Path p = data.equals(DataSources.DIGITS) ? null : Path.of(data);
        if (p != null && Files.isRegularFile(p)) {
            return columns.inputsFor(m).labelled(p);
        }
        if (columns.label != null || !columns.ignore.isEmpty() || columns.targets != null) {
            throw new dev.clprop.error.InvalidInputException("--label, --ignore and --targets apply to CSV data, not " + data);
        }
        DataSplit src = DataSources.open(data, null, CsvOptions.classification());
        return src.test() != null ? src.test() : src.train();
    }
}
