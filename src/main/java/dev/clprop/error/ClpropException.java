package dev.clprop.error;

/**
 * Base of every exception clprop throws on purpose. Its message is one line that names the file,
 * row, setting or value at fault, in the library's own terms. When the fault lies with a setting,
 * {@link #setting()} names it (as the builder method that sets it, e.g. {@code batchSize}) and
 * {@link #problem()} is the message without that name, so a front end can name its own spelling of
 * it: the command line prints {@code --batch must be a positive integer, got 0} and exits with 2.
 */
public class ClpropException extends RuntimeException {
    /** The setting at fault, or null. */
    private final String setting;
    /** The message without the setting's name. */
    private final String problem;

    /** A fault that is no setting's; {@code message} is one line naming the file, row or value. */
    public ClpropException(String message) {
        this(message, (Throwable) null);
    }

    /** As {@link #ClpropException(String)}, with the underlying cause. */
    public ClpropException(String message, Throwable cause) {
        super(message, cause);
        this.setting = null;
        this.problem = message;
    }

    /** A fault with a setting: the message is {@code setting + " " + problem}. */
    protected ClpropException(String setting, String problem, Throwable cause) {
        super(setting + " " + problem, cause);
        this.setting = setting;
        this.problem = problem;
    }

    /** The setting at fault, or null when the fault is not a setting's. */
    public String setting() {
        return setting;
    }

    /** The message without the setting's name in front (the whole message when there is no setting). */
    public String problem() {
        return problem;
    }
}
