package dev.clprop.train;

import dev.clprop.AtomicFiles;
import dev.clprop.UserError;
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
public final class RunOutputs {
    public static final String METRICS = "metrics.csv";
    public static final String CHART = "loss.png";

    private final Path dir;
    private final List<Trainer.EpochResult> rows = new ArrayList<>();

    public RunOutputs(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UserError("--out " + dir + ": cannot create the folder: " + e.getMessage());
        }
    }

    /** Starts from the rows of an earlier run (for --resume into the same folder). */
    public void addEarlier(List<Trainer.EpochResult> earlier) {
        rows.addAll(earlier);
    }

    public void add(Trainer.EpochResult r) {
        rows.removeIf(x -> x.epoch() >= r.epoch());
        rows.add(r);
        writeCsv();
        writeChart();
    }

    public List<Trainer.EpochResult> rows() {
        return rows;
    }

    /** Reads metrics.csv from an earlier run in this folder, if there is one. */
    public static List<Trainer.EpochResult> readCsv(Path dir) {
        Path f = dir.resolve(METRICS);
        List<Trainer.EpochResult> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) return out;
        try {
            List<String> lines = Files.readAllLines(f);
            for (int i = 1; i < lines.size(); i++) {
                String[] c = lines.get(i).split(",");
                out.add(new Trainer.EpochResult(Integer.parseInt(c[0]), d(c[1]), d(c[2]), d(c[3]), d(c[4]), d(c[5])));
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
        for (Trainer.EpochResult r : rows) {
            sb.append(r.epoch()).append(',').append(f(r.trainLoss())).append(',').append(f(r.valLoss())).append(',')
                    .append(f(r.valAccuracy())).append(',').append(f(r.seconds())).append(',').append(f(r.samplesPerSecond())).append('\n');
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
            Trainer.EpochResult r = rows.get(i);
            x[i] = r.epoch();
            train[i] = r.trainLoss();
            val[i] = r.valLoss();
            acc[i] = r.valAccuracy();
            hasVal |= !Double.isNaN(r.valLoss());
            hasAcc |= !Double.isNaN(r.valAccuracy());
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
