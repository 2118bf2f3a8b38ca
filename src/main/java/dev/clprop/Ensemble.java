package dev.clprop;

import dev.clprop.data.Dataset;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.metrics.Metrics;

import java.util.List;
import java.util.Objects;

/**
 * Several models of the same inputs and outputs used as one: each predicts, and their outputs are
 * averaged (class probabilities for classifiers, values in target units for regression), as an ensemble of
 * seeds or settings is usually combined. Each member applies its own standardization and target scaling.
 * The first model's names (features, classes, targets) are the ensemble's; the others must have the same.
 * Immutable, like its models.
 */
public final class Ensemble {
    private final List<Model> members;

    private Ensemble(List<Model> members) {
        this.members = members;
    }

    /**
     * An ensemble of {@code models}, checked to agree: the same input and output widths, task, loss, and
     * names of features, classes and targets.
     *
     * @param models one model or more
     * @return the ensemble
     * @throws IncompatibleModelException naming the first model that does not agree with the first
     */
    public static Ensemble of(List<Model> models) {
        if (models == null || models.isEmpty()) throw new InvalidInputException("an ensemble needs one model or more");
        Model first = models.get(0);
        for (int i = 1; i < models.size(); i++) {
            Model m = models.get(i);
            String why = m.inputs() != first.inputs() ? m.inputs() + " inputs, not " + first.inputs()
                    : m.outputs() != first.outputs() ? m.outputs() + " outputs, not " + first.outputs()
                    : m.loss() != first.loss() ? "the loss " + m.loss() + ", not " + first.loss()
                    : !Objects.equals(m.schema(), first.schema()) ? "other names of features, classes or targets"
                    : null;
            if (why != null) throw new IncompatibleModelException("model " + (i + 1) + " of the ensemble has " + why + " (as model 1 has)");
        }
        return new Ensemble(List.copyOf(models));
    }

    /** @return the models, in the order given */
    public List<Model> members() {
        return members;
    }

    /** @return the model whose names the ensemble uses (the first) */
    public Model first() {
        return members.get(0);
    }

    /**
     * The members' mean outputs for several rows, on {@code device}.
     *
     * @param rows   rows of {@link Model#inputs()} features
     * @param device where the members run
     * @return one row of outputs per input row
     */
    public float[][] predict(float[][] rows, Device device) {
        float[][] sum = null;
        for (Model m : members) {
            float[][] p = m.predict(rows, device);
            if (sum == null) sum = p;
            else for (int r = 0; r < p.length; r++) for (int j = 0; j < p[r].length; j++) sum[r][j] += p[r][j];
        }
        for (float[] row : sum) for (int j = 0; j < row.length; j++) row[j] /= members.size();
        return sum;
    }

    /**
     * The figures of the members' mean outputs on {@code data}, as {@link Model#evaluate(Dataset, Device)}
     * gives them for one model (columns and classes matched by name).
     *
     * @param data   rows with labels or targets
     * @param device where the members run
     * @return the ensemble's metrics
     */
    public Metrics evaluate(Dataset data, Device device) {
        Dataset named = first().scorable(data);
        float[] sum = null;
        for (Model m : members) {
            float[] o = m.predictFlat(named.featureMatrix(), named.rows(), device);
            if (sum == null) sum = o;
            else for (int i = 0; i < o.length; i++) sum[i] += o[i];
        }
        for (int i = 0; i < sum.length; i++) sum[i] /= members.size();
        return first().score(named, sum);
    }
}
