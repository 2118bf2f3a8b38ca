package dev.clprop.model;

import dev.clprop.loss.Loss;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gelu, silu and huber by their values: figures from torch 1.13 (Debian's python3-torch) in float64 (torch.nn.functional.gelu,
 * silu, their autograd derivatives, and huber_loss with delta 1), not from the code under test.
 */
class ActivationTest {
    static final double F32 = 2e-7;

    @Test
    void geluIsTheExactErfForm() {
        // torch.nn.functional.gelu(torch.tensor([-3., -0.5, 0., 1., 2.5], dtype=torch.float64))
        double[] z = {-3, -0.5, 0, 1, 2.5};
        double[] want = {-0.0040496941, -0.1542687694, 0, 0.8413447461, 2.4844758367};
        // autograd of the same: Φ(z) + z·φ(z)
        double[] slope = {-0.0119456472, 0.1325048753, 0.5, 1.0833154706, 1.0376110859};
        for (int i = 0; i < z.length; i++) {
            assertEquals(want[i], Activation.GELU.apply((float) z[i]), F32 * Math.max(1, Math.abs(want[i])) + 1e-9, "gelu(" + z[i] + ")");
            assertEquals(slope[i], Activation.GELU.derivative((float) z[i]), 1e-6, "gelu'(" + z[i] + ")");
        }
    }

    @Test
    void siluIsZTimesSigmoid() {
        double[] z = {-3, -0.5, 0, 1, 2.5};
        double[] want = {-0.1422776195, -0.1887703344, 0, 0.7310585786, 2.3103545499};
        double[] slope = {-0.0881041060, 0.2600388127, 0.5, 0.9276705119, 1.0994011113};
        for (int i = 0; i < z.length; i++) {
            assertEquals(want[i], Activation.SILU.apply((float) z[i]), 1e-6, "silu(" + z[i] + ")");
            assertEquals(slope[i], Activation.SILU.derivative((float) z[i]), 1e-6, "silu'(" + z[i] + ")");
        }
    }

    @Test
    void eluIsExpMinusOneBelowZero() {
        // torch.nn.ELU()(z) in float64 and its autograd derivative, which for z ≤ 0 is e^z = f(z) + 1
        double[] z = {-3, -0.5, 0, 1, 2.5};
        double[] want = {-0.9502129316, -0.3934693403, 0, 1, 2.5};
        double[] slope = {0.0497870684, 0.6065306597, 1, 1, 1};
        for (int i = 0; i < z.length; i++) {
            assertEquals(want[i], Activation.ELU.apply((float) z[i]), 1e-6, "elu(" + z[i] + ")");
            assertEquals(want[i], Activation.ELU.exact(z[i]), 1e-10, "elu(" + z[i] + ") in float64");
            assertEquals(slope[i], Activation.ELU.derivative(Activation.ELU.apply((float) z[i])), 1e-6, "elu'(" + z[i] + "), from the output");
        }
        assertEquals("nn.ELU()", Activation.ELU.torchModule());
        assertEquals(List.of(OnnxNode.of("Elu", OnnxNode.INPUT).with("alpha", 1f)), Activation.ELU.onnxNodes());
        assertEquals(Activation.ELU, Activation.parse("elu"));
    }

    @Test
    void onlyGeluAndSiluTakeTheirDerivativeFromTheInput() {
        for (Activation a : Activation.values()) {
            assertEquals(a == Activation.GELU || a == Activation.SILU, a.derivativeNeedsInput(), a.toString());
        }
        // the others still read it from the output: tanh' = 1 − a²
        assertEquals(1 - 0.25f, Activation.TANH.derivative(0.5f), 1e-7);
        assertThrows(IllegalStateException.class, () -> Activation.GELU.derivativeFromOutput(0.5f));
        assertTrue(Activation.GELU.wantsHeInit() && Activation.SILU.wantsHeInit());
        assertFalse(Activation.TANH.wantsHeInit());
        assertEquals(Activation.GELU, Activation.parse(" GELU "));
        assertEquals("nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3), nn.SiLU())",
                TorchNames.sequential(Architecture.parse("4,8:gelu,3:silu")));
    }

    @Test
    void huberIsSquaredWithinDeltaAndAbsoluteBeyond() {
        // torch.nn.functional.huber_loss(p, y, delta=1.0, reduction='sum') element by element
        assertEquals(0.5 * 0.25, Loss.HUBER.elementLoss(1.5f, 1f), 1e-7);
        assertEquals(2.5, Loss.HUBER.elementLoss(-2f, 1f), 1e-7, "|d| = 3: 3 − ½");
        assertEquals(0.5, Loss.HUBER.elementLoss(0f, 1f), 1e-7, "at |d| = delta both branches give ½");
        // the mean's gradient: clamp(p − y, −1, 1) / (m·n)
        assertEquals(0.5f / 6, Loss.HUBER.elementGradient(1.5f, 1f, 2, 3), 1e-8);
        assertEquals(-1f / 6, Loss.HUBER.elementGradient(-2f, 1f, 2, 3), 1e-8);
        assertEquals(1f / 6, Loss.HUBER.elementGradient(9f, 1f, 2, 3), 1e-8);
        assertEquals(3.0, Loss.HUBER.scale(18, 2, 3), 1e-12, "a mean over all elements");
        assertFalse(Loss.HUBER.sumsOverBatch());
        Loss.HUBER.checkOutput(Activation.LINEAR);
        assertEquals(Loss.HUBER, Loss.parse("huber"));
    }
}
