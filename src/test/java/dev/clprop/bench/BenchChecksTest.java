package dev.clprop.bench;

import dev.clprop.DelegatingBackend;
import dev.clprop.OpenClDevices;
import dev.clprop.device.Tensor;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.reference.EjmlBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The correctness checks inside bench and tune (no timings are asserted). */
class BenchChecksTest {
    @TempDir
    Path dir;

    /** A backend whose weight-gradient GEMM is wrong by a little. */
    static final class SkewedWeightGrad extends DelegatingBackend {
        SkewedWeightGrad() {
            super(new EjmlBackend());
        }

        @Override
        public void gemmWeightGrad(Tensor d, Tensor a, Tensor out, int m) {
            inner.gemmWeightGrad(d, a, out, m);
            perturb(out, out.size() / 2, 0.01f);
        }
    }

    @Test
    void aWrongGemmIsReportedAndNeverTimed() {
        float[][] in = GemmBench.inputs(33, 17, 65, 1);
        try (EjmlBackend ref = new EjmlBackend(); SkewedWeightGrad bad = new SkewedWeightGrad()) {
            for (GemmBench.Form f : GemmBench.Form.values()) {
                float[] expected = GemmBench.reference(ref, f, 33, 17, 65, in);
                GemmBench.Result good = GemmBench.run(ref, f, 33, 17, 65, 0, 2, in, expected);
                assertTrue(good.correct(), good.check());
                assertNotNull(good.gflops());
                GemmBench.Result r = GemmBench.run(bad, f, 33, 17, 65, 0, 2, in, expected);
                boolean shouldFail = f == GemmBench.Form.WEIGHT_GRAD;
                assertEquals(!shouldFail, r.correct(), f + ": " + r.check());
                if (shouldFail) {
                    assertNull(r.gflops(), "a wrong result has no timing");
                    assertTrue(r.check().startsWith("WRONG"), r.check());
                }
            }
        }
    }

    /** Counts the products of each form, and how many were queued before each wait. */
    static final class CountingGemms extends DelegatingBackend {
        final java.util.Map<GemmBench.Form, Integer> launches = new java.util.EnumMap<>(GemmBench.Form.class);
        final List<Integer> queues = new java.util.ArrayList<>();
        private int sinceWait;

        CountingGemms() {
            super(new EjmlBackend());
        }

        private void count(GemmBench.Form f) {
            launches.merge(f, 1, Integer::sum);
            sinceWait++;
        }

        @Override
        public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
            count(GemmBench.Form.FORWARD);
            inner.gemmForward(a, w, out, m);
        }

        @Override
        public void gemmBackwardData(Tensor d, Tensor w, Tensor out, int m) {
            count(GemmBench.Form.BACKWARD_DATA);
            inner.gemmBackwardData(d, w, out, m);
        }

        @Override
        public void gemmWeightGrad(Tensor d, Tensor a, Tensor out, int m) {
            count(GemmBench.Form.WEIGHT_GRAD);
            inner.gemmWeightGrad(d, a, out, m);
        }

        @Override
        public void finish() {
            queues.add(sinceWait);
            sinceWait = 0;
            inner.finish();
        }
    }

    @Test
    void inputsFillEveryOperandWithValuesOfBothSignsInMinusOneToOne() {
        float[][] in = GemmBench.inputs(3, 4, 5, 7);
        assertEquals(List.of(15, 20, 12), List.of(in[0].length, in[1].length, in[2].length), "a m×k, w n×k, d m×n");
        for (float[] v : in) {
            double min = 1, max = -1;
            for (float x : v) { min = Math.min(min, x); max = Math.max(max, x); }
            assertTrue(min >= -1 && min < -0.2 && max > 0.2 && max < 1, "spread over (-1, 1): " + min + " .. " + max);
        }
        assertTrue(java.util.Arrays.equals(in[0], GemmBench.inputs(3, 4, 5, 7)[0]), "seeded");
    }

    @Test
    void aProbeSizesTheRepetitionsAndEachWaitsOnce() {
        assertEquals(1, GemmBench.probeLaunches(1024, 1024, 1024));
        assertEquals(8, GemmBench.probeLaunches(128, 256, 784), "51 MFLOP: 8 make 411 MFLOP");
        assertEquals(48, GemmBench.probeLaunches(128, 128, 256), "8.4 MFLOP");
        assertEquals(GemmBench.MAX_LAUNCHES, GemmBench.probeLaunches(128, 10, 128));
        assertEquals(GemmBench.MAX_LAUNCHES, GemmBench.probeLaunches(1, 1, 1));
        assertEquals(1, GemmBench.repetitionLaunches(0.2), "one launch longer than a repetition");
        assertEquals(1, GemmBench.repetitionLaunches(0.05));
        assertEquals(2, GemmBench.repetitionLaunches(0.049));
        assertEquals(100, GemmBench.repetitionLaunches(0.0005), "50 ms of 0.5 ms launches");
        assertEquals(GemmBench.MAX_LAUNCHES, GemmBench.repetitionLaunches(1e-6));
        assertEquals(GemmBench.MAX_LAUNCHES, GemmBench.repetitionLaunches(0), "a launch too short for the clock");
        float[][] in = GemmBench.inputs(128, 10, 128, 3);
        for (GemmBench.Form f : GemmBench.Form.values()) {
            try (EjmlBackend ref = new EjmlBackend(); CountingGemms b = new CountingGemms()) {
                float[] e = GemmBench.reference(ref, f, 128, 10, 128, in);
                GemmBench.Result r = GemmBench.run(b, f, 128, 10, 128, 2, 3, in, e);
                assertTrue(r.correct(), r.check());
                int l = r.launches();
                assertTrue(l >= 1 && l <= GemmBench.MAX_LAUNCHES, "launches per repetition: " + l);
                assertEquals(1, b.launches.size(), "only " + f + " was launched");
                assertEquals(5, b.queues.size(), "one wait after each of the 2 warm-ups and each of the 3 repetitions: " + b.queues);
                assertEquals(1 + GemmBench.MAX_LAUNCHES, b.queues.get(0), "the checked launch, then the probe: " + b.queues);
                assertTrue(b.queues.get(1) >= 1 && b.queues.get(1) <= GemmBench.MAX_LAUNCHES, "the second warm-up, sized by the probe");
                assertEquals(List.of(l, l, l), b.queues.subList(2, 5), "each repetition queues " + l);
                assertEquals(3, r.seconds().n());
                assertEquals(2.0 * 128 * 10 * 128 / r.seconds().median() / 1e9, r.gflops().median(), 1e-6 * r.gflops().median(),
                        "seconds are per launch");
            }
        }
    }

    @Test
    void tunerDropsCandidatesThatDisagreeAndCachesTheBest() throws Exception {
        var d = OpenClDevices.device();
        List<Tuner.Workload> work = Tuner.workloads(new int[]{33, 17, 7}, 9, 0);
        assertEquals(6, work.size());
        List<GemmConfig> configs = List.of(GemmConfig.VECTOR_DEFAULT, GemmConfig.TILED_SMALL, new GemmConfig.Vector(8, 2, 2, 4, 1, GemmConfig.Vector.PACK_FROM_K));
        List<Tuner.Candidate> res = Tuner.search(d, configs, work, 1, s -> { });
        assertEquals(3, res.size());
        for (Tuner.Candidate c : res) assertTrue(Double.isFinite(c.seconds()), c.config() + " " + c.note());
        assertTrue(res.get(0).seconds() <= res.get(2).seconds(), "sorted best first");
        assertFalse(Tuner.candidates(d, false).isEmpty());
        assertTrue(Tuner.candidates(d, true).size() > Tuner.candidates(d, false).size());
    }

    @Test
    void reportWritesCsvJsonAndCharts() throws Exception {
        BenchReport r = new BenchReport();
        float[][] in = GemmBench.inputs(64, 64, 64, 2);
        try (EjmlBackend ref = new EjmlBackend()) {
            float[] e = GemmBench.reference(ref, GemmBench.Form.FORWARD, 64, 64, 64, in);
            r.gemm.add(GemmBench.run(ref, GemmBench.Form.FORWARD, 64, 64, 64, 0, 2, in, e));
            r.training.add(TrainBench.run(ref, dev.clprop.model.Architecture.parse("8,4:relu,3:softmax"), 16, 64, 2));
        }
        r.write(dir);
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertTrue(csv.get(0).startsWith("section,backend,form"), csv.get(0));
        assertTrue(csv.stream().anyMatch(l -> l.startsWith("gemm,ejml,forward,64,64,64")), csv.toString());
        assertTrue(csv.stream().anyMatch(l -> l.startsWith("training,ejml,")), csv.toString());
        String json = Files.readString(dir.resolve("results.json"));
        assertTrue(json.contains("\"samplesPerSecond\""), json);
        for (String png : new String[]{"gemm.png", "training.png"}) {
            byte[] b = Files.readAllBytes(dir.resolve(png));
            assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png);
        }
    }
}
