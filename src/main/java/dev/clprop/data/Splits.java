package dev.clprop.data;

import dev.clprop.error.InvalidSettingException;

import java.util.Arrays;
import java.util.Random;

/** Seeded permutations and hold-out splits; the same seed gives the same rows on every JVM. */
public final class Splits {
    private Splits() {
    }

    /** A seeded Fisher–Yates shuffle of 0..n−1 (java.util.Random, whose sequence is specified). */
    public static int[] permutation(int n, long seed) {
        int[] p = identity(n);
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    public static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    /** The order of the rows in epoch {@code epoch} (1-based): it depends only on seed and epoch. */
    public static int[] epochOrder(int rows, long seed, int epoch, boolean shuffle) {
        return shuffle ? permutation(rows, seed * 0x9E3779B97F4A7C15L + epoch) : identity(rows);
    }

    /**
     * Holds out {@code fraction} of the rows (chosen by a seeded shuffle) for validation; both parts
     * keep the file order. Returns {training part, validation part}.
     */
    public static Dataset[] validation(Dataset d, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new InvalidSettingException("validationSplit", "must be between 0 and 1 (exclusive), got " + fraction);
        int nVal = (int) Math.round(d.rows() * fraction);
        if (nVal < 1 || nVal >= d.rows()) {
            throw new InvalidSettingException("validationSplit", fraction + " leaves no rows for training or validation (" + d.rows() + " rows)");
        }
        int[] perm = permutation(d.rows(), seed ^ 0x5DEECE66DL);
        int[] tr = Arrays.copyOfRange(perm, 0, d.rows() - nVal);
        int[] va = Arrays.copyOfRange(perm, d.rows() - nVal, d.rows());
        Arrays.sort(tr);
        Arrays.sort(va);
        return new Dataset[]{d.subset(tr, d.name() + " (train part)"), d.subset(va, d.name() + " (validation part)")};
    }
}
