package dev.clprop.backend.opencl;

/** No usable OpenCL: the library or a platform is missing. The message says what to install. */
public final class OpenClUnavailable extends RuntimeException {
    public OpenClUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}
