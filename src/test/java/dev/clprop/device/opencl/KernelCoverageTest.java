package dev.clprop.device.opencl;

import dev.clprop.ClpropTestBase;
import dev.clprop.OpenClDevices;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.model.Activation;
import dev.clprop.train.DeviceSelfTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every kernel of both GEMM families, and of the packed variant, launched at least once on small shapes
 * and checked against EJML: the device self-test (every op of a training step, compared op by op) on a
 * backend of each configuration, plus the one-row forward product that prediction of a single input
 * takes. Small enough for a simulator: scripts/test runs this class under Oclgrind with its race and API
 * checks on, where any diagnostic fails the run.
 */
class KernelCoverageTest extends ClpropTestBase {
    /** The configurations whose kernels together are every kernel clprop has. */
    static List<GemmConfig> configurations(DeviceInfo d) {
        GemmConfig.Vector v = GemmConfig.vectorDefaultFor(d);
        // packFromK 1 packs every product, so the panel kernels run on the self-test's small shapes
        GemmConfig.Vector packed = new GemmConfig.Vector(v.vw(), v.ntRm(), v.ntRn(), v.nnRm(), v.nnCv(), 1);
        return List.of(GemmConfig.tiledDefaultFor(d), v, packed);
    }

    @Test
    void everyKernelOfEveryConfigurationRunsAndAgreesWithEjml() {
        DeviceInfo d = OpenClDevices.device();
        Set<String> built = new TreeSet<>(), launched = new TreeSet<>();
        for (GemmConfig g : configurations(d)) {
            try (OpenClBackend b = new OpenClBackend(d, g)) {
                DeviceSelfTest.check(b);
                oneRowForward(b);
                built.addAll(b.kernelNames());
                launched.addAll(b.verifiedKernels());
            }
        }
        assertEquals(built, launched, "kernels built but never launched");
        for (String family : List.of("gemm", "gemm_nt", "gemm_nn", "gemm_pack_a", "gemm_pack_b", "gemm_pack_bt", "gemm_packed")) {
            assertEquals(true, built.contains(family), family + " is in no configuration: " + built);
        }
    }

    /**
     * out(1×n) = act(x·Wᵀ + b) for a single input row, as Model.predict of one row runs it (the dense
     * layer's forward op, which the vector GEMM forms as W·x with the bias along its rows), and as its two
     * unfused ops.
     */
    void oneRowForward(OpenClBackend b) {
        int n = 7, k = 19;
        float[] x = randomArray(k, 1), w = randomArray(n * k, 1), bias = randomArray(n, 1);
        for (boolean fused : new boolean[]{true, false}) {
            float[][] results = new float[2][];
            Backend[] both = {b, new EjmlBackend()};
            for (int i = 0; i < 2; i++) {
                Backend on = both[i];
                try (Tensor tx = on.allocate(1, k); Tensor tw = on.allocate(n, k); Tensor tb = on.allocate(1, n); Tensor out = on.allocate(1, n)) {
                    on.upload(tx, x);
                    on.upload(tw, w);
                    on.upload(tb, bias);
                    if (fused) {
                        on.denseForward(tx, tw, tb, Activation.TANH, out, 1);
                    } else {
                        on.gemmForward(tx, tw, out, 1);
                        on.biasActivation(out, tb, Activation.TANH, 1);
                    }
                    results[i] = new float[n];
                    on.download(out, results[i]);
                }
            }
            both[1].close();
            assertClose(Tolerance.gemm(k), results[0], results[1], "one-row forward" + (fused ? "" : ", unfused,") + " on " + b.gemmConfig());
        }
    }
}
