package dev.clprop;

import dev.clprop.data.Dataset;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.io.ModelFormat;
import dev.clprop.loss.Loss;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.Parameters;
import dev.clprop.model.Standardizer;
import dev.clprop.train.Evaluator;

import java.nio.file.Path;
import java.util.List;

/**
 * A trained network: its architecture and parameters, the loss it was trained with, and the input
 * standardization it applies (if it was trained with one). A Model is immutable and holds no native
 * resources, so it is safe to share between threads and needs no closing.
 * <pre>{@code
 * Model model = Model.load(Path.of("model.npz"));
 * float[] probabilities = model.predict(row);          // standardized as in training
 * int label = model.predictClass(row);
 * Metrics m = model.evaluate(testData);                 // loss, accuracy, confusion matrix
 * }</pre>
 * Predictions without a device run on the EJML reference path; pass an open {@link Device} to run
 * them there instead.
 */
public final class Model {
    private final Parameters parameters;
    private final Loss loss;
    private final Standardizer standardizer;
    private final DataSchema schema;

    private final Standardizer targetScaling;

    /**
     * A model from parameters (copied: the model never changes). For models that {@link Trainer} did not
     * make: imported weights, or parameters computed elsewhere.
     *
     * @param loss the loss it is scored with (null: the default for its output activation)
     * @param standardizer applied to every input before the network, or null
     * @param schema what its inputs and outputs are called and its task (see {@link DataSchema}); null: unknown
     * @return the model
     */
    public static Model of(Parameters parameters, Loss loss, Standardizer standardizer, DataSchema schema) {
        return new Model(parameters, loss, standardizer, schema, null);
    }

    /** As {@link #of}, for a regression network trained on targets scaled by {@code targetScaling} (or null). */
    Model(Parameters parameters, Loss loss, Standardizer standardizer, DataSchema schema, Standardizer targetScaling) {
        Architecture a = parameters.architecture();
        this.loss = loss != null ? loss : Loss.defaultFor(a.outputActivation());
        this.loss.checkOutput(a.outputActivation());
        if (standardizer != null && standardizer.features() != a.inputs()) {
            throw new IncompatibleModelException("the standardization has " + standardizer.features() + " features but " + a + " takes " + a.inputs() + " inputs");
        }
        if (targetScaling != null && targetScaling.features() != a.outputs()) {
            throw new IncompatibleModelException("the target scaling has " + targetScaling.features() + " values but " + a + " has " + a.outputs() + " outputs");
        }
        String bad = parameters.firstNonFinite();
        if (bad != null) throw new InvalidInputException("parameter " + bad + " holds a non-finite value");
        this.parameters = parameters.copy();
        this.standardizer = standardizer;
        this.schema = schema == null ? DataSchema.UNKNOWN : schema;
        this.schema.checkAgainst(a, "the model");
        this.targetScaling = targetScaling;
    }

    /** Reads a model file written by {@link #save} (or by clprop's command line). */
    public static Model load(Path file) {
        if (file == null) throw new InvalidInputException("no model file was given");
        ModelFormat.StoredModel m = ModelFormat.readModel(file);
        return new Model(m.parameters(), m.loss(), m.standardizer(), m.schema(), m.targetScaling());
    }

    /**
     * Reads parameters for a given architecture from any {@code .npz} whose W1, b1, ... arrays
     * (float32 or float64) have its shapes, e.g. one written by {@code numpy.savez}.
     */
    public static Model loadWeights(Path file, Architecture architecture) {
        ModelFormat.StoredModel m = ModelFormat.readModel(file, architecture);
        return new Model(m.parameters(), m.loss(), m.standardizer(), null, m.targetScaling());
    }

    /**
     * Writes the weights alone under the state_dict keys of the matching PyTorch nn.Sequential (see
     * {@link dev.clprop.model.TorchNames}), atomically. {@link #loadWeights} reads such files back.
     */
    public void saveTorchWeights(Path file) {
        ModelFormat.writeTorchWeights(file, exportParameters());
    }

    /**
     * The parameters of a network that computes what {@link #predict} returns without the target scaling:
     * with {@link #targetScaling()} folded into the output layer ({@code W ← diag(scale)·W},
     * {@code b ← scale·b + shift}), so that ONNX and PyTorch give predictions in target units. Without
     * target scaling, a copy of {@link #parameters()}.
     */
    public Parameters exportParameters() {
        Parameters p = parameters.copy();
        if (targetScaling == null) return p;
        java.util.List<dev.clprop.model.ParamShape> shapes = p.shapes();
        dev.clprop.model.ParamShape w = shapes.get(shapes.size() - 1), b = null;
        if (w.vector()) {
            b = w;
            w = shapes.get(shapes.size() - 2);
        }
        if (b == null || w.vector() || b.size() != architecture().outputs()) {
            throw new IncompatibleModelException("the target scaling cannot be folded into an output layer without a bias");
        }
        float[] wv = p.get(w.name()), bv = p.get(b.name()), scale = targetScaling.scale(), shift = targetScaling.shift();
        int in = wv.length / scale.length;
        for (int o = 0; o < scale.length; o++) {
            for (int i = 0; i < in; i++) wv[o * in + i] *= scale[o];
            bv[o] = bv[o] * scale[o] + shift[o];
        }
        return p;
    }

    /** How regression targets were scaled for training ({@code (y − shift) / scale}), or null: predictions are already in target units. */
    public Standardizer targetScaling() {
        return targetScaling;
    }

    /** Writes the model atomically: a crash leaves the old file or the new one, never half of one. */
    public void save(Path file) {
        if (file == null) throw new InvalidInputException("no file to save the model to was given");
        ModelFormat.writeModel(file, new ModelFormat.StoredModel(parameters, loss, standardizer, schema, targetScaling));
    }

    /** The network: inputs, layers and outputs. */
    public Architecture architecture() {
        return parameters.architecture();
    }

    /** The loss the model is scored with in {@link #evaluate}. */
    public Loss loss() {
        return loss;
    }

    /** The input standardization, or null. */
    public Standardizer standardizer() {
        return standardizer;
    }

    /** What the inputs and outputs are called, and the task; parts may be unknown. */
    public DataSchema schema() {
        return schema;
    }

    /** This model with another schema (e.g. class names for a model trained on numeric labels). */
    public Model withSchema(DataSchema schema) {
        return new Model(parameters, loss, standardizer, schema, targetScaling);
    }

    /** Whether this model predicts classes: as its file says, else as its loss suggests. */
    public boolean isClassifier() {
        if (schema.task() != null) return schema.task() == DataSchema.Task.CLASSIFICATION;
        return loss == Loss.CROSS_ENTROPY || loss == Loss.BCE;
    }

    /** A copy of the parameters. */
    public Parameters parameters() {
        return parameters.copy();
    }

    /** How many features a row must have. */
    public int inputs() {
        return architecture().inputs();
    }

    /** How many values a prediction has (classes for a classifier, targets for a regression). */
    public int outputs() {
        return architecture().outputs();
    }

    /** The network's outputs for one row of {@link #inputs()} features. */
    public float[] predict(float[] row) {
        return predict(new float[][]{row})[0];
    }

    /** Outputs for several rows, on the EJML reference path. */
    public float[][] predict(float[][] rows) {
        try (Device cpu = Device.cpu()) {
            return predict(rows, cpu);
        }
    }

    /** Outputs for several rows, on {@code device}. */
    public float[][] predict(float[][] rows, Device device) {
        int f = inputs();
        float[] x = new float[Math.multiplyExact(rows.length, f)];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] == null || rows[r].length != f) {
                throw new InvalidInputException("row " + r + " has " + (rows[r] == null ? 0 : rows[r].length) + " values but the model takes " + f + " inputs");
            }
            System.arraycopy(rows[r], 0, x, r * f, f);
        }
        float[] out = predictFlat(x, rows.length, device);
        int n = outputs();
        float[][] result = new float[rows.length][n];
        for (int r = 0; r < rows.length; r++) System.arraycopy(out, r * n, result[r], 0, n);
        return result;
    }

    /**
     * Outputs for every row of a dataset (its features; labels or targets are ignored), on {@code device}.
     * Columns are matched to the model's by name where both know them.
     */
    public float[][] predict(Dataset data, Device device) {
        data = matched(data);
        float[] out = predictFlat(data.featureMatrix(), data.rows(), device);
        int n = outputs();
        float[][] result = new float[data.rows()][n];
        for (int r = 0; r < data.rows(); r++) System.arraycopy(out, r * n, result[r], 0, n);
        return result;
    }

    /** Outputs for {@code rows} rows of features (row-major), in target units, on {@code device}. */
    float[] predictFlat(float[] x, int rows, Device device) {
        if (rows == 0) return new float[0];
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) throw new InvalidInputException("row " + i / inputs() + " feature " + (i % inputs() + 1) + " is " + x[i] + ", not a finite number");
        }
        float[] in = standardizer == null ? x : standardizer.apply(x);
        for (int i = 0; i < in.length; i++) {
            if (!Float.isFinite(in[i])) {
                throw new InvalidInputException("row " + i / inputs() + " feature " + (i % inputs() + 1) + ": " + x[i]
                        + " is beyond what the model's standardization can represent (it becomes " + in[i] + ")");
            }
        }
        float[] out = device.use(backends -> Evaluator.predict(backends.get(0), parameters, loss, in, rows));
        for (int i = 0; i < out.length; i++) {
            if (!Float.isFinite(out[i])) {
                throw new InvalidInputException("row " + i / outputs() + ": the model's output is " + out[i] + " (an input far outside what it was trained on?)");
            }
        }
        return targetScaling == null ? out : targetScaling.invert(out);
    }

    /** The class with the largest output for one row. */
    public int predictClass(float[] row) {
        float[] p = predict(row);
        return Metrics.argmax(p, 0, p.length);
    }

    /** The class with the largest output for each row. */
    public int[] predictClasses(float[][] rows) {
        float[][] p = predict(rows);
        int[] out = new int[p.length];
        for (int r = 0; r < p.length; r++) out[r] = Metrics.argmax(p[r], 0, p[r].length);
        return out;
    }

    /** Loss and accuracy (classification) or mean squared error (regression) on {@code data}, on EJML. */
    public Metrics evaluate(Dataset data) {
        try (Device cpu = Device.cpu()) {
            return evaluate(data, cpu);
        }
    }

    /**
     * As {@link #evaluate(Dataset)}, on {@code device}. Columns are matched to the model's by name where both
     * know them (a CSV read with a header, a model trained on one), classes by their names.
     */
    public Metrics evaluate(Dataset data, Device device) {
        Dataset named = scorable(data);
        // predictions in target units (standardized inputs, scaled targets undone), scored against the data as it is
        return score(named, predictFlat(named.featureMatrix(), named.rows(), device));
    }

    /**
     * {@code data} as this model scores it: columns matched by name, classes numbered by the model's names,
     * and refused when it cannot be scored against this model (another task, more classes, numbered labels
     * against named classes).
     */
    Dataset scorable(Dataset data) {
        data = matched(data);
        if (data.isClassification() == schema.isRegression() && schema.task() != null) {
            throw new IncompatibleModelException(data.name() + ": is " + (data.isClassification() ? "classification" : "regression")
                    + " data but the model is a " + schema.task().spelling() + " model");
        }
        if (data.isClassification() && data.classNames() == null && data.classCount() > outputs()) {
            throw new IncompatibleModelException(data.name() + ": has class labels up to " + (data.classCount() - 1) + " but the model has " + outputs() + " outputs");
        }
        if (data.isClassification() && data.classNames() == null && schema.classNames() != null) {
            // numbers taken as positions among names would score the wrong classes without a word
            throw new IncompatibleModelException(data.name() + ": its labels are numbers, but the model's classes are named ("
                    + String.join(", ", schema.classNames().stream().map(dev.clprop.error.Quote::clean).toList()) + "); give the labels by name");
        }
        return data.withClassesOf(schema.classNames());
    }

    /** The figures of {@code outputs} (rows × outputs, in target units) on data made {@link #scorable}, named as the model names them. */
    Metrics score(Dataset named, float[] outputs) {
        Metrics m = Metrics.of(named, loss, outputs, outputs());
        List<String> names = m.isClassification() ? schema.classNames() : schema.targetNames();
        return m.names() == null && names != null && names.size() == outputs() ? m.withNames(names) : m;
    }

    /**
     * The data with its columns matched to the model's by name, when both know their names (a CSV with
     * its columns in another order gives the in-order result), else by position; then its width checked.
     */
    private Dataset matched(Dataset data) {
        Dataset d = data.withColumnsOf(schema.featureNames(), schema.targetNames(), "the model");
        checkWidth(d);
        return d;
    }

    private void checkWidth(Dataset data) {
        if (data.featureCount() != inputs()) {
            throw new IncompatibleModelException(data.name() + ": has " + data.featureCount() + " feature columns but the model "
                    + architecture() + " takes " + inputs() + " inputs");
        }
    }

    /**
     * Whether two models compute the same numbers: bit-identical parameters, the same loss and
     * standardization ({@link #schema()}, which only names things, is not compared).
     */
    public boolean sameAs(Model o) {
        return parameters.bitwiseEquals(o.parameters) && loss == o.loss
                && (standardizer == null ? o.standardizer == null : o.standardizer != null
                && java.util.Arrays.equals(standardizer.shift(), o.standardizer.shift())
                && java.util.Arrays.equals(standardizer.scale(), o.standardizer.scale()));
    }

    @Override
    public String toString() {
        return "Model(" + architecture() + ", " + loss + (standardizer != null ? ", standardized" : "") + ")";
    }
}
