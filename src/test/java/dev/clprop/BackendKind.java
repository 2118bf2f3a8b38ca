package dev.clprop;

import dev.clprop.device.Backend;
import dev.clprop.device.reference.EjmlBackend;

/** The two paths every behavioural test runs on. */
public enum BackendKind {
    EJML, OPENCL;

    public Backend open() {
        return this == EJML ? new EjmlBackend() : OpenClDevices.backend();
    }
}
