package dev.clprop.data;

import dev.clprop.model.Npz;

import java.util.Map;

/**
 * Per-feature standardization x' = (x − shift) / scale, fitted on the training rows only. It is
 * stored in the model file (input_shift, input_scale) so evaluate and predict apply the same transform.
 */
public record Standardizer(float[] shift, float[] scale) {
    public static final String SHIFT = "input_shift";
    public static final String SCALE = "input_scale";

    public static Standardizer fit(Dataset d) {
        int f = d.features();
        double[] sum = new double[f], sq = new double[f];
        for (int r = 0; r < d.rows(); r++) {
            for (int c = 0; c < f; c++) {
                double v = d.x()[r * f + c];
                sum[c] += v;
                sq[c] += v * v;
            }
        }
        float[] shift = new float[f], scale = new float[f];
        for (int c = 0; c < f; c++) {
            double mean = sum[c] / d.rows();
            double var = Math.max(0, sq[c] / d.rows() - mean * mean);
            shift[c] = (float) mean;
            // a constant feature stays as it is, centred, rather than divided by zero
            scale[c] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        return new Standardizer(shift, scale);
    }

    /** Transforms the features in place. */
    public void apply(Dataset d) {
        if (d == null) return;
        int f = shift.length;
        float[] x = d.x();
        for (int r = 0; r < d.rows(); r++) {
            for (int c = 0; c < f; c++) x[r * f + c] = (x[r * f + c] - shift[c]) / scale[c];
        }
    }

    public void store(Map<String, Npz.Entry> entries) {
        entries.put(SHIFT, Npz.Entry.of(shift, shift.length));
        entries.put(SCALE, Npz.Entry.of(scale, scale.length));
    }

    /** The standardizer a model file carries, or null. */
    public static Standardizer from(Map<String, Npz.Entry> entries) {
        Npz.Entry s = entries.get(SHIFT), k = entries.get(SCALE);
        if (s == null || k == null) return null;
        return new Standardizer(s.data(), k.data());
    }
}
