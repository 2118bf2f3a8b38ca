package dev.clprop.error;

/** A compute device that cannot be used: missing, failing its self-test, or faulting during a run. */
public class DeviceException extends ClpropException {
    public DeviceException(String message) {
        super(message);
    }

    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }

    protected DeviceException(String setting, String problem, Throwable cause) {
        super(setting, problem, cause);
    }
}
