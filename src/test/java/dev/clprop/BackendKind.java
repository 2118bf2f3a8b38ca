package dev.clprop;

import dev.clprop.backend.Backend;
import dev.clprop.backend.reference.EjmlBackend;

/** The two paths every behavioural test runs on. */
public enum BackendKind {
    EJML, OPENCL;

    public Backend open() {
        return this == EJML ? new EjmlBackend() : OpenClDevices.backend();
    }
}
