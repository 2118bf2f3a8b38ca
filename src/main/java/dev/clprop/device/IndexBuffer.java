package dev.clprop.device;

/** A backend-owned array of row indices, e.g. an epoch's permutation of the dataset. */
public interface IndexBuffer extends AutoCloseable {
    /** How many indices the buffer holds. */
    int length();

    @Override
    void close();
}
