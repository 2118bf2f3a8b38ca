package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.Ensemble;
import dev.clprop.Model;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.data.ModelInputs;
import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.metrics.Metrics;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the model's predictions as CSV on stdout, one row per input row, after a header row.",
                "CSV input is matched to the model by column name when both have names (any order; label, target and",
                "ignored columns are skipped), else by position: the inputs, optionally followed by the label or target columns."},
        footer = {"", "Examples:",
                "  clprop predict --model iris.npz --data new-flowers.csv --output class",
                "  cat rows.csv | clprop predict --model m.npz --data - > predictions.csv",
                "  clprop predict --model runs/digits/model.npz --data digits --output class"})
public final class PredictCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ParentCommand
    Main main;

    @Option(names = "--model", required = true, paramLabel = "FILE.npz",
            description = "A model; several (--model a.npz --model b.npz) predict as an ensemble, their outputs averaged")
    List<Path> models;

    @Option(names = "--data", required = true, paramLabel = "FILE|-|DIR|digits",
            description = "CSV file, '-' for CSV on standard input, an MNIST folder (its t10k images) or 'digits' (its test split)")
    String data;

    @Mixin
    ColumnOptions columns = new ColumnOptions();

    @Option(names = "--output", paramLabel = "proba|class", description = {"proba: every output of the network (class probabilities for a classifier);",
            "class: the predicted class, by name when the model knows its class names (default: ${DEFAULT-VALUE})"})
    String output = "proba";

    @Option(names = "--no-header", description = "Leave out the header row")
    boolean noHeader;

    @Mixin
    GemmOption gemm;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "default: ${DEFAULT-VALUE}")
    String device = "cpu";

    @Override
    public void run() {
        boolean classes = switch (output.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "proba", "probabilities", "outputs" -> false;
            case "class", "classes" -> true;
            default -> throw new InvalidSettingException("output", "is " + dev.clprop.error.Quote.of(output) + "; expected proba or class");
        };
        List<Model> loaded = new ArrayList<>();
        for (Path p : models) loaded.add(Model.load(p));
        Ensemble ensemble = Ensemble.of(loaded);
        Model m = ensemble.first();
        if (classes && !m.isClassifier()) throw new InvalidSettingException("output", "class applies to classifiers; this model is a regression model");
        float[][] rows = read(m);
        PrintWriter out = spec.commandLine().getOut();
        try (Device dev = Device.open(device, gemm.family(), line -> { })) {
            float[][] o = ensemble.predict(rows, dev);
            CSVPrinter csv = new CSVPrinter(out, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').build());
            if (!noHeader) csv.printRecord(header(m, classes));
            List<String> cells = new ArrayList<>();
            for (float[] row : o) {
                cells.clear();
                if (classes) cells.add(className(m, Metrics.argmax(row, 0, row.length)));
                else for (float v : row) cells.add(Float.toString(v));
                csv.printRecord(cells);
            }
            csv.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String className(Model m, int c) {
        List<String> names = m.schema().classNames();
        return names != null && c < names.size() ? names.get(c) : Integer.toString(c);
    }

    /** class (or the label's name); else one name per output: the class or target names, or output_1... */
    private static List<String> header(Model m, boolean classes) {
        List<String> label = m.schema().targetNames();
        if (classes) return List.of(label != null && label.size() == 1 ? label.get(0) : "class");
        List<String> names = m.isClassifier() ? m.schema().classNames() : m.schema().targetNames();
        List<String> h = new ArrayList<>();
        for (int j = 0; j < m.outputs(); j++) {
            if (names != null && j < names.size()) h.add(m.isClassifier() ? "p_" + names.get(j) : names.get(j));
            else h.add(m.isClassifier() ? "p_" + j : "output_" + (j + 1));
        }
        return h;
    }

    private float[][] read(Model m) {
        float[] x;
        if (data.equals("-") || Files.isRegularFile(Path.of(data))) {
            ModelInputs in = columns.inputsFor(m);
            x = data.equals("-") ? in.features("standard input", main.stdin) : in.features(Path.of(data));
        } else {
            if (columns.label != null || !columns.ignore.isEmpty() || columns.targets != null) {
                throw new InvalidInputException("--label, --ignore and --targets apply to CSV data, not " + data);
            }
            DataSplit src = DataSources.open(data, null, CsvOptions.classification());
            Dataset d = src.test() != null ? src.test() : src.train();
            if (d.featureCount() != m.inputs()) {
                throw new InvalidInputException(d.name() + ": has " + d.featureCount() + " features but the model " + m.architecture() + " takes " + m.inputs() + " inputs");
            }
            x = d.featureMatrix();
        }
        int f = m.inputs();
        float[][] rows = new float[x.length / f][f];
        for (int r = 0; r < rows.length; r++) System.arraycopy(x, r * f, rows[r], 0, f);
        return rows;
    }
}
