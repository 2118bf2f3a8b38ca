package dev.clprop.error;

/** Bad input: a malformed or inconsistent data or model file, data that does not fit the network, or a bad setting. */
public class InvalidInputException extends ClpropException {
    /** Bad input; {@code message} names the file, line or value. */
    public InvalidInputException(String message) {
        super(message);
    }

    /** As {@link #InvalidInputException(String)}, with the underlying cause. */
    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Bad input that a setting names; see {@link ClpropException#setting()}. */
    protected InvalidInputException(String setting, String problem, Throwable cause) {
        super(setting, problem, cause);
    }
}
