package dev.clprop.bench;

import com.google.gson.GsonBuilder;
import dev.clprop.io.AtomicFiles;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one {@code clprop bench} run measured, written as results.csv (one row per
 * measurement), results.json, gemm.png and training.png.
 */
public final class BenchReport {
    public final Map<String, Object> machine = new LinkedHashMap<>();
    public final List<GemmBench.Result> gemm = new ArrayList<>();
    public final List<TrainBench.KernelProfile> kernels = new ArrayList<>();
    public final List<TrainBench.Result> training = new ArrayList<>();
    public final List<TrainBench.ParallelResult> dataParallel = new ArrayList<>();
    /** backend → the smallest measured batch from which it trains faster than EJML (null: never). */
    public final Map<String, Integer> crossover = new LinkedHashMap<>();

    public void write(Path dir) {
        AtomicFiles.write(dir.resolve("results.json"), out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(this, w);
            w.flush();
        });
        AtomicFiles.write(dir.resolve("results.csv"), out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder()
                    .setHeader("section", "backend", "form", "m", "n", "k", "batch", "metric", "median", "min", "max", "reps", "check").build());
            for (GemmBench.Result r : gemm) {
                Stats s = r.gflops();
                csv.printRecord("gemm", r.backend(), r.form().name().toLowerCase(), r.m(), r.n(), r.k(), "", "GFLOP/s",
                        s == null ? "" : s.median(), s == null ? "" : s.min(), s == null ? "" : s.max(), s == null ? 0 : s.n(), r.check());
            }
            for (TrainBench.KernelProfile p : kernels) {
                for (Map.Entry<String, Double> e : p.microsPerStep().entrySet()) {
                    csv.printRecord("kernels", p.backend(), p.optimizer() + " " + e.getKey(), "", "", "", p.batch(), "us/step", e.getValue(), "", "", p.steps(), "");
                }
                csv.printRecord("kernels", p.backend(), p.optimizer() + " upload (whole epoch)", "", "", "", p.batch(), "ms", p.uploadMillis(), "", "", 1, "");
                csv.printRecord("kernels", p.backend(), p.optimizer() + " download (whole epoch)", "", "", "", p.batch(), "ms", p.downloadMillis(), "", "", 1, "");
                csv.printRecord("kernels", p.backend(), p.optimizer() + " program build", "", "", "", "", "ms", p.buildMillis(), "", "", 1, "");
            }
            for (TrainBench.Result r : training) {
                Stats s = r.samplesPerSecond();
                csv.printRecord("training", r.backend(), r.spec() + " " + r.optimizer(), "", "", "", r.batch(), "samples/s", s.median(), s.min(), s.max(), s.n(), "");
            }
            for (TrainBench.ParallelResult p : dataParallel) {
                TrainBench.Result r = p.result();
                Stats s = r.samplesPerSecond();
                String what = r.spec() + " " + r.optimizer();
                csv.printRecord("data-parallel", r.backend(), what, "", "", "", r.batch(), "samples/s", s.median(), s.min(), s.max(), s.n(), "");
                csv.printRecord("data-parallel", r.backend(), what, "", "", "", r.batch(), "ms/step", p.timing().msPerStep(), "", "", p.timing().steps(), "");
                csv.printRecord("data-parallel", r.backend(), what, "", "", "", r.batch(), "combine ms/step", p.timing().combineMsPerStep(), "", "", p.timing().steps(), "");
            }
            csv.flush();
        });
        if (!gemm.isEmpty()) writeGemmChart(dir.resolve("gemm.png"));
        if (!training.isEmpty()) writeTrainingChart(dir.resolve("training.png"));
    }

    private void writeGemmChart(Path file) {
        XYChart c = new XYChartBuilder().width(1000).height(600).title("GEMM throughput (square sizes, median)")
                .xAxisTitle("n (n×n×n)").yAxisTitle("GFLOP/s").build();
        c.getStyler().setXAxisLogarithmic(true);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (GemmBench.Result r : gemm) {
            if (r.gflops() == null || r.m() != r.n() || r.n() != r.k()) continue;
            series.computeIfAbsent(shortName(r.backend()) + " " + r.form().name().toLowerCase(), x -> new ArrayList<>())
                    .add(new double[]{r.m(), r.gflops().median()});
        }
        series.forEach((name, pts) -> {
            if (pts.size() > 0) c.addSeries(name, pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray());
        });
        if (!series.isEmpty()) AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(c, out, BitmapEncoder.BitmapFormat.PNG));
    }

    private void writeTrainingChart(Path file) {
        XYChart c = new XYChartBuilder().width(1000).height(600).title("Training throughput, " + training.get(0).spec())
                .xAxisTitle("batch size").yAxisTitle("samples/s").build();
        c.getStyler().setXAxisLogarithmic(true);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (TrainBench.Result r : training) {
            series.computeIfAbsent(shortName(r.backend()) + " " + r.optimizer(), x -> new ArrayList<>()).add(new double[]{r.batch(), r.samplesPerSecond().median()});
        }
        series.forEach((name, pts) -> c.addSeries(name, pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray()));
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(c, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** "opencl:0 pthread-skylake… (PoCL, CPU)" → "opencl:0". */
    static String shortName(String backend) {
        int sp = backend.indexOf(' ');
        return sp < 0 ? backend : backend.substring(0, sp);
    }
}
