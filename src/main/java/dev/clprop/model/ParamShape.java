package dev.clprop.model;

/**
 * One parameter tensor of a layer: its name in model files (W1, b1, ...), and its shape as a
 * rows×cols matrix on a device. A vector (a bias) is one row, stored in files as shape (cols,).
 */
public record ParamShape(String name, int rows, int cols, boolean vector) {
    /** A weight matrix (rows = outputs, cols = inputs). */
    public static ParamShape matrix(String name, int rows, int cols) {
        return new ParamShape(name, rows, cols, false);
    }

    /** A bias vector. */
    public static ParamShape vector(String name, int length) {
        return new ParamShape(name, 1, length, true);
    }

    /** Elements: rows × cols. */
    public int size() {
        return rows * cols;
    }

    /** The shape as numpy sees it in a model file. */
    public int[] fileShape() {
        return vector ? new int[]{cols} : new int[]{rows, cols};
    }
}
