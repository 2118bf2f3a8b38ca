package dev.clprop.cli;

import dev.clprop.Model;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.ModelInputs;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.DataSchema;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Which CSV columns are what: shared by train, evaluate and predict. */
final class ColumnOptions {
    @Option(names = "--label", paramLabel = "NAME|N", description = {"The class label column, by header name or position (1 = first, -1 = last;",
            "default: the last column not ignored; evaluate and predict: the column the model was trained with)"})
    String label;

    @Option(names = "--ignore", paramLabel = "NAME|N", split = ",", description = "Columns to leave out (an ID, free text), by header name or position")
    List<String> ignore = new ArrayList<>();

    @Option(names = "--targets", paramLabel = "N", description = {"Regression: the last N CSV columns are real-valued targets",
            "(evaluate and predict: only for models from clprop 0.1, which do not record their task)"})
    Integer targets;

    /**
     * How to read a CSV for a trained model: its file says its task and columns; --targets only
     * tells what a clprop 0.1 model (which does not record its task) was trained for.
     */
    ModelInputs inputsFor(Model m) {
        DataSchema schema = m.schema();
        if (targets != null) {
            if (schema.task() != null) {
                throw new InvalidSettingException("targets", "is only for models from clprop 0.1; this model records that it is a " + schema.task().spelling() + " model");
            }
            if (targets != m.outputs()) throw new InvalidSettingException("targets", "is " + targets + " but the model has " + m.outputs() + " outputs");
        }
        // as clprop 0.1 did: without --targets, a label column (predict also accepts target columns)
        if (schema.task() == null && targets != null) schema = DataSchema.regression(null, null, null);
        return new ModelInputs(schema, m.inputs(), m.outputs(), ignore, label);
    }

    /** How to read a training CSV. */
    CsvOptions csv() {
        CsvOptions o = targets == null ? CsvOptions.classification() : CsvOptions.regression(targets);
        return o.label(label).ignore(ignore);
    }
}
