package dev.clprop.model;

import dev.clprop.error.IncompatibleModelException;

import java.util.List;

/**
 * What a model's inputs and outputs mean, learnt from its training data and kept in the model file,
 * so that evaluating and predicting need not be told again: the task, the names of the classes
 * (output i is class {@code classNames.get(i)}), and the names of the feature, label or target, and
 * ignored columns of the CSV header it was trained from. Any part may be unknown (null): data without
 * a header has no column names, numeric labels have no class names, and clprop 0.1 recorded nothing.
 *
 * @param task          classification or regression; null when the file does not say (clprop 0.1)
 * @param featureNames  one per input, in input order
 * @param targetNames   the label column (classification, one name) or the target columns (regression, one per output)
 * @param classNames    one per class, at most one per output; classification only
 * @param ignoredNames  columns the training file had that the model does not use (an ID, a comment)
 */
public record DataSchema(Task task, List<String> featureNames, List<String> targetNames, List<String> classNames, List<String> ignoredNames) {
    /** Nothing known. */
    public static final DataSchema UNKNOWN = new DataSchema(null, null, null, null, null);

    /** What a model predicts. */
    public enum Task {
        /** Rows carry a class label; the model outputs a score per class. */
        CLASSIFICATION,
        /** Rows carry real-valued targets; the model outputs one value per target. */
        REGRESSION;

        /** How the model file spells it. */
        public String spelling() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The task a file names, or null for a name clprop does not know. */
        public static Task parse(String s) {
            for (Task t : values()) if (t.spelling().equals(s)) return t;
            return null;
        }
    }

    /** Checks the names: no duplicates, class names only for classification. */
    public DataSchema {
        featureNames = copy(featureNames);
        targetNames = copy(targetNames);
        classNames = copy(classNames);
        ignoredNames = copy(ignoredNames);
        if (classNames != null && task == Task.REGRESSION) throw new IncompatibleModelException("a regression model has no class names");
        if (classNames != null && new java.util.HashSet<>(classNames).size() != classNames.size()) {
            throw new IncompatibleModelException("the class names " + classNames + " repeat a name");
        }
    }

    private static List<String> copy(List<String> l) {
        return l == null ? null : List.copyOf(l);
    }

    /** A classification schema. */
    public static DataSchema classification(List<String> featureNames, String labelName, List<String> classNames, List<String> ignoredNames) {
        return new DataSchema(Task.CLASSIFICATION, featureNames, labelName == null ? null : List.of(labelName), classNames, ignoredNames);
    }

    /** A regression schema. */
    public static DataSchema regression(List<String> featureNames, List<String> targetNames, List<String> ignoredNames) {
        return new DataSchema(Task.REGRESSION, featureNames, targetNames, null, ignoredNames);
    }

    /** Whether the model predicts real-valued targets. */
    public boolean isRegression() {
        return task == Task.REGRESSION;
    }

    /** Checks the lists against the network's widths; {@code where} names the model in messages. */
    public void checkAgainst(Architecture a, String where) {
        if (featureNames != null && featureNames.size() != a.inputs()) {
            throw new IncompatibleModelException(where + ": names " + featureNames.size() + " feature(s) but " + a + " takes " + a.inputs() + " inputs");
        }
        if (classNames != null && classNames.size() > a.outputs()) {
            throw new IncompatibleModelException(where + ": names " + classNames.size() + " classes but " + a + " has " + a.outputs() + " outputs");
        }
        if (task == Task.REGRESSION && targetNames != null && targetNames.size() != a.outputs()) {
            throw new IncompatibleModelException(where + ": names " + targetNames.size() + " target(s) but " + a + " has " + a.outputs() + " outputs");
        }
        if (task == Task.CLASSIFICATION && targetNames != null && targetNames.size() != 1) {
            throw new IncompatibleModelException(where + ": names " + targetNames.size() + " label columns; a classifier has one");
        }
    }

    /** What output {@code i} is called: its class name, else its index. */
    public String className(int i) {
        return classNames != null && i < classNames.size() ? classNames.get(i) : Integer.toString(i);
    }
}
