package dev.clprop.device.opencl;

import dev.clprop.OpenClDevices;
import dev.clprop.device.DeviceMemory.GemmWorkspace;
import dev.clprop.device.Tensor;
import dev.clprop.model.ParamShape;
import dev.clprop.train.Lockstep;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The estimate of the packing buffers that DeviceNetwork's capacity check uses, against what the GEMMs allocate. */
class PackingWorkspaceTest {
    @Test
    void theEstimateIsWhatTheThreeProductsOfALayerAllocate() {
        int batch = 600, n = 520, k = 1100; // every product packs: K = 1100, 520 and 600
        List<ParamShape> weights = List.of(ParamShape.matrix("W0", n, k));
        try (OpenClBackend b = new OpenClBackend(OpenClDevices.device(), GemmConfig.VECTOR_DEFAULT);
             Tensor a = b.allocate(batch, k); Tensor w = b.allocate(n, k); Tensor out = b.allocate(batch, n);
             Tensor delta = b.allocate(batch, n); Tensor din = b.allocate(batch, k); Tensor dw = b.allocate(n, k)) {
            assertEquals(0, b.packingBytes());
            b.gemmForward(a, w, out, batch);
            b.gemmBackwardData(delta, w, din, batch);
            b.gemmWeightGrad(delta, a, dw, batch);
            b.finish();
            assertEquals(b.gemmWorkspace(batch, weights).bytes(), b.packingBytes());
            assertEquals(b.gemmWorkspace(batch, weights).largestBufferBytes(), b.largestPackingBuffer());
        }
    }

    @Test
    void theStandardMlpPacksTheFirstWeightGradientFromBatch64() {
        try (OpenClBackend b = new OpenClBackend(OpenClDevices.device(), GemmConfig.VECTOR_DEFAULT)) {
            List<ParamShape> mlp = List.of(ParamShape.matrix("W0", 256, 784), ParamShape.matrix("W1", 128, 256), ParamShape.matrix("W2", 10, 128));
            assertEquals(GemmWorkspace.NONE, b.gemmWorkspace(32, mlp));
            // the first layer's weight gradient packs: δ of 256 columns in 6-row panels, 784 inputs in 16-wide panels
            assertEquals(new GemmWorkspace(4L * (258 * 64 + 784 * 64), 4L * 784 * 64), b.gemmWorkspace(64, mlp));
            assertEquals(new GemmWorkspace(4L * (258 * 128 + 784 * 128), 4L * 784 * 128), b.gemmWorkspace(128, mlp));
            assertEquals(new GemmWorkspace(4L * (258 * 512 + 784 * 512), 4L * 784 * 512), b.gemmWorkspace(512, mlp));
            try (Lockstep lock = new Lockstep(b)) {
                assertEquals(b.gemmWorkspace(512, mlp), lock.backend().gemmWorkspace(512, mlp), "lockstep checks the device's working memory");
            }
        }
        try (OpenClBackend tiled = new OpenClBackend(OpenClDevices.device(), GemmConfig.TILED_SMALL)) {
            assertEquals(GemmWorkspace.NONE, tiled.gemmWorkspace(4096, List.of(ParamShape.matrix("W0", 2048, 2048))), "the tiled kernels pack nothing");
        }
    }
}
