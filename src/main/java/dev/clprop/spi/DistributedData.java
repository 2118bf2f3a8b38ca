package dev.clprop.spi;

import dev.clprop.model.DataSchema;

/**
 * Training rows held elsewhere (a cluster's executors), with the {@link StepRunner} that trains on
 * them where they lie; {@link dev.clprop.Trainer#fit(DistributedData)} drives it.
 * <p><b>Contract.</b> Rows are numbered 0..rows()−1 in a fixed order, the order the equivalent local
 * dataset has, and that numbering does not change during a run. {@link #fingerprint()} identifies the
 * rows and their order (a resumed run is refused when it differs). {@link #runner} is called once per
 * run, from the thread that called {@code fit}; the runner it returns belongs to that run and is closed
 * by the caller.
 */
public interface DistributedData {
    /** For messages, e.g. "spark local[2]: 1294 rows in 2 partitions". */
    String name();

    /** Training rows in all. */
    int rows();

    /** Column and class names, or {@link DataSchema#UNKNOWN}. */
    DataSchema schema();

    /** Identifies the rows, as a checkpoint records its data. */
    String fingerprint();

    /**
     * A runner over these rows for one run; the caller closes it.
     *
     * @param cfg      the run: architecture, loss, optimizer, batch, seed and the rest
     * @param messages where to say what the runner set up (one line each), for the user
     * @return a runner whose steps equal one device's on the same rows in the same order, within the training tolerance
     */
    StepRunner runner(RunConfig cfg, java.util.function.Consumer<String> messages);

    /**
     * The rows' features standardized as {@link dev.clprop.model.Standardizer#fit} would on the same rows
     * (population mean and deviation per feature, in double), computed where the rows are. A runner
     * given a {@link RunConfig#standardizer()} trains on features transformed by it. The default refuses.
     *
     * @param arch the network the rows are read for
     */
    default dev.clprop.model.Standardizer featureStandardizer(dev.clprop.model.Architecture arch) {
        throw new dev.clprop.error.InvalidSettingException("standardize", "is not available when training on " + name());
    }

    /**
     * How many rows have each class label (0..outputs−1), for balanced class weights. The default refuses.
     *
     * @param arch the network the rows are read for
     */
    default int[] classCounts(dev.clprop.model.Architecture arch) {
        throw new dev.clprop.error.InvalidSettingException("classWeights", "balanced weights are not available when training on " + name());
    }

    /**
     * A runner that also predicts validation rows held by this process with the current weights at the end
     * of each epoch ({@link StepRunner#validationOutputs}), so that a run on these rows reports validation
     * figures and can stop early. The default takes no validation rows.
     *
     * @param validationFeatures the validation rows' features, row-major ({@code architecture().inputs()} per row, as the
     *                           run trains on them), or null for none
     */
    default StepRunner runner(RunConfig cfg, float[] validationFeatures, java.util.function.Consumer<String> messages) {
        if (validationFeatures != null) {
            throw new dev.clprop.error.InvalidSettingException("validationData", "is not available when training on " + name());
        }
        return runner(cfg, messages);
    }
}
