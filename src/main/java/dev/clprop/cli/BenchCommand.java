package dev.clprop.cli;

import dev.clprop.device.Backend;
import dev.clprop.device.DeviceSelection;
import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.error.OpenClUnavailableException;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.bench.BenchReport;
import dev.clprop.bench.GemmBench;
import dev.clprop.bench.Stats;
import dev.clprop.bench.TrainBench;
import dev.clprop.device.opencl.TuningCache;
import dev.clprop.io.OutputPlan;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures GEMM GFLOP/s, time per kernel per training step, and training samples/s on EJML and",
                "on each OpenCL device. Every GEMM result is checked against EJML before it is timed.",
                "Writes results.csv, results.json, gemm.png and training.png to --out."})
public final class BenchCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    GemmOption gemm;

    @Option(names = "--device", paramLabel = "all|cpu|opencl[:N]", description = "What to measure: all = EJML and every OpenCL device (default: ${DEFAULT-VALUE})")
    String device = "all";

    @Option(names = "--only", split = ",", paramLabel = "gemm|kernels|training", description = "Sections to run (default: all)")
    Set<String> only = new TreeSet<>(List.of("gemm", "kernels", "training"));

    /** Largest square GEMM: three 8192² float matrices take 768 MiB. */
    static final int MAX_SIZE = 8192;

    @Option(names = "--sizes", split = ",", paramLabel = "N", description = "Square GEMM sizes (default: ${DEFAULT-VALUE})")
    int[] sizes = {64, 128, 256, 512, 1024, 2048};

    @Option(names = "--data-parallel", paramLabel = "DEVICES",
            description = "Also train data-parallel on these devices (e.g. opencl:0,opencl:1, gpus, or opencl:0/2 for two sub-devices of device 0)"
                    + " and report each step's time and the part spent combining gradients")
    String dataParallel;

    @Option(names = "--layers", paramLabel = "SPEC", description = "The standard MLP (default: ${DEFAULT-VALUE})")
    String layers = "784,256:relu,128:relu,10:softmax";

    @Option(names = "--optimizers", split = ",", paramLabel = "NAME", description = "Optimizers of the kernel profile and the training figures (default: ${DEFAULT-VALUE})")
    List<String> optimizers = List.of("sgd", "adam");

    @Option(names = "--batches", split = ",", paramLabel = "N", description = "Training batch sizes (default: ${DEFAULT-VALUE})")
    int[] batches = {1, 8, 32, 128, 512};

    @Option(names = "--profile-batch", paramLabel = "N", description = "Batch size of the kernel profile (default: ${DEFAULT-VALUE})")
    int profileBatch = 128;

    @Option(names = "--rows", paramLabel = "N", description = "Synthetic training rows per epoch (default: ${DEFAULT-VALUE})")
    int rows = 8192;

    @Option(names = "--reps", paramLabel = "N", description = "Timed repetitions (default: ${DEFAULT-VALUE})")
    int reps = 5;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed runs before timing (default: ${DEFAULT-VALUE})")
    int warmup = 1;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the CSV, JSON and charts go (default: ${DEFAULT-VALUE})")
    Path out = Path.of("bench-results");

    @Option(names = "--quick", description = "Small sizes and few repetitions (a smoke run)")
    boolean quick;

    @Override
    public void run() {
        PrintWriter o = spec.commandLine().getOut();
        // where the results go is checked before minutes of measuring, not after
        new OutputPlan().output("out", out.resolve("results.csv")).output("out", out.resolve("results.json"))
                .output("out", out.resolve("gemm.png")).output("out", out.resolve("training.png"));
        if (quick) {
            // a smoke run's sizes, except where the command line gave its own (they are checked below)
            var given = spec.commandLine().getParseResult();
            if (!given.hasMatchedOption("--sizes")) sizes = new int[]{64, 256};
            if (!given.hasMatchedOption("--batches")) batches = new int[]{16, 128};
            reps = Math.min(reps, 2);
            rows = Math.min(rows, 1024);
        }
        if (reps <= 0 || warmup < 0 || rows <= 0) throw new Main.Stopped(Main.EXIT_USAGE, "--reps and --rows must be positive, --warmup >= 0");
        for (int n : sizes) {
            if (n < 1 || n > MAX_SIZE) throw new Main.Stopped(Main.EXIT_USAGE, "--sizes " + n + ": a GEMM size must be in 1.." + MAX_SIZE);
        }
        // each option is checked where it is used: the batch sizes by the training sections
        boolean trained = only.contains("training") || dataParallel != null;
        for (int n : batches) {
            if (trained && (n < 1 || n > rows)) throw new Main.Stopped(Main.EXIT_USAGE, "--batches " + n + ": a batch must be in 1..--rows (" + rows + ")");
        }
        // the profile batch shapes the kernel profile and the network's GEMMs; a training-only run never uses it
        boolean profiled = only.contains("kernels") || only.contains("gemm");
        if (profiled && (profileBatch < 1 || profileBatch > rows)) throw new Main.Stopped(Main.EXIT_USAGE, "--profile-batch " + profileBatch + ": must be in 1..--rows (" + rows + ")");
        for (String s : only) {
            if (!Set.of("gemm", "kernels", "training").contains(s)) throw new Main.Stopped(Main.EXIT_USAGE, "--only: unknown section '" + s + "' (gemm, kernels, training)");
        }
        Architecture ns = Architecture.parse(layers);
        List<Supplier<Backend>> backends = new ArrayList<>();
        List<DeviceInfo> cl = new ArrayList<>();
        if (device.equals("all") || device.equals("cpu")) backends.add(EjmlBackend::new);
        if (!device.equals("cpu")) {
            for (DeviceInfo d : device.equals("all") ? devicesOrNone(o) : openClDevices(device)) {
                cl.add(d);
                GemmConfig config = GemmConfig.choose(d, TuningCache.lookup(d), gemm.family());
                backends.add(() -> new OpenClBackend(d, config));
            }
        }
        BenchReport report = new BenchReport();
        report.machine.put("processors", Runtime.getRuntime().availableProcessors());
        report.machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        report.machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        // originalArgs holds the whole command line, "bench" included
        report.machine.put("command", "clprop " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));

        if (only.contains("gemm")) gemm(o, backends, ns, report);
        if (only.contains("kernels")) kernels(o, cl, ns, report);
        if (only.contains("training")) training(o, backends, ns, report);
        if (dataParallel != null) dataParallel(o, ns, report);
        report.write(out);
        o.println("wrote " + out.resolve("results.csv") + ", results.json" + (report.gemm.isEmpty() ? "" : ", gemm.png")
                + (report.training.isEmpty() ? "" : ", training.png"));
    }

    private void gemm(PrintWriter o, List<Supplier<Backend>> backends, Architecture ns, BenchReport report) {
        List<int[]> shapes = new ArrayList<>();
        for (int s : sizes) shapes.add(new int[]{s, s, s});
        for (var p : ns.parameterShapes()) if (!p.vector()) shapes.add(new int[]{profileBatch, p.rows(), p.cols()});
        o.println("GEMM: GFLOP/s, median of " + reps + " after " + Math.max(1, warmup) + " warm-up [min-max], each repetition 'queued' launches back to back"
                + " (at least " + Math.round(GemmBench.MIN_REPETITION_SECONDS * 1000) + " ms of work); each result checked against EJML before timing");
        o.printf(Locale.ROOT, "%-10s %-14s %6s %6s %6s %6s %10s  %s%n", "backend", "form", "m", "n", "k", "queued", "GFLOP/s", "[min-max]");
        try (EjmlBackend ref = new EjmlBackend()) {
            for (int[] s : shapes) {
                float[][] in = GemmBench.inputs(s[0], s[1], s[2], 17);
                for (GemmBench.Form f : GemmBench.Form.values()) {
                    float[] expected = GemmBench.reference(ref, f, s[0], s[1], s[2], in);
                    for (Supplier<Backend> sb : backends) {
                        try (Backend b = sb.get()) {
                            GemmBench.Result r = GemmBench.run(b, f, s[0], s[1], s[2], warmup, reps, in, expected);
                            report.gemm.add(r);
                            if (r.correct()) {
                                Stats g = r.gflops();
                                o.printf(Locale.ROOT, "%-10s %-14s %6d %6d %6d %6d %10.1f  [%.1f-%.1f]%n", shortName(b), f.name().toLowerCase(), s[0], s[1], s[2],
                                        r.launches(), g.median(), g.min(), g.max());
                            } else {
                                o.printf(Locale.ROOT, "%-10s %-14s %6d %6d %6d %6s %10s  %s%n", shortName(b), f.name().toLowerCase(), s[0], s[1], s[2], "",
                                        "-", r.check());
                            }
                        }
                    }
                }
            }
        }
    }

    private void kernels(PrintWriter o, List<DeviceInfo> cl, Architecture ns, BenchReport report) {
        for (DeviceInfo d : cl) {
            for (String opt : optimizers) try (OpenClBackend b = new OpenClBackend(d, GemmConfig.choose(d, TuningCache.lookup(d), gemm.family()))) {
                TrainBench.KernelProfile p = TrainBench.profile(b, ns, Optimizer.Kind.parse(opt), profileBatch, rows);
                report.kernels.add(p);
                double total = p.microsPerStep().values().stream().mapToDouble(Double::doubleValue).sum();
                o.printf(Locale.ROOT, "%nKernels per training step on %s (GEMM %s), %s batch %d, %s, from profiling events:%n", d.describe(),
                        b.gemmConfig(), ns, profileBatch, p.optimizer());
                for (Map.Entry<String, Double> e : p.microsPerStep().entrySet()) {
                    o.printf(Locale.ROOT, "  %-26s %9.1f us %5.1f%%%n", e.getKey(), e.getValue(), 100 * e.getValue() / total);
                }
                o.printf(Locale.ROOT, "  %-26s %9.1f us%n", "total device time", total);
                o.printf(Locale.ROOT, "  transfers in the whole epoch (dataset and parameters in, loss out): upload %.2f ms, download %.2f ms%n",
                        p.uploadMillis(), p.downloadMillis());
                o.printf(Locale.ROOT, "  program build (all kernels): %.0f ms%n", p.buildMillis());
            }
        }
    }

    private void training(PrintWriter o, List<Supplier<Backend>> backends, Architecture ns, BenchReport report) {
        List<Optimizer.Kind> kinds = optimizers.stream().map(Optimizer.Kind::parse).toList();
        o.printf(Locale.ROOT, "%nTraining %s, %d synthetic rows per epoch: samples/s, median of %d epochs after a warm-up epoch%n", ns, rows, reps);
        StringBuilder head = new StringBuilder(String.format("%-16s", "backend"));
        for (int b : batches) head.append(String.format("%10s", "batch " + b));
        o.println(head);
        double[] ejml = null;
        for (Supplier<Backend> sb : backends) {
            try (Backend b = sb.get()) {
                double[] first = new double[batches.length];
                for (Optimizer.Kind kind : kinds) {
                    StringBuilder line = new StringBuilder(String.format("%-16s", shortName(b) + " " + kind.spelling()));
                    for (int i = 0; i < batches.length; i++) {
                        TrainBench.Result r = TrainBench.run(b, ns, kind, batches[i], rows, reps);
                        report.training.add(r);
                        double v = r.samplesPerSecond().median();
                        line.append(String.format(Locale.ROOT, "%10.0f", v));
                        if (kind == kinds.get(0)) first[i] = v;
                    }
                    o.println(line);
                }
                if (b instanceof EjmlBackend) ejml = first;
                else if (ejml != null) report.crossover.put(b.name(), crossover(batches, ejml, first));
            }
        }
        report.crossover.forEach((name, batch) -> o.println(batch == null
                ? "  " + name + " does not overtake ejml at the measured batch sizes (" + kinds.get(0).spelling() + ")"
                : "  " + name + " trains faster than ejml from batch " + batch + " (of " + Arrays.toString(batches) + ", " + kinds.get(0).spelling() + ")"));
    }

    /** The first batch size at which a device's samples/s exceed EJML's, or null if it never does. */
    static Integer crossover(int[] batches, double[] ejml, double[] device) {
        for (int i = 0; i < batches.length; i++) {
            if (device[i] > ejml[i]) return batches[i];
        }
        return null;
    }

    private void dataParallel(PrintWriter o, Architecture ns, BenchReport report) {
        List<Optimizer.Kind> kinds = optimizers.stream().map(Optimizer.Kind::parse).toList();
        List<Backend> devices = DeviceSelection.open(dataParallel, gemm.family(), line -> { });
        try {
            if (devices.size() < 2) throw new Main.Stopped(Main.EXIT_USAGE, "--data-parallel " + dataParallel + ": names one device; data parallelism needs two or more");
            o.printf(Locale.ROOT, "%nData-parallel training %s on %d devices (%s), %d synthetic rows per epoch: median samples/s of %d epochs;"
                    + " ms per step and the part combining gradients, averaged over all epochs%n", ns, devices.size(), dataParallel, rows, reps);
            if (devices.stream().anyMatch(b -> b instanceof OpenClBackend c && c.device().isSubDevice())) {
                o.println("  sub-devices share one device's cores and memory: this measures the method's overhead, not a speed-up");
            }
            o.printf(Locale.ROOT, "%-10s %6s %12s %10s %12s %8s%n", "optimizer", "batch", "samples/s", "ms/step", "combine ms", "share");
            for (Optimizer.Kind kind : kinds) {
                for (int batch : batches) {
                    TrainBench.ParallelResult r = TrainBench.runOn(devices, ns, kind, batch, rows, reps);
                    report.dataParallel.add(r);
                    o.printf(Locale.ROOT, "%-10s %6d %12.0f %10.3f %12.3f %7.1f%%%n", kind.spelling(), batch, r.result().samplesPerSecond().median(),
                            r.timing().msPerStep(), r.timing().combineMsPerStep(), 100 * r.timing().combineMsPerStep() / r.timing().msPerStep());
                }
            }
        } finally {
            for (int i = devices.size() - 1; i >= 0; i--) devices.get(i).close();
        }
    }

    static String shortName(Backend b) {
        int sp = b.name().indexOf(' ');
        return sp < 0 ? b.name() : b.name().substring(0, sp);
    }

    private static List<DeviceInfo> devicesOrNone(PrintWriter o) {
        try {
            return OpenCl.devices();
        } catch (OpenClUnavailableException e) {
            o.println("no OpenCL devices (" + e.getMessage() + "); measuring ejml only");
            return List.of();
        }
    }

    /** Devices named by "all", "opencl" or "opencl:N"; a missing OpenCL is a user error here. */
    static List<DeviceInfo> openClDevices(String choice) {
        List<DeviceInfo> all = OpenCl.devices();
        if (choice.equals("all") || choice.equals("opencl")) return all;
        return List.of(DeviceSelection.byIndex(choice, all));
    }

}
