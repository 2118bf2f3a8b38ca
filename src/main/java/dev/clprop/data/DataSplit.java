package dev.clprop.data;

/**
 * What a data source provides: training rows and, where the source defines one (MNIST's t10k files,
 * the bundled digits' fixed split, a CSV test file), a test set, else null.
 */
public record DataSplit(String name, Dataset train, Dataset test) {
    /**
     * The share of the training rows to hold out for validation when the user does not say: 0.1 for
     * sources with a test set of their own (they are big enough to spare it), none otherwise.
     */
    public double defaultValidationFraction() {
        return test != null ? 0.1 : 0.0;
    }
}
