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

    /** What the driver needs to check the partitions: no rows, and no data. */
    record Summary(int partition, long firstRow, int rows, String problem, long crc) implements Serializable {
    }

    Summary summary() {
        return new Summary(partition, firstRow, rows, problem, problem == null ? crc() : 0);
    }
}
