package dev.clprop.error;

/** Bad input: a malformed or inconsistent data or model file, data that does not fit the network, or a bad setting. */
public class InvalidInputException extends ClpropException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }

    protected InvalidInputException(String setting, String problem, Throwable cause) {
        super(setting, problem, cause);
    }
}
