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

    /** The rows 0..n−1 in order: the order of an epoch without shuffling. */
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
     * Holds out {@code fraction} of the rows for validation, chosen by a seeded shuffle; both parts keep
     * the file order. Classification data is split stratified: each class gives the validation part
     * its share of round(rows · fraction) rows (largest remainders settle the rounding), so a rare
     * class is not left out of either part by chance. Returns {training part, validation part}.
     */
    public static Dataset[] validation(Dataset d, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new InvalidSettingException("validationSplit", "must be between 0 and 1 (exclusive), got " + fraction);
        int n = d.rows();
        int nVal = (int) Math.round(n * fraction);
        if (nVal < 1 || nVal >= n) {
            throw new InvalidSettingException("validationSplit", fraction + " leaves no rows for training or validation (" + n + " rows)");
        }
        int[] perm = permutation(n, seed ^ 0x5DEECE66DL);
        int[] quota = d.isClassification() ? quotas(d.classCounts(), nVal) : null;
        boolean[] held = new boolean[n];
        // from the end of the shuffle, so unstratified and one-class splits take its last nVal rows
        for (int i = n - 1, taken = 0; i >= 0 && taken < nVal; i--) {
            int r = perm[i];
            if (quota != null) {
                if (quota[d.label(r)] == 0) continue;
                quota[d.label(r)]--;
            }
            held[r] = true;
            taken++;
        }
        int[] tr = new int[n - nVal];
        int[] va = new int[nVal];
        for (int r = 0, a = 0, b = 0; r < n; r++) {
            if (held[r]) va[b++] = r;
            else tr[a++] = r;
        }
        return new Dataset[]{d.subset(tr, d.name() + " (train part)"), d.subset(va, d.name() + " (validation part)")};
    }

    /**
     * Rows each class gives to a hold-out of {@code total}: counts[c]·total/n rounded down, then one
     * more to the classes with the largest remainders (the lower class first on ties) until they add up.
     */
    static int[] quotas(int[] counts, int total) {
        long n = 0;
        for (int c : counts) n += c;
        int[] q = new int[counts.length];
        long[] rem = new long[counts.length];
        int given = 0;
        for (int c = 0; c < counts.length; c++) {
            long exact = (long) counts[c] * total;
            q[c] = (int) (exact / n);
            rem[c] = exact % n;
            given += q[c];
        }
        Integer[] order = new Integer[counts.length];
        for (int c = 0; c < order.length; c++) order[c] = c;
        Arrays.sort(order, (a, b) -> rem[a] != rem[b] ? Long.compare(rem[b], rem[a]) : Integer.compare(a, b));
        for (int i = 0; given < total; i++, given++) q[order[i]]++;
        return q;
    }
}
