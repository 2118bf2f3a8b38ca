package dev.clprop.cli;

import dev.clprop.io.AtomicFiles;
import dev.clprop.io.RunFolder;
import dev.clprop.train.EpochSummary;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a run leaves in --out: metrics.csv (one row per epoch) and loss.png (loss and accuracy
 * curves), rewritten atomically after every epoch so an interrupted run still has them; at the end
 * model.npz and, for a classifier, confusion.png.
 */
final class RunOutputs {
    static final String METRICS = "metrics.csv";
    static final String CHART = "loss.png";
    static final String CHECKPOINT = "checkpoint.npz";
    static final String MODEL = "model.npz";
    static final String CONFUSION = "confusion.png";
    /** Every file a run folder may hold. */
    static final java.util.List<String> FILES = java.util.List.of(METRICS, CHART, CHECKPOINT, MODEL, CONFUSION);

    private final Path metricsFile, chartFile;
    private final List<EpochSummary> rows = new ArrayList<>();

    /**
     * Writes into the run folder's staging area; {@link RunFolder#commit()} moves the files into place.
     * @param resumedFrom the checkpoint a resumed run continues: the curve continues from the metrics.csv beside it; or null
     */
    RunOutputs(RunFolder folder, Path resumedFrom) {
        this.metricsFile = folder.staged(METRICS);
        this.chartFile = folder.staged(CHART);
        if (resumedFrom != null && resumedFrom.toAbsolutePath().getParent() != null) rows.addAll(readCsv(resumedFrom.toAbsolutePath().getParent()));
    }

    void add(EpochSummary r) {
        rows.removeIf(x -> x.epoch() >= r.epoch());
        rows.add(r);
        writeCsv();
        writeChart();
    }

    List<EpochSummary> rows() {
        return rows;
    }

    /** Reads metrics.csv from an earlier run in this folder, if there is one. */
    static List<EpochSummary> readCsv(Path dir) {
        Path f = dir.resolve(METRICS);
        List<EpochSummary> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) return out;
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8);
             CSVParser csv = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            for (CSVRecord c : csv) {
                // files written before learning_rate was recorded have no such column
                double lr = c.isMapped("learning_rate") ? d(c.get("learning_rate")) : Double.NaN;
                out.add(new EpochSummary(Integer.parseInt(c.get("epoch")), d(c.get("train_loss")), d(c.get("val_loss")), d(c.get("val_accuracy")),
                        d(c.get("seconds")), d(c.get("samples_per_second")), lr));
            }
        } catch (IOException | RuntimeException e) {
            return new ArrayList<>(); // a damaged log only loses the earlier curve, not the run
        }
        return out;
    }

    private static double d(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.8g", v);
    }

    private void writeCsv() {
        AtomicFiles.write(metricsFile, out -> {
            Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
            CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setRecordSeparator('\n')
                    .setHeader("epoch", "train_loss", "val_loss", "val_accuracy", "seconds", "samples_per_second", "learning_rate").build());
            for (EpochSummary r : rows) {
                csv.printRecord(r.epoch(), f(r.trainLoss()), f(r.validationLoss()), f(r.validationAccuracy()), f(r.seconds()),
                        f(r.samplesPerSecond()), f(r.learningRate()));
            }
            csv.flush();
        });
    }

    private void writeChart() {
        XYChart chart = chart(rows);
        AtomicFiles.write(chartFile, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** The loss curves per epoch, and validation accuracy on a right-hand axis when the run had it. */
    static XYChart chart(List<EpochSummary> rows) {
        double[] x = new double[rows.size()], train = new double[rows.size()], val = new double[rows.size()], acc = new double[rows.size()];
        boolean hasVal = false, hasAcc = false;
        for (int i = 0; i < rows.size(); i++) {
            EpochSummary r = rows.get(i);
            x[i] = r.epoch();
            train[i] = r.trainLoss();
            val[i] = r.validationLoss();
            acc[i] = r.validationAccuracy();
            hasVal |= !Double.isNaN(r.validationLoss());
            hasAcc |= !Double.isNaN(r.validationAccuracy());
        }
        XYChart chart = new XYChartBuilder().width(900).height(520).title("clprop training").xAxisTitle("epoch").yAxisTitle("loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.addSeries("train loss", x, train).setMarker(SeriesMarkers.CIRCLE);
        if (hasVal) chart.addSeries("validation loss", x, val).setMarker(SeriesMarkers.DIAMOND);
        if (hasAcc) {
            XYSeries s = chart.addSeries("validation accuracy", x, acc);
            s.setMarker(SeriesMarkers.SQUARE);
            s.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "accuracy");
        }
        return chart;
    }
}
