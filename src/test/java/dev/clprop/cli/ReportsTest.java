package dev.clprop.cli;

import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.optim.Optimizer;
import dev.clprop.train.EpochSummary;
import dev.clprop.train.RunInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapSeries;
import org.knowm.xchart.XYChart;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a person reads and sees from a run: the text report, JSON figures, charts and progress lines. */
class ReportsTest {
    @TempDir
    Path dir;

    /** Three classes, four rows: true 0,1,2,2 predicted 0,1,1,2. */
    private static Metrics classification() {
        Dataset d = Dataset.classification(new float[][]{{0}, {1}, {2}, {3}}, new int[]{0, 1, 2, 2});
        float[] p = {0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.6f, 0.3f, 0.1f, 0.2f, 0.7f};
        return Metrics.of(d, Loss.CROSS_ENTROPY, p, 3);
    }

    /** n classes, one row each, every one predicted right. */
    private static Metrics diagonal(int n) {
        int[] labels = new int[n];
        float[] p = new float[n * n];
        for (int i = 0; i < n; i++) {
            labels[i] = i;
            p[i * n + i] = 1;
        }
        return Metrics.of(Dataset.classification(new float[n][1], labels), Loss.CROSS_ENTROPY, p, n);
    }

    private static DataSchema named() {
        return DataSchema.classification(List.of("x"), "label", List.of("cat", "dog", "bad\u001b[31mname"), List.of());
    }

    @Test
    void theTextReportNamesClassesQuotedAndShowsTheConfusionMatrixOnlyInDetail() {
        Metrics m = classification();
        StringWriter brief = new StringWriter(), full = new StringWriter();
        Reports.print(new PrintWriter(brief), "test", m, named(), "cross-entropy", false);
        Reports.print(new PrintWriter(full), "", m, named(), "cross-entropy", true);
        String b = brief.toString(), f = full.toString();
        assertTrue(b.startsWith("test loss "), b);
        assertTrue(b.contains("test accuracy 75.00% (4 rows)"), b);
        assertEquals(2, b.lines().count(), b);
        assertTrue(f.startsWith("loss "), f);
        assertTrue(f.contains("confusion matrix (rows: true class, columns: predicted)"), f);
        assertTrue(f.contains("cat") && f.contains("dog"), f);
        assertTrue(f.contains("precision") && f.contains("recall"), "the per-class report: " + f);
        assertFalse(f.contains("\u001b"), "a terminal escape in a class name reaches the terminal: " + f);
    }

    @Test
    void aRegressionReportGivesMseAndPerTargetFiguresInDetail() {
        Dataset d = Dataset.regression(new float[][]{{0}, {1}}, new float[][]{{1, 2}, {3, 4}});
        Metrics m = Metrics.of(d, Loss.MSE, new float[]{1, 2, 3, 6}, 2);
        DataSchema s = DataSchema.regression(List.of("x"), List.of("price", "size"), List.of());
        StringWriter brief = new StringWriter(), full = new StringWriter();
        Reports.print(new PrintWriter(brief), "training", m, s, "mse", false);
        Reports.print(new PrintWriter(full), "training", m, s, "mse", true);
        assertTrue(brief.toString().contains("training MSE 1.00000"), brief.toString());
        assertEquals(2, brief.toString().lines().count(), brief.toString());
        assertTrue(full.toString().contains("price") && full.toString().contains("size"), full.toString());

        Map<String, Object> fig = Reports.figures(m, s);
        assertEquals("regression", fig.get("task"));
        @SuppressWarnings("unchecked") List<Map<String, Object>> targets = (List<Map<String, Object>>) fig.get("targets");
        assertEquals(2, targets.size());
        assertEquals("size", targets.get(1).get("name"));
        assertEquals(2.0, (double) targets.get(1).get("mse"), 1e-12);
        assertEquals(1, targets.get(1).get("target"));
        // no names known: targets by number
        @SuppressWarnings("unchecked") List<Map<String, Object>> unnamed = (List<Map<String, Object>>) Reports.figures(m, DataSchema.UNKNOWN).get("targets");
        assertEquals("1", unnamed.get(1).get("name"));
    }

    @Test
    void theJsonFiguresOfAClassifierHoldEveryClassAndTheMatrix() {
        Metrics m = classification();
        Map<String, Object> fig = Reports.figures(m, named());
        assertEquals("classification", fig.get("task"));
        assertEquals(0.75, (double) fig.get("accuracy"), 1e-12);
        @SuppressWarnings("unchecked") List<Map<String, Object>> classes = (List<Map<String, Object>>) fig.get("classes");
        assertEquals(3, classes.size());
        assertEquals("dog", classes.get(1).get("name"));
        assertEquals(2L, classes.get(2).get("support"));
        assertEquals(0.5, (double) classes.get(2).get("recall"), 1e-12);
        assertTrue(Arrays.deepEquals(new long[][]{{1, 0, 0}, {0, 1, 0}, {0, 1, 1}}, (long[][]) fig.get("confusion_matrix")));
    }

    @Test
    void historyHasOneEntryPerEpochWithItsFigures() {
        List<Map<String, Object>> h = Reports.history(List.of(new EpochSummary(1, 0.9, 0.8, 0.5, 1.5, 100, 0.01),
                new EpochSummary(2, 0.5, Double.NaN, Double.NaN, 1.0, 110, 0.005)));
        assertEquals(2, h.size());
        assertEquals(Map.of("epoch", 2, "train_loss", 0.5, "val_loss", Double.NaN, "val_accuracy", Double.NaN, "learning_rate", 0.005, "seconds", 1.0), h.get(1));
    }

    @Test
    void theJsonFileIsPrettyAndKeepsNaNAndNull() throws Exception {
        Path f = dir.resolve("r.json");
        Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("a", Double.NaN);
        r.put("b", null);
        Reports.writeJson(f, r);
        assertEquals("{\n  \"a\": NaN,\n  \"b\": null\n}\n", Files.readString(f));
    }

    @Test
    void theOptionsAreRecordedByTheirLongestNameWithoutHelp() {
        picocli.CommandLine cl = new picocli.CommandLine(new ExportCommand());
        cl.parseArgs("--model", "m.npz", "--onnx", "o.onnx");
        Map<String, Object> o = Reports.options(cl.getCommandSpec());
        assertEquals("m.npz", o.get("--model"));
        assertEquals("o.onnx", o.get("--onnx"));
        assertFalse(o.containsKey("--help") || o.containsKey("--version"), o.toString());
        picocli.CommandLine bench = new picocli.CommandLine(new BenchCommand());
        bench.parseArgs("--optimizers", "sgd,adam", "--quick");
        Map<String, Object> b = Reports.options(bench.getCommandSpec());
        assertEquals(List.of("sgd", "adam"), b.get("--optimizers"));
        assertEquals(Boolean.TRUE, b.get("--quick"));
        assertEquals(8192, b.get("--rows"));
        assertEquals("bench-results", b.get("--out"), "a Path is written as its text");
    }

    @Test
    void theConfusionHeatMapPutsTrueClassesDownAndPredictionsAcross() throws Exception {
        Metrics m = classification();
        HeatMapChart c = Reports.confusionChart(m, List.of("cat", "dog", "cow"));
        assertEquals(220 + 48 * 3, c.getHeight());
        assertEquals(220 + 48 * 3 + 120, c.getWidth());
        HeatMapSeries s = c.getSeriesMap().get("rows");
        assertEquals(List.of("cat", "dog", "cow"), s.getXData());
        assertEquals(List.of("cow", "dog", "cat"), s.getYData(), "the y axis runs upwards");
        List<List<Number>> cells = new ArrayList<>();
        for (Number[] cell : s.getHeatData()) cells.add(Arrays.asList(cell));
        // true class 2 (cow, row 0 from the bottom) predicted 1 (dog) once
        assertTrue(cells.contains(Arrays.<Number>asList(1, 0, 1L)), cells.toString());
        assertTrue(cells.contains(Arrays.<Number>asList(0, 2, 1L)), cells.toString());
        assertEquals(9, cells.size());
        assertEquals(1.0, c.getStyler().getMax(), 1e-12);
        assertTrue(c.getStyler().isShowValue());
        assertTrue(c.getTitle().contains("(4 rows)"), c.getTitle());
        // many classes: the picture stops growing, and from 31 classes the numbers give way
        HeatMapChart bc = Reports.confusionChart(diagonal(31), null);
        assertEquals(1400, bc.getHeight());
        assertFalse(bc.getStyler().isShowValue());
        assertEquals("30", bc.getSeriesMap().get("rows").getXData().get(30));
        assertTrue(Reports.confusionChart(diagonal(30), null).getStyler().isShowValue());
        Path png = dir.resolve("c.png");
        Reports.writeConfusionChart(png, m, null);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(220 + 48 * 3 + 120, img.getWidth());
    }

    @Test
    void theLossChartAddsValidationCurvesOnlyWhenTheRunHasThem() {
        XYChart plain = RunOutputs.chart(List.of(new EpochSummary(1, 0.9, Double.NaN, Double.NaN, 1, 1, 0.1),
                new EpochSummary(2, 0.7, Double.NaN, Double.NaN, 1, 1, 0.1)));
        assertEquals(List.of("train loss"), new ArrayList<>(plain.getSeriesMap().keySet()));
        XYChart val = RunOutputs.chart(List.of(new EpochSummary(1, 0.9, Double.NaN, Double.NaN, 1, 1, 0.1),
                new EpochSummary(2, 0.7, 0.8, Double.NaN, 1, 1, 0.1)));
        assertEquals(List.of("train loss", "validation loss"), new ArrayList<>(val.getSeriesMap().keySet()));
        XYChart acc = RunOutputs.chart(List.of(new EpochSummary(1, 0.9, Double.NaN, 0.5, 1, 1, 0.1),
                new EpochSummary(2, 0.7, 0.8, 0.6, 1, 1, 0.1)));
        assertEquals(List.of("train loss", "validation loss", "validation accuracy"), new ArrayList<>(acc.getSeriesMap().keySet()));
        assertEquals(1, acc.getSeriesMap().get("validation accuracy").getYAxisGroup());
        assertEquals("accuracy", acc.getYAxisGroupTitle(1));
        assertEquals(List.of(1.0, 2.0), Arrays.stream(acc.getSeriesMap().get("train loss").getXData()).boxed().toList());
    }

    @Test
    void aLaterEpochReplacesTheSameEpochFromBefore() throws Exception {
        try (dev.clprop.io.RunFolder folder = dev.clprop.io.RunFolder.open(dir.resolve("run"))) {
            RunOutputs out = new RunOutputs(folder, null);
            out.add(new EpochSummary(1, 0.9, 0.8, 0.5, 1.0, 100, 0.01));
            out.add(new EpochSummary(2, 0.5, 0.6, 0.7, 1.0, 110, 0.005));
            out.add(new EpochSummary(2, 0.4, 0.6, 0.7, 1.0, 110, 0.005));
            assertEquals(List.of(1, 2), out.rows().stream().map(EpochSummary::epoch).toList());
            assertEquals(0.4, out.rows().get(1).trainLoss());
            out.add(new EpochSummary(1, 0.3, 0.6, 0.7, 1.0, 110, 0.005));
            assertEquals(List.of(1), out.rows().stream().map(EpochSummary::epoch).toList(), "a resumed epoch 1 drops what came after it");
        }
    }

    // ---- progress

    private static RunInfo info(int validationRows, int firstEpoch) {
        return new RunInfo("cpu", Architecture.parse("4,3:softmax"), Loss.CROSS_ENTROPY, Optimizer.of(Optimizer.Kind.SGD, 0.1f), 8, 3, 42,
                100, validationRows, firstEpoch);
    }

    @Test
    void progressLinesSayWhatRunsAndComeAtMostEveryFiveSeconds() {
        StringWriter text = new StringWriter();
        AtomicLong now = new AtomicLong(1_000_000);
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(text, true), false, null, "digits", now::get);
        assertEquals(1000, p.progressIntervalMillis());
        p.onStart(info(20, 1));
        p.onEpochStart(1, 3, 1000);
        now.addAndGet(4999);
        p.onProgress(1, 100, 1000, 0.9);
        assertEquals(2, text.toString().lines().count(), "no line before five seconds: " + text);
        now.addAndGet(1);
        p.onProgress(1, 500, 1000, 0.75);
        now.addAndGet(1000);
        p.onProgress(1, 600, 1000, 0.7);
        p.onEpochEnd(new EpochSummary(1, 0.5, 0.4, 0.875, 10, 100, 0.1));
        p.onMessage("a message");
        List<String> lines = text.toString().lines().toList();
        assertEquals("data: digits, 100 training rows, 20 validation", lines.get(0));
        assertEquals("model: 4,3:softmax (15 parameters), loss cross-entropy, " + Optimizer.of(Optimizer.Kind.SGD, 0.1f).describe() + ", batch 8, 3 epochs, seed 42",
                lines.get(1));
        // 500 samples in 5 s: 100 samples/s, 500 to go: 5 s
        assertEquals("  epoch 1/3  50.0% 500/1000 samples, loss 0.7500, 100 samples/s, ETA 5s", lines.get(2));
        assertEquals("epoch 1/3  train loss 0.500000  val loss 0.400000  val acc 87.50%  lr 0.100  10.00s  100 samples/s", lines.get(3));
        assertEquals("a message", lines.get(4));
        assertEquals(5, lines.size(), text.toString());
    }

    @Test
    void aResumedRunWithoutValidationSaysSo() {
        StringWriter text = new StringWriter();
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(text, true), false, null, "data.csv", () -> 0);
        p.onStart(info(0, 3));
        p.onEpochStart(3, 3, 10);
        p.onEpochEnd(new EpochSummary(3, 0.5, Double.NaN, Double.NaN, 1, 10, 0.1));
        List<String> lines = text.toString().lines().toList();
        assertEquals("data: data.csv, 100 training rows", lines.get(0));
        assertTrue(lines.get(1).endsWith(", seed 42, resuming at epoch 3"), lines.get(1));
        assertEquals("epoch 3/3  train loss 0.500000  lr 0.100  1.00s  10 samples/s", lines.get(2));
    }

    @Test
    void onATerminalABarRunsPerEpochAndClosesBeforeAnyLine() {
        StringWriter text = new StringWriter();
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(text, true), true, null, "digits", () -> 0);
        assertEquals(250, p.progressIntervalMillis());
        p.onEpochStart(1, 2, 100);
        assertTrue(p.barOpen());
        p.onProgress(1, 50, 100, 0.5);
        assertEquals("", text.toString(), "a bar, not lines");
        p.onMessage("note");
        assertFalse(p.barOpen(), "a message closes the bar first");
        p.onEpochStart(2, 2, 100);
        p.onEpochEnd(new EpochSummary(2, 0.5, Double.NaN, Double.NaN, 1, 10, 0.1));
        assertFalse(p.barOpen());
        assertEquals(List.of("note", "epoch 2/2  train loss 0.500000  lr 0.100  1.00s  10 samples/s"), text.toString().lines().toList());
    }
}
