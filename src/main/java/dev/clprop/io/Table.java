package dev.clprop.io;

/**
 * Raw numeric rows as read from a file, before columns are split into inputs and targets.
 * {@code lines[r]} is the 1-based line of row r in its file, for error messages.
 */
public record Table(String source, float[] values, int rows, int cols, int[] lines) {
    public float get(int r, int c) {
        return values[r * cols + c];
    }
}
