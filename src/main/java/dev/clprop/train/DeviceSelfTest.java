package dev.clprop.train;

import dev.clprop.UserError;
import dev.clprop.backend.Backend;
import dev.clprop.backend.Tensor;
import dev.clprop.backend.Tolerance;
import dev.clprop.backend.reference.EjmlBackend;
import dev.clprop.model.Loss;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Optimizer;
import dev.clprop.model.Parameters;

import java.util.Random;

/**
 * Before training on a device: a small GEMM of each form and one full training step are run
 * on the device and on EJML, and a device that disagrees is refused with the numbers.
 */
public final class DeviceSelfTest {
    private DeviceSelfTest() {
    }

    public static void check(Backend device) {
        try (EjmlBackend ref = new EjmlBackend(false)) {
            Random rng = new Random(7);
            int m = 19, k = 37, n = 23;
            float[] a = random(rng, m * k), w = random(rng, n * k), d = random(rng, m * n);
            float[][] got = new float[3][], want = new float[3][];
            Backend[] both = {device, ref};
            for (int which = 0; which < 2; which++) {
                Backend b = both[which];
                try (Tensor ta = b.allocate(m, k); Tensor tw = b.allocate(n, k); Tensor td = b.allocate(m, n);
                     Tensor fwd = b.allocate(m, n); Tensor bwd = b.allocate(m, k); Tensor wg = b.allocate(n, k)) {
                    b.upload(ta, a);
                    b.upload(tw, w);
                    b.upload(td, d);
                    b.gemmForward(ta, tw, fwd, m);
                    b.gemmBackwardData(td, tw, bwd, m);
                    b.gemmWeightGrad(td, ta, wg, m);
                    float[][] out = which == 0 ? got : want;
                    out[0] = new float[m * n];
                    out[1] = new float[m * k];
                    out[2] = new float[n * k];
                    b.download(fwd, out[0]);
                    b.download(bwd, out[1]);
                    b.download(wg, out[2]);
                }
            }
            String[] names = {"forward GEMM", "backward-data GEMM", "weight-gradient GEMM"};
            for (int i = 0; i < 3; i++) {
                Tolerance.Report r = Tolerance.OP.compare(got[i], want[i]);
                if (!r.ok()) refuse(device, names[i] + " " + m + "x" + n + "x" + k + ": " + r.describe());
            }
            NetworkSpec spec = NetworkSpec.parse("37,23:tanh,19:relu,5:softmax");
            Parameters p = Parameters.initialise(spec, 11);
            float[] x = random(rng, 13 * 37);
            float[] y = new float[13 * 5];
            for (int r = 0; r < 13; r++) y[r * 5 + rng.nextInt(5)] = 1f;
            Parameters[] after = new Parameters[2];
            for (int which = 0; which < 2; which++) {
                Backend b = both[which];
                try (Network net = new Network(b, spec, Loss.CROSS_ENTROPY, Optimizer.of(Optimizer.Kind.ADAM, 0.01f), 13);
                     Tensor tx = b.allocate(13, 37); Tensor ty = b.allocate(13, 5)) {
                    net.setParameters(p);
                    b.upload(tx, x);
                    b.upload(ty, y);
                    net.trainStep(tx, ty, 13);
                    after[which] = net.parameters();
                }
            }
            for (int l = 0; l < spec.depth(); l++) {
                Tolerance.Report r = Tolerance.OP.compare(after[0].weights(l), after[1].weights(l));
                if (!r.ok()) refuse(device, "one training step, W" + (l + 1) + ": " + r.describe());
            }
        }
    }

    private static void refuse(Backend device, String what) {
        throw new UserError("device self-test failed: " + device.name() + " disagrees with ejml on " + what
                + "; refusing to train on it (use --device cpu, or another device)");
    }

    private static float[] random(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextDouble() * 2 - 1);
        return v;
    }
}
