package dev.clprop.cli;

import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.OpenCl;
import dev.clprop.bench.Tuner;
import dev.clprop.device.opencl.TuningCache;
import dev.clprop.model.Architecture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tries GEMM kernel variants and tile/vector parameters on OpenCL devices, keeps only those whose",
                "results match EJML, and caches the fastest per device and driver. train and bench use the cache."})
public final class TuneCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", paramLabel = "opencl[:N]|all", description = "Device to tune (default: ${DEFAULT-VALUE})")
    String device = "all";

    @Option(names = "--layers", paramLabel = "SPEC", description = "Network whose GEMMs make the workload (default: ${DEFAULT-VALUE})")
    String layers = "784,256:relu,128:relu,10:softmax";

    @Option(names = "--batch", paramLabel = "N", description = "Batch size of the workload (default: ${DEFAULT-VALUE})")
    int batch = 128;

    @Option(names = "--square", paramLabel = "N", description = "Also an N×N×N GEMM of each form; 0 = none (default: ${DEFAULT-VALUE})")
    int square = 1024;

    @Option(names = "--reps", paramLabel = "N", description = "Timed repetitions per workload (default: ${DEFAULT-VALUE})")
    int reps = 3;

    @Option(names = "--quick", description = "Only a few candidates (for a fast check)")
    boolean quick;

    @Option(names = "--all", description = "Try both kernel variants on every device, not only the one that suits its type")
    boolean all;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        if (batch <= 0 || reps <= 0 || square < 0) throw new Main.Stopped(Main.EXIT_USAGE, "--batch and --reps must be positive, --square >= 0");
        if (square > BenchCommand.MAX_SIZE) throw new Main.Stopped(Main.EXIT_USAGE, "--square " + square + ": at most " + BenchCommand.MAX_SIZE);
        Architecture ns = Architecture.parse(layers);
        int[] widths = new int[ns.layers().size() + 1];
        for (int l = 0; l <= ns.layers().size(); l++) widths[l] = l == 0 ? ns.inputs() : ns.widthAfter(l - 1);
        List<Tuner.Workload> work = Tuner.workloads(widths, batch, square);
        for (DeviceInfo d : BenchCommand.openClDevices(device)) {
            List<GemmConfig> cands = Tuner.candidates(d, all);
            if (quick) cands = List.of(GemmConfig.defaultFor(d), d.isCpu() ? GemmConfig.TILED_SMALL : GemmConfig.VECTOR_DEFAULT);
            out.printf(Locale.ROOT, "tuning %s: %d candidates, %d workloads (%s at batch %d%s)%n", d.describe(), cands.size(), work.size(),
                    ns, batch, square > 0 ? ", " + square + "³" : "");
            List<Tuner.Candidate> res = Tuner.search(d, cands, work, reps, line -> {
                out.println(line);
            });
            Tuner.Candidate best = res.get(0);
            if (Double.isInfinite(best.seconds())) throw new dev.clprop.error.DeviceException("no GEMM configuration matched EJML on " + d.describe());
            double def = res.stream().filter(c -> c.config().equals(GemmConfig.defaultFor(d))).mapToDouble(Tuner.Candidate::seconds).findFirst().orElse(Double.NaN);
            TuningCache.store(d, best.config());
            out.printf(Locale.ROOT, "best %s: %.3f ms for the workload (default %s: %.3f ms); cached in %s%n", best.config(), best.seconds() * 1e3,
                    GemmConfig.defaultFor(d), def * 1e3, TuningCache.file());
        }
    }
}
