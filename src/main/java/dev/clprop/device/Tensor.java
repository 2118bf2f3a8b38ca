package dev.clprop.device;

/**
 * A row-major float32 matrix owned by a backend. Ops take a row count {@code m} and work on the
 * first m rows, so buffers sized for a full batch also serve the last, partial one.
 */
public interface Tensor extends AutoCloseable {
    /** Rows of the matrix. */
    int rows();

    /** Columns of the matrix. */
    int cols();

    /** Elements: rows × cols. */
    default int size() {
        return rows() * cols();
    }

    @Override
    void close();
}
