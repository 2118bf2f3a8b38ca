package dev.clprop.bench;

import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.OpenClBackend;
import dev.clprop.device.reference.EjmlBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Searches GEMM kernel configurations on a device. Each candidate is built, checked against EJML
 * on every workload shape (a candidate that gets any wrong is dropped), then timed; the score is the
 * summed median time of all workloads. Workloads: the three forms of each layer of the given
 * network at the given batch, and a square GEMM.
 */
public final class Tuner {
    /** A GEMM workload: form with batch m, layer n×k. */
    public record Workload(GemmBench.Form form, int m, int n, int k) {
    }

    public record Candidate(GemmConfig config, double seconds, String note) {
    }

    private Tuner() {
    }

    public static List<Workload> workloads(int[] widths, int batch, int square) {
        List<Workload> w = new ArrayList<>();
        for (int l = 0; l + 1 < widths.length; l++) {
            for (GemmBench.Form f : GemmBench.Form.values()) w.add(new Workload(f, batch, widths[l + 1], widths[l]));
        }
        if (square > 0) for (GemmBench.Form f : GemmBench.Form.values()) w.add(new Workload(f, square, square, square));
        return w;
    }

    /**
     * Candidates for a device: the variant family that suits its type (vector kernels on CPUs, tiles
     * elsewhere; on PoCL the tiled kernels measured ~20× slower), or every configuration with {@code all}.
     */
    public static List<GemmConfig> candidates(DeviceInfo d, boolean all) {
        List<GemmConfig> out = new ArrayList<>();
        boolean vector = all || d.isCpu(), tiled = all || !d.isCpu();
        for (int vw : vector ? new int[]{8, 16} : new int[0]) {
            for (int[] nt : new int[][]{{4, 4}, {2, 4}, {4, 2}, {2, 8}, {8, 2}}) {
                for (int[] nn : new int[][]{{6, 2}, {4, 2}, {8, 1}, {4, 4}, {8, 2}}) {
                    out.add(new GemmConfig.Vector(vw, nt[0], nt[1], nn[0], nn[1], GemmConfig.Vector.PACK_FROM_K));
                }
            }
        }
        for (int ts : tiled ? new int[]{32, 64, 128} : new int[0]) {
            for (int tsk : new int[]{8, 16, 32}) {
                for (int wpt : new int[]{2, 4, 8}) out.add(new GemmConfig.Tiled(ts, ts, tsk, wpt, wpt));
            }
        }
        out.removeIf(g -> !g.validFor(d));
        return out;
    }

    /** Runs the search and returns every candidate, best first; failures carry a note and infinite time. */
    public static List<Candidate> search(DeviceInfo d, List<GemmConfig> configs, List<Workload> work, int reps, Consumer<String> say) {
        List<Candidate> results = new ArrayList<>();
        List<float[][]> inputs = new ArrayList<>();
        List<float[]> refs = new ArrayList<>();
        try (EjmlBackend ejml = new EjmlBackend()) {
            for (Workload w : work) {
                float[][] in = GemmBench.inputs(w.m(), w.n(), w.k(), 31);
                inputs.add(in);
                refs.add(GemmBench.reference(ejml, w.form(), w.m(), w.n(), w.k(), in));
            }
        }
        for (GemmConfig g : configs) {
            double total = 0;
            String note = "";
            try (OpenClBackend b = new OpenClBackend(d, g)) {
                for (int i = 0; i < work.size() && note.isEmpty(); i++) {
                    Workload w = work.get(i);
                    GemmBench.Result r = GemmBench.run(b, w.form(), w.m(), w.n(), w.k(), 1, reps, inputs.get(i), refs.get(i));
                    if (!r.correct()) note = w + ": " + r.check();
                    else total += r.seconds().median();
                }
            } catch (RuntimeException e) {
                note = "failed: " + e.getMessage().lines().findFirst().orElse("");
            }
            Candidate c = note.isEmpty() ? new Candidate(g, total, "") : new Candidate(g, Double.POSITIVE_INFINITY, note);
            results.add(c);
            say.accept(String.format("  %-24s %s", g, note.isEmpty() ? String.format("%8.3f ms", total * 1e3) : "dropped: " + note));
        }
        results.sort((x, y) -> Double.compare(x.seconds(), y.seconds()));
        return results;
    }
}
