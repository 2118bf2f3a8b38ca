package dev.clprop.error;

/**
 * A model or checkpoint that does not fit what it is used with: another architecture, optimizer or
 * data width, or settings that would change the result of a resumed run.
 */
public class IncompatibleModelException extends ClpropException {
    /** A model that does not fit its use; {@code message} names both. */
    public IncompatibleModelException(String message) {
        super(message);
    }
}
