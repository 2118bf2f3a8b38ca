package dev.clprop.train;

import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;

/** The parity tests' networks and data, for tests in other packages (Spark's) that compare with them. */
public final class TrainingParityTestAccess {
    private TrainingParityTestAccess() {
    }

    public static String specFor(Loss loss) {
        return TrainingParityTest.specFor(loss);
    }

    /** 45 rows for {@link #specFor}'s network, seed 5. */
    public static Dataset dataFor(Loss loss) {
        return TrainingParityTest.dataFor(loss, Architecture.parse(specFor(loss)), 5);
    }
}
