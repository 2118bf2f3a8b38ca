package dev.clprop.error;

/** A compute device that cannot be used: missing, failing its self-test, or faulting during a run. */
public class DeviceException extends ClpropException {
    /** A device that failed or disagreed with the reference; {@code message} names it. */
    public DeviceException(String message) {
        super(message);
    }

    /** As {@link #DeviceException(String)}, with the underlying cause. */
    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A device fault that a setting names (the device choice). */
    protected DeviceException(String setting, String problem, Throwable cause) {
        super(setting, problem, cause);
    }
}
