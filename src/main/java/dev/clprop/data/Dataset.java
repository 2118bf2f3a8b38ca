package dev.clprop.data;

import dev.clprop.error.InvalidInputException;
import dev.clprop.model.Standardizer;

/**
 * Rows of input features with, for classification, an integer class label per row, or, for
 * regression, real-valued targets per row. Immutable: the factories copy what they are given.
 * <pre>{@code
 * Dataset iris = Dataset.classification(features, labels);     // float[][] and int[] 0..C-1
 * Dataset xy   = Dataset.regression(features, targets);        // float[][] and float[][]
 * }</pre>
 * Files are read by {@link DataSources}. Labels are one-hot encoded when training, to the network's
 * output width.
 */
public final class Dataset {
    /** The most classes a dataset may have (its confusion matrix is classes² counters). */
    public static final int MAX_CLASSES = 4096;

    private final String name;
    private final float[] x;
    private final int rows;
    private final int featureCount;
    private final int[] labels;
    private final int classCount;
    private final float[] targets;
    private final int targetCount;
    private final int[] lines;
    private final Names names;

    /** What the classes and columns are called, where known (each null when not). */
    private record Names(java.util.List<String> classes, java.util.List<String> features, java.util.List<String> targets,
                         java.util.List<String> ignored) {
        static final Names NONE = new Names(null, null, null, null);
    }

    private Dataset(String name, float[] x, int rows, int featureCount, int[] labels, float[] targets, int targetCount, int[] lines) {
        this.name = name;
        this.x = x;
        this.rows = rows;
        this.featureCount = featureCount;
        this.labels = labels;
        this.targets = targets;
        this.targetCount = targetCount;
        this.lines = lines;
        this.names = Names.NONE;
        if (rows < 1) throw new InvalidInputException(name + ": has no rows");
        if (featureCount < 1) throw new InvalidInputException(name + ": has no feature columns");
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) throw new InvalidInputException(where(i / featureCount) + ": feature " + (i % featureCount + 1) + " is " + x[i] + ", not a finite number");
        }
        int max = -1;
        if (labels != null) {
            for (int r = 0; r < rows; r++) {
                if (labels[r] < 0) throw new InvalidInputException(where(r) + ": class label " + labels[r] + " is negative");
                if (labels[r] >= MAX_CLASSES) {
                    throw new InvalidInputException(where(r) + ": class label " + labels[r] + " is beyond the limit of " + MAX_CLASSES + " classes");
                }
                max = Math.max(max, labels[r]);
            }
        } else {
            for (int i = 0; i < targets.length; i++) {
                if (!Float.isFinite(targets[i])) throw new InvalidInputException(where(i / targetCount) + ": target " + (i % targetCount + 1) + " is " + targets[i] + ", not a finite number");
            }
        }
        this.classCount = max + 1;
    }

    /** Classification data: {@code x[row]} the features (every row the same length), {@code labels[row]} in 0..C−1. */
    public static Dataset classification(float[][] x, int[] labels) {
        if (labels == null || x == null) throw new InvalidInputException("features and labels must be given");
        if (labels.length != x.length) throw new InvalidInputException("there are " + x.length + " rows of features but " + labels.length + " labels");
        return new Dataset("data", flatten(x, "features"), x.length, width(x), labels.clone(), null, 0, null);
    }

    /** Regression data: {@code x[row]} the features, {@code targets[row]} the values to predict. */
    public static Dataset regression(float[][] x, float[][] targets) {
        if (targets == null || x == null) throw new InvalidInputException("features and targets must be given");
        if (targets.length != x.length) throw new InvalidInputException("there are " + x.length + " rows of features but " + targets.length + " rows of targets");
        return new Dataset("data", flatten(x, "features"), x.length, width(x), null, flatten(targets, "targets"), width(targets), null);
    }

    /**
     * Classification rows from flat arrays: {@code x} holds {@code labels.length} rows of
     * {@code featureCount} values. {@code lines} (may be null) gives each row's line in its file, for
     * messages. The arrays are used as they are, not copied.
     */
    public static Dataset classification(String name, float[] x, int featureCount, int[] labels, int[] lines) {
        checkFlat(name, x, featureCount, labels.length);
        return new Dataset(name, x, labels.length, featureCount, labels, null, 0, lines);
    }

    /** Regression rows from flat arrays; see {@link #classification(String, float[], int, int[], int[])}. */
    public static Dataset regression(String name, float[] x, int featureCount, float[] targets, int targetCount, int[] lines) {
        if (targetCount < 1 || targets.length % targetCount != 0) throw new InvalidInputException(name + ": targets do not form rows of " + targetCount);
        int rows = targets.length / targetCount;
        checkFlat(name, x, featureCount, rows);
        return new Dataset(name, x, rows, featureCount, null, targets, targetCount, lines);
    }

    private static void checkFlat(String name, float[] x, int featureCount, int rows) {
        if (featureCount < 1 || (long) featureCount * rows != x.length) {
            throw new InvalidInputException(name + ": " + x.length + " feature values do not form " + rows + " rows of " + featureCount);
        }
    }

    private static int width(float[][] a) {
        return a.length == 0 || a[0] == null ? 0 : a[0].length;
    }

    private static float[] flatten(float[][] a, String what) {
        int w = width(a);
        if ((long) a.length * w > Integer.MAX_VALUE - 8) throw new InvalidInputException("too many " + what + " for one array");
        float[] out = new float[a.length * w];
        for (int r = 0; r < a.length; r++) {
            if (a[r] == null || a[r].length != w) {
                throw new InvalidInputException("row " + r + " of the " + what + " has " + (a[r] == null ? "no" : a[r].length) + " values, row 0 has " + w);
            }
            System.arraycopy(a[r], 0, out, r * w, w);
        }
        return out;
    }

    /** A copy whose classes have names: class i is {@code names.get(i)}. */
    public Dataset withClassNames(java.util.List<String> classNames) {
        if (labels == null) throw new InvalidInputException(name + ": regression data has no classes to name");
        if (classNames.size() < classCount) throw new InvalidInputException(name + ": " + classNames.size() + " class names for " + classCount + " classes");
        return new Dataset(this, new Names(java.util.List.copyOf(classNames), names.features, names.targets, names.ignored));
    }

    /**
     * A copy that knows its columns' names (from a CSV header): one per feature; the label column's
     * (classification) or one per target (regression); and the columns that were set aside. Each may be null.
     */
    public Dataset withColumnNames(java.util.List<String> featureNames, java.util.List<String> targetNames, java.util.List<String> ignoredNames) {
        if (featureNames != null && featureNames.size() != featureCount) {
            throw new InvalidInputException(name + ": " + featureNames.size() + " feature names for " + featureCount + " features");
        }
        int outputs = labels != null ? 1 : targetCount;
        if (targetNames != null && targetNames.size() != outputs) {
            throw new InvalidInputException(name + ": " + targetNames.size() + " label or target names for " + outputs + " column(s)");
        }
        return new Dataset(this, new Names(names.classes, copy(featureNames), copy(targetNames), copy(ignoredNames)));
    }

    private static java.util.List<String> copy(java.util.List<String> l) {
        return l == null ? null : java.util.List.copyOf(l);
    }

    /**
     * The same rows with labels numbered by {@code classNames} (say a test file's, numbered by the
     * training file's names): a label this data has that is not among them is an error naming the row.
     * Data without class names (numbered classes) is returned as it is.
     */
    public Dataset withClassesOf(java.util.List<String> classNames) {
        if (labels == null || names.classes == null || names.classes.equals(classNames)) return this;
        if (classNames == null) throw new InvalidInputException(name + ": has text class labels (" + String.join(", ", names.classes) + ") but the classes are numbered");
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < classNames.size(); i++) index.put(classNames.get(i), i);
        int[] to = new int[names.classes.size()];
        for (int c = 0; c < to.length; c++) to[c] = index.getOrDefault(names.classes.get(c), -1);
        int[] relabelled = new int[rows];
        for (int r = 0; r < rows; r++) {
            relabelled[r] = to[labels[r]];
            if (relabelled[r] < 0) {
                throw new InvalidInputException(where(r) + ": class " + dev.clprop.error.Quote.of(names.classes.get(labels[r]))
                        + " is not one of the classes " + String.join(", ", classNames));
            }
        }
        Dataset d = new Dataset(name, x, rows, featureCount, relabelled, null, 0, lines);
        return new Dataset(d, new Names(java.util.List.copyOf(classNames), names.features, names.targets, names.ignored));
    }

    /**
     * The same rows with their columns in the order {@code featureNames} and {@code targetNames} give
     * (a model's, or a training file's), matched by name: a file may hold its columns in any order.
     * A column the names lack, or a name the data lacks, is an {@link InvalidInputException} naming it;
     * {@code whose} says whose columns they are ("the model"). Data without column names, or names not
     * given, are returned as they are (matched by position).
     */
    public Dataset withColumnsOf(java.util.List<String> featureNames, java.util.List<String> targetNames, String whose) {
        Dataset d = this;
        int[] f = columnOrder(names.features, featureNames, "feature", whose);
        if (f != null) {
            d = new Dataset(d, new Names(names.classes, java.util.List.copyOf(featureNames), names.targets, names.ignored));
            d = d.withArrays(reorder(x, rows, f), featureCount, d.targets);
        }
        if (labels == null) {
            int[] t = columnOrder(names.targets, targetNames, "target", whose);
            if (t != null) {
                d = d.withArrays(d.x, featureCount, reorder(targets, rows, t));
                d = new Dataset(d, new Names(d.names.classes, d.names.features, java.util.List.copyOf(targetNames), d.names.ignored));
            }
        }
        return d;
    }

    /** For each wanted column, where this data holds it; null when nothing moves or nothing is named. */
    private int[] columnOrder(java.util.List<String> have, java.util.List<String> wanted, String kind, String whose) {
        if (have == null || wanted == null || have.equals(wanted)) return null;
        if (new java.util.HashSet<>(have).size() != have.size()) {
            throw new InvalidInputException(name + ": has two " + kind + " columns of the same name, so they cannot be matched to " + whose + "'s by name");
        }
        for (String h : have) {
            if (!wanted.contains(h)) {
                throw new InvalidInputException(name + ": " + kind + " column " + dev.clprop.error.Quote.of(h) + " is not one of " + whose + "'s ("
                        + String.join(", ", wanted) + ")");
            }
        }
        int[] from = new int[wanted.size()];
        for (int i = 0; i < from.length; i++) {
            from[i] = have.indexOf(wanted.get(i));
            if (from[i] < 0) throw new InvalidInputException(name + ": lacks the " + kind + " column " + dev.clprop.error.Quote.of(wanted.get(i)) + " of " + whose);
        }
        return from;
    }

    private static float[] reorder(float[] values, int rows, int[] from) {
        int w = from.length;
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) for (int i = 0; i < w; i++) out[r * w + i] = values[r * w + from[i]];
        return out;
    }

    /** A copy with other feature or target arrays of the same shapes, keeping names, labels and lines. */
    private Dataset withArrays(float[] features, int width, float[] newTargets) {
        Dataset d = new Dataset(name, features, rows, width, labels, newTargets, targetCount, lines);
        return new Dataset(d, names);
    }

    /** The same rows with their regression targets transformed by {@code s} (rows of targets). */
    public Dataset withTargetsScaled(Standardizer s) {
        if (labels != null) throw new InvalidInputException(name + ": classification data has no targets to scale");
        return withArrays(x, featureCount, s.apply(targets));
    }

    /** The targets, rows × {@link #targetCount()} row-major (a copy); null for classification data. */
    public float[] targetValues() {
        return targets == null ? null : targets.clone();
    }

    /** What this data's columns and classes are, as a model records it. */
    public dev.clprop.model.DataSchema schema() {
        return new dev.clprop.model.DataSchema(labels != null ? dev.clprop.model.DataSchema.Task.CLASSIFICATION : dev.clprop.model.DataSchema.Task.REGRESSION,
                names.features, names.targets, labels != null ? names.classes : null, names.ignored);
    }

    private Dataset(Dataset d, Names names) {
        this.name = d.name;
        this.x = d.x;
        this.rows = d.rows;
        this.featureCount = d.featureCount;
        this.labels = d.labels;
        this.classCount = names.classes == null ? d.classCount : Math.max(d.classCount, names.classes.size());
        this.targets = d.targets;
        this.targetCount = d.targetCount;
        this.lines = d.lines;
        this.names = names;
    }

    /** The names of the classes, when the labels were text (e.g. "setosa"); null when they were numbers. */
    public java.util.List<String> classNames() {
        return names.classes;
    }

    /** The feature columns' names (from a header row), or null. */
    public java.util.List<String> featureNames() {
        return names.features;
    }

    /** The label column's name (classification) or the target columns' names (regression), from a header row; or null. */
    public java.util.List<String> targetNames() {
        return names.targets;
    }

    /** Where the data came from (a file name, "digits", "data"). */
    public String name() {
        return name;
    }

    /** How many rows the dataset has. */
    public int rows() {
        return rows;
    }

    /** How many features each row has. */
    public int featureCount() {
        return featureCount;
    }

    /** Whether rows carry a class label (else regression targets). */
    public boolean isClassification() {
        return labels != null;
    }

    /** For classification: the largest label plus one. 0 for regression. */
    public int classCount() {
        return classCount;
    }

    /** For regression: values to predict per row. 0 for classification. */
    public int targetCount() {
        return targetCount;
    }

    /** The class label of a row (classification only). */
    public int label(int row) {
        return labels[row];
    }

    /** Rows per class, 0..classCount−1 (classification only). */
    public int[] classCounts() {
        int[] c = new int[classCount];
        for (int r = 0; r < rows; r++) c[labels[r]]++;
        return c;
    }

    /**
     * Classes below {@link #classCount()} that no row has, as ranges ("3, 10..254"), or null when every
     * class has rows. Gaps usually mean a corrupt label file or labels that do not start at 0.
     */
    public String emptyClasses() {
        if (labels == null) return null;
        int[] c = classCounts();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.length; i++) {
            if (c[i] != 0) continue;
            int j = i;
            while (j + 1 < c.length && c[j + 1] == 0) j++;
            sb.append(sb.length() > 0 ? ", " : "").append(i == j ? Integer.toString(i) : i + ".." + j);
            i = j;
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** A copy of one row's features. */
    public float[] row(int row) {
        float[] r = new float[featureCount];
        System.arraycopy(x, row * featureCount, r, 0, featureCount);
        return r;
    }

    /** The features, rows × featureCount row-major: the backing array itself, which must not be modified. */
    public float[] featureMatrix() {
        return x;
    }

    /**
     * What the network is trained to output, rows × width row-major: one-hot labels (each label must
     * be below width) or the targets (width must equal {@link #targetCount()}).
     */
    public float[] targetMatrix(int width) {
        if (labels == null) {
            if (width != targetCount) throw new InvalidInputException(name + ": has " + targetCount + " target column(s) but the network has " + width + " output(s)");
            return targets;
        }
        float[] y = new float[Math.multiplyExact(rows, width)];
        for (int r = 0; r < rows; r++) {
            if (labels[r] >= width) {
                throw new InvalidInputException(where(r) + ": class label " + labels[r] + " is outside 0.." + (width - 1) + " (the network has " + width + " outputs)");
            }
            y[r * width + labels[r]] = 1f;
        }
        return y;
    }

    /** "file:line" for a row read from a file, else "name row N" (1-based). */
    public String where(int row) {
        return lines != null ? name + ":" + lines[row] : name + " row " + (row + 1);
    }

    /** The rows {@code idx}, in that order, as a new dataset. */
    public Dataset subset(int[] idx, String newName) {
        float[] nx = new float[idx.length * featureCount];
        int[] nl = labels == null ? null : new int[idx.length];
        float[] nt = targets == null ? null : new float[idx.length * targetCount];
        int[] nlines = lines == null ? null : new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(x, idx[i] * featureCount, nx, i * featureCount, featureCount);
            if (nl != null) nl[i] = labels[idx[i]];
            if (nt != null) System.arraycopy(targets, idx[i] * targetCount, nt, i * targetCount, targetCount);
            if (nlines != null) nlines[i] = lines[idx[i]];
        }
        return new Dataset(new Dataset(newName, nx, idx.length, featureCount, nl, nt, targetCount, nlines), names);
    }

    /** A copy with standardized features. */
    public Dataset standardized(Standardizer s) {
        if (s.features() != featureCount) {
            throw new InvalidInputException(name + ": has " + featureCount + " features but the standardization is for " + s.features());
        }
        return new Dataset(new Dataset(name, s.apply(x), rows, featureCount, labels, targets, targetCount, lines), names);
    }

    @Override
    public String toString() {
        return name + " (" + rows + " rows, " + featureCount + " features, "
                + (labels != null ? classCount + " classes)" : targetCount + " targets)");
    }
}
