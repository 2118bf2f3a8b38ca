package dev.clprop.data;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import dev.clprop.io.CsvReader;
import dev.clprop.model.DataSchema;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads CSV rows for a trained model, matching the file's columns to what the model was trained on:
 * <ul>
 *   <li>When the file has a header and the model knows its columns' names, columns are matched by
 *       name, in any order: the model's features, its label or target columns, and the columns it
 *       was told to ignore. Any other column is an error naming it (set it aside with {@code ignore}).</li>
 *   <li>Otherwise by count: after the ignored columns, the file holds the model's inputs, optionally
 *       followed by the label column (a classifier) or the target columns (regression).</li>
 * </ul>
 * Features come back in the model's input order.
 *
 * @param schema   what the model knows of its training data
 * @param inputs   the model's input width
 * @param outputs  the model's output width (the number of targets, for regression)
 * @param ignore   more columns to set aside, by header name or position (see {@link CsvOptions})
 * @param label    the label column by header name or position, when it is not where the model
 *                 expects it (classifiers only); or null
 */
public record ModelInputs(DataSchema schema, int inputs, int outputs, List<String> ignore, String label) {
    /** Checks the options against the model: a label column only for classifiers. */
    public ModelInputs {
        ignore = ignore == null ? List.of() : List.copyOf(ignore);
        if (schema == null) schema = DataSchema.UNKNOWN;
        if (label != null && schema.isRegression()) throw new InvalidSettingException("label", "applies to classifiers; this is a regression model");
    }

    /** Rows with their labels or targets, to score the model on; a file without them is an error. */
    public Dataset labelled(Path file) {
        return labelled(CsvReader.read(file, layout(true)));
    }

    /** As {@link #labelled(Path)}, from a stream (not closed here) called {@code name} in messages. */
    public Dataset labelled(String name, InputStream in) {
        return labelled(CsvReader.read(name, in, layout(true)));
    }

    /** The rows' features, rows × inputs row-major; label or target columns, if present, are skipped. */
    public float[] features(Path file) {
        return ordered(CsvReader.read(file, layout(false)));
    }

    /** As {@link #features(Path)}, from a stream (not closed here) called {@code name} in messages. */
    public float[] features(String name, InputStream in) {
        return ordered(CsvReader.read(name, in, layout(false)));
    }

    private Dataset labelled(CsvReader.Result t) {
        CsvReader.Result r = new CsvReader.Result(t.source(), t.header(), t.roles(), t.rows(), ordered(t), t.featureCount(),
                t.targets(), t.targetCount(), t.labels(), t.lines());
        CsvOptions options = schema.isRegression() ? CsvOptions.regression(outputs) : CsvOptions.classification();
        List<String> features = t.names(CsvReader.Role.FEATURE) == null ? null : schema.featureNames() != null ? schema.featureNames() : t.names(CsvReader.Role.FEATURE);
        return DataSources.labelled(r, options).withColumnNames(features,
                t.names(options.isRegression() ? CsvReader.Role.TARGET : CsvReader.Role.LABEL), t.names(CsvReader.Role.IGNORED));
    }

    private boolean regression() {
        return schema.isRegression();
    }

    CsvReader.Layout layout(boolean wantLabels) {
        return (header, cols, source) -> {
            CsvReader.Role[] roles = new CsvReader.Role[cols];
            java.util.Arrays.fill(roles, CsvReader.Role.FEATURE);
            for (String ref : ignore) roles[CsvOptions.resolve(ref, header, cols, "ignore", source)] = CsvReader.Role.IGNORED;
            if (label != null) {
                int c = CsvOptions.resolve(label, header, cols, "label", source);
                if (roles[c] == CsvReader.Role.IGNORED) throw new InvalidSettingException("label", Quote.of(label) + " is also among the ignored columns");
                roles[c] = wantLabels ? CsvReader.Role.LABEL : CsvReader.Role.IGNORED;
            }
            if (header != null && schema.featureNames() != null) byName(header, roles, source, wantLabels);
            else byCount(roles, source, wantLabels);
            return roles;
        };
    }

    private void byName(String[] header, CsvReader.Role[] roles, String source, boolean wantLabels) {
        Set<String> features = new HashSet<>(schema.featureNames());
        Set<String> outs = schema.targetNames() == null ? Set.of() : new HashSet<>(schema.targetNames());
        Set<String> ignored = schema.ignoredNames() == null ? Set.of() : new HashSet<>(schema.ignoredNames());
        Set<String> seen = new HashSet<>();
        for (int c = 0; c < roles.length; c++) {
            if (roles[c] != CsvReader.Role.FEATURE) continue;
            String h = header[c];
            if (!seen.add(h)) throw new InvalidInputException(source + ": has two columns named " + Quote.of(h));
            if (features.contains(h)) continue;
            if (outs.contains(h)) {
                roles[c] = !wantLabels ? CsvReader.Role.IGNORED : regression() ? CsvReader.Role.TARGET : CsvReader.Role.LABEL;
            } else if (ignored.contains(h)) {
                roles[c] = CsvReader.Role.IGNORED;
            } else {
                throw new InvalidInputException(source + ": column " + Quote.of(h) + " is not one the model was trained on (its features: "
                        + String.join(", ", schema.featureNames()) + "); set it aside with --ignore " + h);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String f : schema.featureNames()) if (!seen.contains(f)) missing.add(f);
        if (!missing.isEmpty()) throw new InvalidInputException(source + ": lacks the model's feature column(s) " + String.join(", ", missing));
        if (wantLabels && label == null) {
            List<String> lacking = new ArrayList<>();
            if (schema.targetNames() != null) for (String t : schema.targetNames()) if (!seen.contains(t)) lacking.add(t);
            if (!lacking.isEmpty()) {
                throw new InvalidInputException(source + ": lacks the " + (regression() ? "target" : "label") + " column(s) " + String.join(", ", lacking)
                        + " the model was trained with");
            }
        }
    }

    private void byCount(CsvReader.Role[] roles, String source, boolean wantLabels) {
        int left = 0;
        for (CsvReader.Role r : roles) if (r == CsvReader.Role.FEATURE) left++;
        if (label != null) {
            if (left == inputs) return;
            throw new InvalidInputException(source + ": has " + left + " feature column(s) besides the label but the model takes " + inputs + " inputs");
        }
        int extra = regression() ? outputs : 1;
        // a model that does not record its task (clprop 0.1) may be followed by a label or by targets
        if (schema.task() == null && !wantLabels && left == inputs + outputs) extra = outputs;
        boolean withLabels = left == inputs + extra;
        if (left != inputs && !withLabels || wantLabels && !withLabels) {
            String labels = regression() ? outputs + " target column(s)" : "a label column";
            if (schema.task() == null && !wantLabels && outputs > 1) labels += " or " + outputs + " target columns";
            throw new InvalidInputException(source + ": has " + left + " column(s)" + (left < roles.length ? " not ignored" : "")
                    + " but the model takes " + inputs + " inputs " + (wantLabels ? "followed by " + labels : "(optionally followed by " + labels + ")"));
        }
        if (!withLabels) return;
        CsvReader.Role role = !wantLabels ? CsvReader.Role.IGNORED : regression() ? CsvReader.Role.TARGET : CsvReader.Role.LABEL;
        for (int c = roles.length - 1, n = 0; c >= 0 && n < extra; c--) {
            if (roles[c] == CsvReader.Role.FEATURE) {
                roles[c] = role;
                n++;
            }
        }
    }

    /** The features in the model's input order (a file matched by name may hold them in another). */
    private float[] ordered(CsvReader.Result t) {
        List<String> inFile = t.names(CsvReader.Role.FEATURE);
        List<String> wanted = schema.featureNames();
        if (inFile == null || wanted == null || inFile.equals(wanted)) return t.features();
        int f = t.featureCount();
        int[] from = new int[f];
        for (int i = 0; i < f; i++) from[i] = inFile.indexOf(wanted.get(i));
        float[] x = t.features(), out = new float[x.length];
        for (int r = 0; r < t.rows(); r++) for (int i = 0; i < f; i++) out[r * f + i] = x[r * f + from[i]];
        return out;
    }
}
