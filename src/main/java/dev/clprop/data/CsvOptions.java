package dev.clprop.data;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

import java.util.List;

/**
 * Which columns of a CSV file are what. By default the last column is the class label and every other
 * column a feature. {@link #regression(int)} makes the last N columns (after ignored ones are set
 * aside) real-valued targets instead. {@link #label(String)} names the label column and
 * {@link #ignore(List)} sets columns aside (an ID, a free-text note): each by its header name, or by
 * its position counting from 1 (negative positions count from the end, −1 being the last). Immutable.
 */
public record CsvOptions(int targets, String label, List<String> ignore) {
    /** Checks the options: targets not negative, a label only for classification. */
    public CsvOptions {
        if (targets < 0) throw new InvalidSettingException("targets", "must be a positive integer, got " + targets);
        if (targets > 0 && label != null) throw new InvalidSettingException("label", "applies to classification; regression data has target columns");
        ignore = ignore == null ? List.of() : List.copyOf(ignore);
    }

    /** The last column is an integer class label 0..C−1 or a text label. */
    public static CsvOptions classification() {
        return new CsvOptions(0, null, List.of());
    }

    /** The last {@code targets} columns are values to predict. */
    public static CsvOptions regression(int targets) {
        if (targets <= 0) throw new InvalidSettingException("targets", "must be a positive integer, got " + targets);
        return new CsvOptions(targets, null, List.of());
    }

    /** The label column, by header name or position (see the class comment). */
    public CsvOptions label(String column) {
        return new CsvOptions(targets, column, ignore);
    }

    /** Columns to set aside, by header name or position. */
    public CsvOptions ignore(List<String> columns) {
        return new CsvOptions(targets, label, columns);
    }

    /** Whether the file holds regression targets rather than a class label. */
    public boolean isRegression() {
        return targets > 0;
    }

    /**
     * The 0-based index a column reference names in a file with {@code cols} columns and this header
     * (null when the file has none).
     */
    static int resolve(String ref, String[] header, int cols, String setting, String source) {
        String r = ref.trim();
        if (header != null) {
            for (int c = 0; c < cols; c++) if (header[c].equals(r)) return c;
        }
        int pos;
        try {
            pos = Integer.parseInt(r);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(setting, Quote.of(r) + ": " + source + (header == null ? " has no header row to find it in"
                    : " has no such column (its columns: " + String.join(", ", header) + ")"));
        }
        int c = pos > 0 ? pos - 1 : cols + pos;
        if (pos == 0 || c < 0 || c >= cols) {
            throw new InvalidSettingException(setting, Quote.of(r) + ": " + source + " has columns 1.." + cols + " (or -1..-" + cols + " from the end)");
        }
        return c;
    }
}
