package dev.clprop.error;

/** No usable OpenCL: the loader library or every driver is missing. The message says what to install. */
public class OpenClUnavailableException extends DeviceException {
    /** No OpenCL library, platform or device; {@code message} says what to install. */
    public OpenClUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** OpenCL was asked for by a setting (e.g. device "opencl") and is missing. */
    public OpenClUnavailableException(String setting, String problem, Throwable cause) {
        super(setting, problem, cause);
    }
}
