package dev.clprop.train;

import dev.clprop.DelegatingBackend;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;

/** A faulty device for tests: its forward GEMM is off by 1e-3 in one element. */
final class FaultyGemmBackend extends DelegatingBackend {
    FaultyGemmBackend(Backend inner) {
        super(inner);
    }

    @Override
    public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
        inner.gemmForward(a, w, out, m);
        perturb(out, 0, 1e-3f);
    }
}
