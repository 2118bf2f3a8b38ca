package dev.clprop.bench;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.reference.EjmlBackend;

import java.util.Random;

/**
 * GFLOP/s of the three training GEMM forms on one backend. Every configuration is first checked
 * against EJML on the same inputs; a wrong result is reported as such and never timed.
 * Each timed repetition queues launches back to back and waits once, enough for at least
 * {@link #MIN_REPETITION_SECONDS} of work, as training streams its launches without waiting: a short
 * queue measures mostly how fast the device's threads wake up (PoCL's second worker thread took 1-2 ms
 * to join in a VM, so 8 queued 784→256 products at batch 128 ran at 95-116 GFLOP/s where 64 or more
 * ran at 145-150), not the kernel.
 */
public final class GemmBench {
    /** The three forms, named as in the kernels. */
    public enum Form { FORWARD, BACKWARD_DATA, WEIGHT_GRAD }

    /**
     * One measurement; {@code seconds} are per launch, each repetition being {@code launches} queued
     * launches (0 for a result that was wrong and not timed); {@code check} describes the comparison with EJML.
     */
    public record Result(String backend, Form form, int m, int n, int k, int launches, Stats gflops, Stats seconds, boolean correct,
                         String check) {
    }

    /** Work queued by the probe that sizes the repetitions: about 3 ms at 150 GFLOP/s. */
    static final double PROBE_FLOPS = 4e8;
    /** The least work one timed repetition queues, estimated from the probe. */
    public static final double MIN_REPETITION_SECONDS = 0.05;
    /** The most launches queued per probe or repetition (the smallest products). */
    static final int MAX_LAUNCHES = 256;

    private GemmBench() {
    }

    /** The shapes (output rows, output cols, inner) each form multiplies for batch m, layer n×k. */
    static int[] dims(Form f, int m, int n, int k) {
        return switch (f) {
            case FORWARD -> new int[]{m, n, k};
            case BACKWARD_DATA -> new int[]{m, k, n};
            case WEIGHT_GRAD -> new int[]{n, k, m};
        };
    }

    /**
     * Times {@code form} with batch m and a layer of n outputs and k inputs (2·m·n·k flops): {@code warmup}
     * untimed queues (at least one, the probe that sizes the repetitions), then {@code reps} timed ones.
     * {@code reference} caches EJML's answer across backends for the same inputs.
     */
    public static Result run(Backend b, Form form, int m, int n, int k, int warmup, int reps, float[][] inputs, float[] reference) {
        try (Operands op = new Operands(b, form, m, n, k, inputs)) {
            Tensor a = op.a, w = op.w, d = op.d, out = op.out;
            float[] got = op.compute(m);
            int inner = dims(form, m, n, k)[2];
            Tolerance.Report r = Tolerance.gemm(inner).compare(got, reference);
            if (!r.ok()) {
                return new Result(b.name(), form, m, n, k, 0, null, null, false, "WRONG vs ejml: " + r.describe());
            }
            // The probe is the first warm-up; each warm-up's time per launch sizes the next queue (an
            // overestimate, as it includes the threads waking up, so a repetition may fall short of the target).
            int launches = probeLaunches(m, n, k);
            for (int i = 0; i < Math.max(1, warmup); i++) {
                long w0 = System.nanoTime();
                for (int l = 0; l < launches; l++) launch(b, form, a, w, d, out, m);
                b.finish();
                launches = repetitionLaunches((System.nanoTime() - w0) / 1e9 / launches);
            }
            double[] secs = new double[reps];
            double[] gf = new double[reps];
            double flops = 2.0 * m * n * k;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                for (int l = 0; l < launches; l++) launch(b, form, a, w, d, out, m);
                b.finish();
                secs[i] = (System.nanoTime() - t0) / 1e9 / launches;
                gf[i] = flops / secs[i] / 1e9;
            }
            return new Result(b.name(), form, m, n, k, launches, Stats.of(gf), Stats.of(secs), true, "ok vs ejml: " + r.describe());
        }
    }

    /** Launches the probe queues for a product of 2·m·n·k flops: 1 from 400 MFLOP, at most {@link #MAX_LAUNCHES}. */
    static int probeLaunches(int m, int n, int k) {
        double flops = 2.0 * m * n * k;
        return (int) Math.max(1, Math.min(MAX_LAUNCHES, Math.ceil(PROBE_FLOPS / flops)));
    }

    /** Launches per timed repetition for launches of about this many seconds: {@link #MIN_REPETITION_SECONDS} of them, at most {@link #MAX_LAUNCHES}. */
    static int repetitionLaunches(double secondsPerLaunch) {
        if (!(secondsPerLaunch > 0)) return MAX_LAUNCHES;
        return (int) Math.max(1, Math.min(MAX_LAUNCHES, Math.ceil(MIN_REPETITION_SECONDS / secondsPerLaunch)));
    }

    private static Tensor allocateOut(Backend b, Form f, int m, int n, int k) {
        return switch (f) {
            case FORWARD -> b.allocate(m, n);
            case BACKWARD_DATA -> b.allocate(m, k);
            case WEIGHT_GRAD -> b.allocate(n, k);
        };
    }

    private static void launch(Backend b, Form f, Tensor a, Tensor w, Tensor d, Tensor out, int m) {
        switch (f) {
            case FORWARD -> b.gemmForward(a, w, out, m);
            case BACKWARD_DATA -> b.gemmBackwardData(d, w, out, m);
            case WEIGHT_GRAD -> b.gemmWeightGrad(d, a, out, m);
        }
    }

    /** Random inputs a (m×k), w (n×k), d (m×n) for a shape. */
    public static float[][] inputs(int m, int n, int k, long seed) {
        Random rng = new Random(seed);
        float[][] in = {new float[m * k], new float[n * k], new float[m * n]};
        for (float[] v : in) for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return in;
    }

    /** EJML's result for the form on these inputs: the reference every backend is checked against. */
    public static float[] reference(EjmlBackend ejml, Form form, int m, int n, int k, float[][] inputs) {
        try (Operands op = new Operands(ejml, form, m, n, k, inputs)) {
            return op.compute(m);
        }
    }

    /** A form's inputs uploaded to a backend, and its output buffer. */
    private static final class Operands implements AutoCloseable {
        final Backend b;
        final Form form;
        final Tensor a, w, d, out;

        Operands(Backend b, Form form, int m, int n, int k, float[][] inputs) {
            this.b = b;
            this.form = form;
            a = b.allocate(m, k);
            w = b.allocate(n, k);
            d = b.allocate(m, n);
            out = allocateOut(b, form, m, n, k);
            b.upload(a, inputs[0]);
            b.upload(w, inputs[1]);
            b.upload(d, inputs[2]);
        }

        /** Runs the form once and returns its result. */
        float[] compute(int m) {
            launch(b, form, a, w, d, out, m);
            float[] r = new float[out.size()];
            b.download(out, r);
            return r;
        }

        @Override
        public void close() {
            out.close();
            d.close();
            w.close();
            a.close();
        }
    }
}
