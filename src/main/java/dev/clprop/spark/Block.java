package dev.clprop.spark;

import java.io.Serializable;
import java.util.zip.CRC32C;

/**
 * One partition's training rows, cached on its executor: rows {@code firstRow .. firstRow + rows − 1}
 * of the data's fixed order (Spark's zipWithIndex numbers partitions' rows consecutively), their
 * features, what the network must output for them, and their class labels. {@code problem} says what
 * was wrong with the partition's rows, if anything, so the driver can name it instead of a task failing.
 */
record Block(int partition, long firstRow, int rows, float[] x, float[] y, int[] labels, String problem) implements Serializable {
    boolean holds(long row) {
        return row >= firstRow && row < firstRow + rows;
    }

    /** CRC-32C of features and targets, for the data's fingerprint. */
    long crc() {
        CRC32C c = new CRC32C();
        for (float[] a : new float[][]{x, y}) {
            for (float v : a) {
                int b = Float.floatToRawIntBits(v);
                c.update(b);
                c.update(b >>> 8);
                c.update(b >>> 16);
                c.update(b >>> 24);
            }
        }
        return c.getValue();
    }

    /** The same rows with their features transformed by a standardizer's shift and scale. */
    Block standardized(float[] shift, float[] scale) {
        return new Block(partition, firstRow, rows, new dev.clprop.model.Standardizer(shift, scale).apply(x), y, labels, problem);
    }

    /** Per-feature sums and sums of squares (in double, in row order) and per-class row counts. */
    record Statistics(double[] sum, double[] squares, long[] classes) implements Serializable {
        static Statistics of(Block b, int features, int outputs) {
            double[] s = new double[features], q = new double[features];
            for (int r = 0; r < b.rows; r++) {
                for (int c = 0; c < features; c++) {
                    double v = b.x[r * features + c];
                    s[c] += v;
                    q[c] += v * v;
                }
            }
            long[] k = new long[outputs];
            for (int l : b.labels) if (l >= 0 && l < outputs) k[l]++;
            return new Statistics(s, q, k);
        }

        Statistics add(Statistics o) {
            double[] s = sum.clone(), q = squares.clone();
            long[] k = classes.clone();
            for (int i = 0; i < s.length; i++) {
                s[i] += o.sum[i];
                q[i] += o.squares[i];
            }
            for (int i = 0; i < k.length; i++) k[i] += o.classes[i];
            return new Statistics(s, q, k);
        }
    }

    /** What the driver needs to check the partitions: no rows, and no data. */
    record Summary(int partition, long firstRow, int rows, String problem, long crc) implements Serializable {
    }

    Summary summary() {
        return new Summary(partition, firstRow, rows, problem, problem == null ? crc() : 0);
    }
}
