package dev.clprop.data;

/**
 * What a data source provides: training rows; a test set where the source defines one (MNIST's t10k
 * files, the bundled digits' fixed split, a CSV test file), else null; and validation rows when they
 * were given as a file of their own, else null.
 */
public record DataSplit(String name, Dataset train, Dataset test, Dataset validation) {
    /** A split without separate validation rows. */
    public DataSplit(String name, Dataset train, Dataset test) {
        this(name, train, test, null);
    }

    /**
     * The share of the training rows to hold out for validation when the user does not say: 0.1 for
     * sources with a test set of their own (they are big enough to spare it), none otherwise, and
     * none when validation rows were given.
     */
    public double defaultValidationFraction() {
        return test != null && validation == null ? 0.1 : 0.0;
    }
}
