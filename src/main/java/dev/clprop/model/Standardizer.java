package dev.clprop.model;

import dev.clprop.error.InvalidInputException;

/**
 * Per-column standardization {@code x' = (x − shift) / scale}, fitted on training rows only and
 * kept with the model, so that evaluation and prediction transform values exactly as training did:
 * of the inputs (model files hold it as {@code input_shift} and {@code input_scale}), and of regression
 * targets ({@code target_shift}, {@code target_scale}; predictions go back through {@link #invert}). Immutable.
 */
public final class Standardizer {
    private final float[] shift;
    private final float[] scale;

    /** A standardization with one shift and one positive scale per column. */
    public Standardizer(float[] shift, float[] scale) {
        if (shift.length != scale.length) {
            throw new InvalidInputException("input_shift has " + shift.length + " values but input_scale has " + scale.length);
        }
        for (int c = 0; c < scale.length; c++) {
            if (!Float.isFinite(shift[c]) || !Float.isFinite(scale[c]) || !(scale[c] > 0)) {
                throw new InvalidInputException("feature " + (c + 1) + " has an unusable standardization: shift " + shift[c] + ", scale " + scale[c]);
            }
        }
        this.shift = shift.clone();
        this.scale = scale.clone();
    }

    /**
     * The mean and standard deviation (population, in double) of each feature of {@code rows} rows of
     * {@code features} values. A constant feature keeps scale 1: it is centred, not divided by zero.
     */
    public static Standardizer fit(float[] x, int rows, int features) {
        double[] sum = new double[features], sq = new double[features];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < features; c++) {
                double v = x[r * features + c];
                sum[c] += v;
                sq[c] += v * v;
            }
        }
        float[] shift = new float[features], scale = new float[features];
        for (int c = 0; c < features; c++) {
            double mean = sum[c] / rows;
            double var = Math.max(0, sq[c] / rows - mean * mean);
            shift[c] = (float) mean;
            scale[c] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        return new Standardizer(shift, scale);
    }

    /** Columns transformed. */
    public int features() {
        return shift.length;
    }

    /** A copy of the shifts. */
    public float[] shift() {
        return shift.clone();
    }

    /** A copy of the scales. */
    public float[] scale() {
        return scale.clone();
    }

    /** The inverse of {@link #apply}: {@code y · scale + shift} per column, a new array (rows of {@link #features()} values). */
    public float[] invert(float[] y) {
        int f = shift.length;
        if (y.length % f != 0) throw new InvalidInputException("rows of " + f + " values expected, got " + y.length + " values");
        float[] out = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            int c = i % f;
            out[i] = y[i] * scale[c] + shift[c];
        }
        return out;
    }

    /** A transformed copy of {@code x}, rows of {@link #features()} values. */
    public float[] apply(float[] x) {
        int f = shift.length;
        if (x.length % f != 0) throw new InvalidInputException("rows of " + f + " features expected, got " + x.length + " values");
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % f;
            out[i] = (x[i] - shift[c]) / scale[c];
        }
        return out;
    }
}
