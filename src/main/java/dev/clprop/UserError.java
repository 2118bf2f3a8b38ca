package dev.clprop;

/**
 * A problem with what the user asked for or gave us (a file, a value, an option).
 * The command line prints its message as one line and exits with status 2, without a stack trace,
 * so the message must name the file, line or value at fault.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
