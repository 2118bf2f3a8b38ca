package dev.clprop.bench;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.reference.EjmlBackend;

import java.util.Random;

/**
 * GFLOP/s of the three training GEMM forms on one backend. Every configuration is first checked
 * against EJML on the same inputs; a wrong result is reported as such and never timed.
 * Each timed repetition queues {@link #launchesFor} launches back to back and waits once, as a
 * training step does: timing one launch and its wait measures mostly how fast the device's threads
 * wake up (on PoCL a 0.3 ms product then varies 2× between runs), not the kernel.
 */
public final class GemmBench {
    /** The three forms, named as in the kernels. */
    public enum Form { FORWARD, BACKWARD_DATA, WEIGHT_GRAD }

    /**
     * One measurement; {@code seconds} are per launch, each repetition being {@code launches} queued
     * launches; {@code check} describes the comparison with EJML.
     */
    public record Result(String backend, Form form, int m, int n, int k, int launches, Stats gflops, Stats seconds, boolean correct,
                         String check) {
    }

    /** Work queued per timed repetition: enough that one wait is small beside it, about 3 ms at 150 GFLOP/s. */
    static final double QUEUED_FLOPS = 4e8;
    /** The most launches queued per repetition (the smallest products). */
    static final int MAX_LAUNCHES = 64;

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
     * Times {@code form} with batch m and a layer of n outputs and k inputs (2·m·n·k flops).
     * {@code reference} caches EJML's answer across backends for the same inputs.
     */
    public static Result run(Backend b, Form form, int m, int n, int k, int warmup, int reps, float[][] inputs, float[] reference) {
        try (Operands op = new Operands(b, form, m, n, k, inputs)) {
            Tensor a = op.a, w = op.w, d = op.d, out = op.out;
            float[] got = op.compute(m);
            int inner = dims(form, m, n, k)[2];
            Tolerance.Report r = Tolerance.gemm(inner).compare(got, reference);
            int launches = launchesFor(m, n, k);
            if (!r.ok()) {
                return new Result(b.name(), form, m, n, k, launches, null, null, false, "WRONG vs ejml: " + r.describe());
            }
            for (int i = 0; i < warmup; i++) launch(b, form, a, w, d, out, m);
            b.finish();
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

    /** Launches queued per timed repetition for a product of 2·m·n·k flops: 1 from 400 MFLOP, at most 64. */
    static int launchesFor(int m, int n, int k) {
        double flops = 2.0 * m * n * k;
        return (int) Math.max(1, Math.min(MAX_LAUNCHES, Math.ceil(QUEUED_FLOPS / flops)));
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
