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

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a run leaves in --out: metrics.csv (one row per epoch) and loss.png (loss and accuracy
 * curves), rewritten atomically after every epoch so an interrupted run still has them.
 */
final class RunOutputs {
    static final String METRICS = "metrics.csv";
    static final String CHART = "loss.png";
    static final String CHECKPOINT = "checkpoint.npz";
    static final String MODEL = "model.npz";

    private final Path dir;
    private final List<EpochSummary> rows = new ArrayList<>();

    /**
     * Writes into the run folder's staging area; {@link RunFolder#commit()} moves the files into place.
     * @param resumedFrom the checkpoint a resumed run continues: the curve continues from the metrics.csv beside it; or null
     */
    RunOutputs(RunFolder folder, Path resumedFrom) {
        this.dir = folder.staged(METRICS).getParent();
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
        try {
            List<String> lines = Files.readAllLines(f);
            for (int i = 1; i < lines.size(); i++) {
                String[] c = lines.get(i).split(",");
                out.add(new EpochSummary(Integer.parseInt(c[0]), d(c[1]), d(c[2]), d(c[3]), d(c[4]), d(c[5])));
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
        StringBuilder sb = new StringBuilder("epoch,train_loss,val_loss,val_accuracy,seconds,samples_per_second\n");
        for (EpochSummary r : rows) {
            sb.append(r.epoch()).append(',').append(f(r.trainLoss())).append(',').append(f(r.validationLoss())).append(',')
                    .append(f(r.validationAccuracy())).append(',').append(f(r.seconds())).append(',').append(f(r.samplesPerSecond())).append('\n');
        }
        AtomicFiles.write(dir.resolve(METRICS), out -> {
            try (Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8)) {
                w.write(sb.toString());
            }
        });
    }

    private void writeChart() {
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
        AtomicFiles.write(dir.resolve(CHART), out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
