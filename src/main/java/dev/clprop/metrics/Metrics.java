package dev.clprop.metrics;

import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;

import java.util.List;
import java.util.Locale;

/**
 * How well a model's outputs fit a dataset, with the figures scikit-learn reports. Every result has the
 * loss and the mean squared error over all outputs. Classification adds accuracy, the confusion matrix
 * (rows: true class, columns: predicted) and per class precision = TP/(TP+FP), recall = TP/(TP+FN),
 * F1 = 2PR/(P+R) and support (rows of the class), each 0 where its denominator is 0, as
 * {@code sklearn.metrics.classification_report} with {@code zero_division=0}; macro averages are over
 * the classes that occur among the labels or the predictions. Regression adds per target MSE, RMSE, MAE
 * and R² = 1 − SS_res/SS_tot, which for a constant target is 1 when predicted exactly and 0 otherwise
 * (sklearn's {@code r2_score}). Figures are computed in double on the host over the whole dataset.
 * Immutable.
 */
public final class Metrics {
    private final int rows;
    private final double loss;
    private final double accuracy;
    private final long[][] confusion;
    private final double mse;
    private final double[][] perTarget; // mse, mae, r2 per target; null for classification
    private final List<String> names;   // class names (classification) or target names (regression); null when unknown

    private Metrics(int rows, double loss, double accuracy, long[][] confusion, double mse, double[][] perTarget, List<String> names) {
        this.rows = rows;
        this.loss = loss;
        this.accuracy = accuracy;
        this.confusion = confusion;
        this.mse = mse;
        this.perTarget = perTarget;
        this.names = names == null ? null : List.copyOf(names);
    }

    /**
     * The same figures, their classes (or targets) called {@code names}, one per class (or target); null
     * leaves them numbered.
     *
     * @param names one name per class or target, or null
     * @return a copy that knows the names
     */
    public Metrics withNames(List<String> names) {
        int n = confusion != null ? confusion.length : perTarget.length;
        if (names != null && names.size() != n) throw new IllegalArgumentException(names.size() + " names for " + n + (confusion != null ? " classes" : " targets"));
        return new Metrics(rows, loss, accuracy, confusion, mse, perTarget, names);
    }

    /**
     * What the classes (classification) or targets (regression) are called, as the data or the model
     * named them; null when they are only numbered.
     *
     * @return the names, in class (or target) order, or null
     */
    public List<String> names() {
        return names;
    }

    /**
     * The index of the class (or target) called {@code name}.
     *
     * @param name a class or target name
     * @return its index
     * @throws IllegalArgumentException when no class or target has that name
     */
    public int indexOf(String name) {
        int i = names == null ? -1 : names.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("no class or target is called " + dev.clprop.error.Quote.of(name) + (names == null ? " (they are numbered)" : " (they are " + String.join(", ", names) + ")"));
        return i;
    }

    /**
     * F1 of the class called {@code className}.
     *
     * @param className a class name, as in {@link #names()}
     * @return its F1 score
     */
    public double f1(String className) {
        return f1(indexOf(className));
    }

    /**
     * Precision of the class called {@code className}.
     *
     * @param className a class name, as in {@link #names()}
     * @return its precision
     */
    public double precision(String className) {
        return precision(indexOf(className));
    }

    /**
     * Recall of the class called {@code className}.
     *
     * @param className a class name, as in {@link #names()}
     * @return its recall
     */
    public double recall(String className) {
        return recall(indexOf(className));
    }

    /**
     * R² of the target called {@code targetName}.
     *
     * @param targetName a target name, as in {@link #names()}
     * @return its coefficient of determination
     */
    public double r2(String targetName) {
        return r2(indexOf(targetName));
    }

    /**
     * The report of {@link #report(List)}, labelled by {@link #names()}.
     *
     * @return the report as text
     */
    public String report() {
        return report(names);
    }

    /** Scores {@code outputs} (rows × width, row-major) against the dataset's labels or targets. */
    public static Metrics of(Dataset data, Loss loss, float[] outputs, int width) {
        float[] y = data.targetMatrix(width);
        int n = data.rows();
        double sum = 0, sq = 0;
        for (int i = 0; i < n * width; i++) {
            float p = outputs[i], t = y[i];
            sum += loss.elementLoss(p, t);
            double d = p - t;
            sq += d * d;
        }
        double lossValue = loss.scale(sum, n, width);
        double mse = sq / ((double) n * width);
        if (!data.isClassification()) {
            List<String> targetNames = data.targetNames() != null && data.targetNames().size() == width ? data.targetNames() : null;
            return new Metrics(n, lossValue, Double.NaN, null, mse, perTarget(y, outputs, n, width), targetNames);
        }
        long[][] confusion = new long[width][width];
        long correct = 0;
        for (int r = 0; r < n; r++) {
            int best = argmax(outputs, r * width, width);
            confusion[data.label(r)][best]++;
            if (best == data.label(r)) correct++;
        }
        List<String> classNames = data.classNames() != null && data.classNames().size() == width ? data.classNames() : null;
        return new Metrics(n, lossValue, (double) correct / n, confusion, mse, null, classNames);
    }

    private static double[][] perTarget(float[] y, float[] out, int n, int width) {
        double[][] m = new double[width][3];
        for (int j = 0; j < width; j++) {
            double mean = 0;
            for (int r = 0; r < n; r++) mean += y[r * width + j];
            mean /= n;
            double res = 0, tot = 0, abs = 0;
            for (int r = 0; r < n; r++) {
                double t = y[r * width + j], d = out[r * width + j] - t;
                res += d * d;
                abs += Math.abs(d);
                tot += (t - mean) * (t - mean);
            }
            m[j][0] = res / n;
            m[j][1] = abs / n;
            m[j][2] = tot > 0 ? 1 - res / tot : res == 0 ? 1 : 0;
        }
        return m;
    }

    /** The index of the largest of {@code n} values from {@code off}; the first on ties. */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
        return best;
    }

    /** Rows scored. */
    public int rows() {
        return rows;
    }

    /** The loss over all rows, as training computes it. */
    public double loss() {
        return loss;
    }

    /** Whether these are classification figures (else regression). */
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

    /** Classes (outputs) of a classification result; 0 for regression. */
    public int classes() {
        return confusion == null ? 0 : confusion.length;
    }

    /** Rows whose label is class {@code c}. */
    public long support(int c) {
        long s = 0;
        for (long v : confusion[c]) s += v;
        return s;
    }

    /** Rows predicted as class {@code c}. */
    public long predicted(int c) {
        long s = 0;
        for (long[] row : confusion) s += row[c];
        return s;
    }

    /** TP/(TP+FP) for class {@code c}; 0 when nothing was predicted as c. */
    public double precision(int c) {
        long p = predicted(c);
        return p == 0 ? 0 : (double) confusion[c][c] / p;
    }

    /** TP/(TP+FN) for class {@code c}; 0 when no row is of class c. */
    public double recall(int c) {
        long s = support(c);
        return s == 0 ? 0 : (double) confusion[c][c] / s;
    }

    /** The harmonic mean of precision and recall for class {@code c}; 0 when both are 0. */
    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /** Whether class {@code c} occurs among the labels or the predictions (the classes averages run over). */
    public boolean occurs(int c) {
        return support(c) > 0 || predicted(c) > 0;
    }

    /** The unweighted mean of a per-class figure over the classes that occur. */
    private double macro(java.util.function.IntToDoubleFunction f) {
        double s = 0;
        int k = 0;
        for (int c = 0; c < classes(); c++) {
            if (!occurs(c)) continue;
            s += f.applyAsDouble(c);
            k++;
        }
        return k == 0 ? 0 : s / k;
    }

    /** The support-weighted mean of a per-class figure. */
    private double weighted(java.util.function.IntToDoubleFunction f) {
        double s = 0;
        for (int c = 0; c < classes(); c++) s += f.applyAsDouble(c) * support(c);
        return s / rows;
    }

    /** Precision averaged over the classes that occur, unweighted. */
    public double macroPrecision() {
        return macro(this::precision);
    }

    /** Recall averaged over the classes that occur, unweighted. */
    public double macroRecall() {
        return macro(this::recall);
    }

    /** F1 averaged over the classes that occur, unweighted. */
    public double macroF1() {
        return macro(this::f1);
    }

    /** Precision averaged over the classes, weighted by support. */
    public double weightedPrecision() {
        return weighted(this::precision);
    }

    /** Recall averaged over the classes, weighted by support. */
    public double weightedRecall() {
        return weighted(this::recall);
    }

    /** F1 averaged over the classes, weighted by support. */
    public double weightedF1() {
        return weighted(this::f1);
    }

    /** Values predicted per row (regression); 0 for classification. */
    public int targets() {
        return perTarget == null ? 0 : perTarget.length;
    }

    /** Mean squared error of target {@code j}. */
    public double mse(int j) {
        return perTarget[j][0];
    }

    /** Root mean squared error of target {@code j}. */
    public double rmse(int j) {
        return Math.sqrt(perTarget[j][0]);
    }

    /** Mean absolute error of target {@code j}. */
    public double mae(int j) {
        return perTarget[j][1];
    }

    /** Coefficient of determination of target {@code j} (see the class comment for constant targets). */
    public double r2(int j) {
        return perTarget[j][2];
    }

    /** The confusion matrix as aligned text: rows are true classes, columns predictions, by index. */
    public String confusionTable() {
        return confusionTable(null);
    }

    /** The confusion matrix as aligned text, classes labelled by {@code names} (null: by index). */
    public String confusionTable(List<String> names) {
        if (confusion == null) return "";
        int n = confusion.length;
        long max = 1;
        for (long[] row : confusion) for (long v : row) max = Math.max(max, v);
        int w = Math.max(3, Long.toString(max).length() + 1);
        for (int j = 0; j < n; j++) w = Math.max(w, name(names, j).length() + 1);
        int first = "true\\pred".length();
        for (int i = 0; i < n; i++) first = Math.max(first, name(names, i).length());
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + first + "s", "true\\pred"));
        for (int j = 0; j < n; j++) sb.append(String.format(Locale.ROOT, "%" + w + "s", name(names, j)));
        sb.append('\n');
        for (int i = 0; i < n; i++) {
            sb.append(String.format(Locale.ROOT, "%-" + first + "s", name(names, i)));
            for (int j = 0; j < n; j++) sb.append(String.format(Locale.ROOT, "%" + w + "d", confusion[i][j]));
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String name(List<String> names, int i) {
        return names != null && i < names.size() ? names.get(i) : Integer.toString(i);
    }

    /**
     * The figures as text, laid out as scikit-learn's classification_report (per class, then accuracy,
     * macro and weighted averages) or, for regression, one line per target. Classes and targets are
     * labelled by {@code names} (null: by index).
     */
    public String report(List<String> names) {
        StringBuilder sb = new StringBuilder();
        if (confusion != null) {
            int w = "weighted avg".length();
            for (int c = 0; c < classes(); c++) w = Math.max(w, name(names, c).length());
            String row = "%" + w + "s %9.4f %9.4f %9.4f %9d%n";
            sb.append(String.format(Locale.ROOT, "%" + w + "s %9s %9s %9s %9s%n", "", "precision", "recall", "f1-score", "support"));
            for (int c = 0; c < classes(); c++) {
                if (occurs(c)) sb.append(String.format(Locale.ROOT, row, name(names, c), precision(c), recall(c), f1(c), support(c)));
            }
            sb.append(String.format(Locale.ROOT, "%n%" + w + "s %9s %9s %9.4f %9d%n", "accuracy", "", "", accuracy, rows));
            sb.append(String.format(Locale.ROOT, row, "macro avg", macroPrecision(), macroRecall(), macroF1(), rows));
            sb.append(String.format(Locale.ROOT, row, "weighted avg", weightedPrecision(), weightedRecall(), weightedF1(), rows));
        } else {
            int w = "target".length();
            for (int j = 0; j < targets(); j++) w = Math.max(w, name(names, j).length());
            sb.append(String.format(Locale.ROOT, "%-" + w + "s %12s %12s %12s %12s%n", "target", "MSE", "RMSE", "MAE", "R²"));
            for (int j = 0; j < targets(); j++) {
                sb.append(String.format(Locale.ROOT, "%-" + w + "s %12.6g %12.6g %12.6g %12.6f%n", name(names, j), mse(j), rmse(j), mae(j), r2(j)));
            }
        }
        return sb.toString();
    }
}
