package dev.clprop.data;

import dev.clprop.error.InvalidSettingException;

/**
 * How to read a CSV file: by default the last column is an integer class label and the others are
 * features; {@link #regression(int)} makes the last N columns real-valued targets instead.
 */
public record CsvOptions(int targets) {
    public CsvOptions {
        if (targets < 0) throw new InvalidSettingException("targets", "must be a positive integer, got " + targets);
    }

    /** Last column: an integer class label 0..C−1. */
    public static CsvOptions classification() {
        return new CsvOptions(0);
    }

    /** Last {@code targets} columns: values to predict. */
    public static CsvOptions regression(int targets) {
        if (targets <= 0) throw new InvalidSettingException("targets", "must be a positive integer, got " + targets);
        return new CsvOptions(targets);
    }

    public boolean isRegression() {
        return targets > 0;
    }
}
