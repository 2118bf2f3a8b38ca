package dev.clprop.train;

import dev.clprop.model.DataSchema;

/**
 * Training rows held elsewhere (a cluster's executors), with the {@link StepRunner} that trains on
 * them where they lie; {@link dev.clprop.Trainer#fit(DistributedData)} drives it. Rows are numbered
 * 0..rows()−1 in a fixed order, the order the equivalent local dataset has.
 */
public interface DistributedData {
    /** For messages, e.g. "spark local[2]: 1294 rows in 2 partitions". */
    String name();

    int rows();

    /** Column and class names, or {@link DataSchema#UNKNOWN}. */
    DataSchema schema();

    /** Identifies the rows, as a checkpoint records its data. */
    String fingerprint();

    /** A runner over these rows for one run; the caller closes it. */
    StepRunner runner(RunConfig cfg, TrainingListener listener);
}
