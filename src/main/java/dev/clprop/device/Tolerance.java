package dev.clprop.device;

/**
 * The one tolerance policy, used by the device self-test, lockstep verification, the benchmark's
 * checks and the tests: {@code |actual − expected| ≤ atol + rtol·|expected|} element by element.
 */
public record Tolerance(double atol, double rtol) {
    /** A single op (one GEMM, one activation) in float32 against EJML. */
    public static final Tolerance OP = new Tolerance(1e-5, 1e-4);
    /**
     * One GEMM with inner dimension k: a float32 dot product of k terms carries rounding error that
     * grows with k (summation order differs between kernels), so the absolute term grows with k.
     */
    public static Tolerance gemm(int k) {
        return new Tolerance(OP.atol + 2e-7 * k, OP.rtol);
    }

    /** Whole training runs: float32 results after many steps, against EJML or a float64 reference. */
    public static final Tolerance TRAINING = new Tolerance(1e-5, 1e-4);

    /** Largest differences found by {@link #compare}, and whether every element was within tolerance. */
    public record Report(double maxAbs, double maxRel, int worstIndex, boolean ok) {
        /** The tolerance as text, for messages: "|a − b| ≤ atol + rtol·|b|". */
        public String describe() {
            return String.format("max |diff| %.3g, max rel diff %.3g%s", maxAbs, maxRel, ok ? "" : " (at index " + worstIndex + ")");
        }
    }

    /** Compares element by element and reports the largest excess over the tolerance, and where. */
    public Report compare(float[] actual, float[] expected) {
        return compare(actual, expected, actual.length);
    }

    /**
     * Compares the first n elements. A NaN or infinity on either side fails (a device that produces
     * one is broken, and an infinite expectation cannot bound anything); its index is reported.
     */
    public Report compare(float[] actual, float[] expected, int n) {
        double maxAbs = 0, maxRel = 0;
        int worst = -1;
        boolean ok = true;
        double worstExcess = 0;
        for (int i = 0; i < n; i++) {
            double a = actual[i], e = expected[i];
            double d = Math.abs(a - e);
            if (!Double.isFinite(a) || !Double.isFinite(e)) {
                if (maxAbs == maxAbs) worst = i; // the first non-finite element, unless one came before
                ok = false;
                maxAbs = Double.NaN;
                continue;
            }
            double rel = d / Math.max(Math.abs(e), 1e-30);
            maxAbs = Math.max(maxAbs, d);
            if (d > atol) maxRel = Math.max(maxRel, rel);
            double excess = d - (atol + rtol * Math.abs(e));
            if (excess > 0) {
                ok = false;
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worst = i;
                }
            }
        }
        return new Report(maxAbs, maxRel, worst, ok);
    }
}
