package dev.clprop.metrics;

import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;

/**
 * How well a model's outputs fit a dataset: the loss, and for classification accuracy and a
 * confusion matrix (rows: true class, columns: predicted), for regression the mean squared error.
 * Figures are computed in double on the host over the whole dataset. Immutable.
 */
public final class Metrics {
    private final int rows;
    private final double loss;
    private final double accuracy;
    private final long[][] confusion;
    private final double mse;

    private Metrics(int rows, double loss, double accuracy, long[][] confusion, double mse) {
        this.rows = rows;
        this.loss = loss;
        this.accuracy = accuracy;
        this.confusion = confusion;
        this.mse = mse;
    }

    /** Scores {@code outputs} (rows × width, row-major) against the dataset's labels or targets. */
    public static Metrics of(Dataset data, Loss loss, float[] outputs, int width) {
        float[] y = data.targetMatrix(width);
        double sum = 0, sq = 0;
        for (int i = 0; i < data.rows() * width; i++) {
            float p = outputs[i], t = y[i];
            sum += loss.elementLoss(p, t);
            double d = p - t;
            sq += d * d;
        }
        double lossValue = loss.scale(sum, data.rows(), width);
        double mse = sq / ((double) data.rows() * width);
        if (!data.isClassification()) return new Metrics(data.rows(), lossValue, Double.NaN, null, mse);
        long[][] confusion = new long[width][width];
        long correct = 0;
        for (int r = 0; r < data.rows(); r++) {
            int best = argmax(outputs, r * width, width);
            confusion[data.label(r)][best]++;
            if (best == data.label(r)) correct++;
        }
        return new Metrics(data.rows(), lossValue, (double) correct / data.rows(), confusion, mse);
    }

    /** The index of the largest of {@code n} values from {@code off}; the first on ties. */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
        return best;
    }

    public int rows() {
        return rows;
    }

    public double loss() {
        return loss;
    }

    public boolean isClassification() {
        return confusion != null;
    }

    /** Share of rows whose largest output is their label; NaN for regression. */
    public double accuracy() {
        return accuracy;
    }

    /** Mean over rows and outputs of (output − target)²; for classification the target is one-hot. */
    public double mse() {
        return mse;
    }

    /** counts[true][predicted]; null for regression. A copy. */
    public long[][] confusion() {
        if (confusion == null) return null;
        long[][] c = new long[confusion.length][];
        for (int i = 0; i < c.length; i++) c[i] = confusion[i].clone();
        return c;
    }

    /** The confusion matrix as aligned text: rows are true classes, columns predictions. */
    public String confusionTable() {
        if (confusion == null) return "";
        int n = confusion.length;
        long max = 1;
        for (long[] row : confusion) for (long v : row) max = Math.max(max, v);
        int w = Math.max(3, Long.toString(max).length() + 1);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-8s", "true\\pred"));
        for (int j = 0; j < n; j++) sb.append(String.format("%" + w + "d", j));
        sb.append('\n');
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%-8d ", i));
            for (int j = 0; j < n; j++) sb.append(String.format("%" + w + "d", confusion[i][j]));
            sb.append('\n');
        }
        return sb.toString();
    }
}
