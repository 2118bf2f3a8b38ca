package dev.clprop.data;

import dev.clprop.UserError;

/**
 * Inputs and targets ready for training: {@code x} is rows×features, {@code y} rows×outputs
 * (one-hot for classification). {@code labels} holds the class of each row, or is null for regression.
 */
public record Dataset(String source, float[] x, float[] y, int rows, int features, int outputs, int[] labels) {

    public boolean isClassification() {
        return labels != null;
    }

    /** Last column an integer class label 0..classes−1, one-hot encoded; the rest are features. */
    public static Dataset classification(Table t, int classes) {
        if (t.cols() < 2) throw new UserError(t.source() + ": needs at least one feature column and a label column");
        int f = t.cols() - 1;
        float[] x = new float[t.rows() * f];
        float[] y = new float[t.rows() * classes];
        int[] labels = new int[t.rows()];
        for (int r = 0; r < t.rows(); r++) {
            System.arraycopy(t.values(), r * t.cols(), x, r * f, f);
            float v = t.get(r, f);
            int label = (int) v;
            if (label != v || label < 0 || label >= classes) {
                throw new UserError(t.source() + ":" + t.lines()[r] + ": class label " + fmt(v) + " is outside 0.." + (classes - 1)
                        + " (the output layer has " + classes + " units)");
            }
            labels[r] = label;
            y[r * classes + label] = 1f;
        }
        return new Dataset(t.source(), x, y, t.rows(), f, classes, labels);
    }

    /** The last {@code targets} columns are real-valued targets; the rest are features. */
    public static Dataset regression(Table t, int targets) {
        if (targets <= 0) throw new UserError("--targets must be positive, got " + targets);
        if (t.cols() <= targets) {
            throw new UserError(t.source() + ": has " + t.cols() + " columns, too few for " + targets + " target column(s) and at least one feature");
        }
        int f = t.cols() - targets;
        float[] x = new float[t.rows() * f];
        float[] y = new float[t.rows() * targets];
        for (int r = 0; r < t.rows(); r++) {
            System.arraycopy(t.values(), r * t.cols(), x, r * f, f);
            System.arraycopy(t.values(), r * t.cols() + f, y, r * targets, targets);
        }
        return new Dataset(t.source(), x, y, t.rows(), f, targets, null);
    }

    private static String fmt(float v) {
        return v == (long) v ? Long.toString((long) v) : Float.toString(v);
    }

    /** The rows {@code idx}, in that order, as a new dataset. */
    public Dataset subset(int[] idx, String name) {
        float[] nx = new float[idx.length * features];
        float[] ny = new float[idx.length * outputs];
        int[] nl = labels == null ? null : new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(x, idx[i] * features, nx, i * features, features);
            System.arraycopy(y, idx[i] * outputs, ny, i * outputs, outputs);
            if (nl != null) nl[i] = labels[idx[i]];
        }
        return new Dataset(name, nx, ny, idx.length, features, outputs, nl);
    }
}
