package dev.clprop.train;

import dev.clprop.data.Dataset;
import dev.clprop.model.Loss;

/**
 * Loss, and for classification accuracy and a confusion matrix, of a model's outputs on a dataset.
 * The loss is computed in double on the host from the downloaded outputs, over the whole set at once.
 */
public record Evaluation(int rows, double loss, double accuracy, long[][] confusion, double mse, float[] outputs, int outputsPerRow) {

    public static Evaluation of(Dataset data, Loss loss, float[] outputs) {
        int n = data.outputs();
        double sum = 0, sq = 0;
        for (int i = 0; i < data.rows() * n; i++) {
            float p = outputs[i], y = data.y()[i];
            sum += loss.elementLoss(p, y);
            double d = p - y;
            sq += d * d;
        }
        double lossValue = loss.scale(sum, data.rows(), n);
        if (!data.isClassification()) {
            return new Evaluation(data.rows(), lossValue, Double.NaN, null, sq / ((double) data.rows() * n), outputs, n);
        }
        long[][] confusion = new long[n][n];
        long correct = 0;
        for (int r = 0; r < data.rows(); r++) {
            int best = argmax(outputs, r * n, n);
            confusion[data.labels()[r]][best]++;
            if (best == data.labels()[r]) correct++;
        }
        return new Evaluation(data.rows(), lossValue, (double) correct / data.rows(), confusion, sq / ((double) data.rows() * n), outputs, n);
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
        return best;
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
