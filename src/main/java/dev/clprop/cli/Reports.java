package dev.clprop.cli;

import com.google.gson.GsonBuilder;
import dev.clprop.io.AtomicFiles;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.DataSchema;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.awt.Color;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How train and evaluate report a model's figures: as text for people (scikit-learn's
 * classification_report layout and a confusion matrix), as JSON for scripts, and the confusion
 * matrix as a PNG heat map.
 */
final class Reports {
    private Reports() {
    }

    /** The names to label outputs with: class names for a classifier, target names for regression; null: indices. */
    /**
     * The class or target names as a person is shown them: through the one quoting function
     * ({@link dev.clprop.error.Quote#clean}), so that a name read from a file cannot drive the terminal.
     */
    static List<String> outputNames(DataSchema schema, Metrics m) {
        List<String> names = m.isClassification() ? schema.classNames() : schema.targetNames();
        return names == null ? null : names.stream().map(dev.clprop.error.Quote::clean).toList();
    }

    /**
     * The text report: loss and accuracy or MSE (lines prefixed with {@code which}, say "test"),
     * then per-class figures and, with {@code detail}, the confusion matrix; or per-target figures.
     */
    static void print(PrintWriter out, String which, Metrics m, DataSchema schema, String lossName, boolean detail) {
        List<String> names = outputNames(schema, m);
        String w = which.isEmpty() ? "" : which + " ";
        out.printf(Locale.ROOT, "%sloss %.6f on %d rows (%s)%n", w, m.loss(), m.rows(), lossName);
        if (m.isClassification()) {
            out.printf(Locale.ROOT, "%saccuracy %.2f%% (%d rows), macro F1 %.4f, weighted F1 %.4f%n", w, 100 * m.accuracy(), m.rows(), m.macroF1(), m.weightedF1());
            if (!detail) return;
            out.print("\n" + m.report(names));
            out.print("\nconfusion matrix (rows: true class, columns: predicted)\n" + m.confusionTable(names));
        } else {
            out.printf(Locale.ROOT, "%sMSE %.6g%n", w, m.mse());
            if (detail) out.print("\n" + m.report(names));
        }
    }

    /** Every figure of {@code m}, in a form Gson writes as JSON. */
    static Map<String, Object> figures(Metrics m, DataSchema schema) {
        List<String> names = outputNames(schema, m);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("rows", m.rows());
        f.put("loss", m.loss());
        f.put("mse", m.mse());
        if (m.isClassification()) {
            f.put("task", "classification");
            f.put("accuracy", m.accuracy());
            List<Map<String, Object>> classes = new ArrayList<>();
            for (int c = 0; c < m.classes(); c++) {
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("class", c);
                k.put("name", name(names, c));
                k.put("precision", m.precision(c));
                k.put("recall", m.recall(c));
                k.put("f1", m.f1(c));
                k.put("support", m.support(c));
                classes.add(k);
            }
            f.put("classes", classes);
            f.put("macro_avg", Map.of("precision", m.macroPrecision(), "recall", m.macroRecall(), "f1", m.macroF1()));
            f.put("weighted_avg", Map.of("precision", m.weightedPrecision(), "recall", m.weightedRecall(), "f1", m.weightedF1()));
            f.put("confusion_matrix", m.confusion());
        } else {
            f.put("task", "regression");
            List<Map<String, Object>> targets = new ArrayList<>();
            for (int j = 0; j < m.targets(); j++) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("target", j);
                t.put("name", name(names, j));
                t.put("mse", m.mse(j));
                t.put("rmse", m.rmse(j));
                t.put("mae", m.mae(j));
                t.put("r2", m.r2(j));
                targets.add(t);
            }
            f.put("targets", targets);
        }
        return f;
    }

    /** One map per epoch, for JSON (NaN where an epoch had no such figure). */
    static List<Map<String, Object>> history(List<dev.clprop.train.EpochSummary> rows) {
        List<Map<String, Object>> h = new ArrayList<>();
        for (dev.clprop.train.EpochSummary r : rows) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("epoch", r.epoch());
            e.put("train_loss", r.trainLoss());
            e.put("val_loss", r.validationLoss());
            e.put("val_accuracy", r.validationAccuracy());
            e.put("learning_rate", r.learningRate());
            e.put("seconds", r.seconds());
            h.add(e);
        }
        return h;
    }

    private static String name(List<String> names, int i) {
        return names != null && i < names.size() ? names.get(i) : Integer.toString(i);
    }

    /** The command's options as given or defaulted (help and version left out), by their longest name. */
    static Map<String, Object> options(CommandSpec spec) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (OptionSpec opt : spec.options()) {
            if (opt.usageHelp() || opt.versionHelp()) continue;
            o.put(opt.longestName(), plain(opt.getValue()));
        }
        return o;
    }

    private static Object plain(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) return v;
        if (v instanceof Collection<?> c) return c.stream().map(Reports::plain).toList();
        return v.toString();
    }

    /** Writes {@code report} as pretty-printed JSON, atomically. */
    static void writeJson(Path file, Map<String, Object> report) {
        AtomicFiles.write(file, out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().serializeNulls().create().toJson(report, w);
            w.write('\n');
            w.flush();
        });
    }

    /** Draws the confusion matrix as a heat map (true classes down, predictions across), atomically. */
    static void writeConfusionChart(Path file, Metrics m, List<String> names) {
        HeatMapChart chart = confusionChart(m, names);
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** The confusion matrix as a heat map: cell (predicted p, row n-1-t) holds the count of true t predicted p. */
    static HeatMapChart confusionChart(Metrics m, List<String> names) {
        int n = m.classes();
        long[][] c = m.confusion();
        List<String> across = new ArrayList<>(), down = new ArrayList<>();
        for (int i = 0; i < n; i++) across.add(name(names, i));
        for (int i = n - 1; i >= 0; i--) down.add(name(names, i)); // the chart's y axis runs upwards
        List<Number[]> cells = new ArrayList<>();
        long max = 1;
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                cells.add(new Number[]{p, n - 1 - t, c[t][p]});
                max = Math.max(max, c[t][p]);
            }
        }
        int side = Math.min(1400, 220 + 48 * n);
        HeatMapChart chart = new HeatMapChartBuilder().width(side + 120).height(side).title("confusion matrix (" + m.rows() + " rows)")
                .xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setShowValue(n <= 30).setMin(0).setMax(max)
                .setRangeColors(new Color[]{Color.WHITE, new Color(0xc6dbef), new Color(0x4292c6)})
                .setValueFontColor(Color.DARK_GRAY);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.addSeries("rows", across, down, cells);
        return chart;
    }
}
