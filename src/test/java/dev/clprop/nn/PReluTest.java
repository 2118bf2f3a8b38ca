package dev.clprop.nn;

import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.Parameters;
import dev.clprop.model.TorchNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prelu, the layer kind that is one class: PyTorch's numbers on both paths, its names, and the way a user
 * meets it (the grammar, a saved model). The gradient check, ONNX Runtime's check, the self-test and the
 * fault tests reach it as a registered kind.
 */
class PReluTest {
    @TempDir
    Path dir;

    // torch.nn.PReLU(3) in float64 with weight [0.25, -0.5, 1.5] on x, and autograd of y with upstream gradient g
    static final float[] X = {-2f, 0.5f, -1f, 3f, -4f, 0f}, SLOPE = {0.25f, -0.5f, 1.5f}, G = {1f, 2f, -1f, 0.5f, -3f, 4f};
    static final float[] Y = {-0.5f, 0.5f, -1.5f, 3f, 2f, 0f}, DX = {0.25f, 2f, -1.5f, 0.5f, 1.5f, 6f}, DSLOPE = {-2f, 12f, 1f};

    @Test
    void forwardAndBackwardArePyTorchsOnBothPaths() {
        for (Backend b : new Backend[]{new EjmlBackend(), OpenClDevices.backend()}) {
            try (b; Tensor x = b.allocate(3, 3); Tensor slope = b.allocate(1, 3); Tensor y = b.allocate(3, 3); Tensor g = b.allocate(3, 3);
                 Tensor dx = b.allocate(3, 3); Tensor ds = b.allocate(1, 3)) {
                // a third row beyond m = 2, which no op may touch
                b.upload(x, new float[]{-2f, 0.5f, -1f, 3f, -4f, 0f, 9f, 9f, 9f});
                b.upload(slope, SLOPE);
                b.upload(g, new float[]{1f, 2f, -1f, 0.5f, -3f, 4f, 7f, 7f, 7f});
                b.run(PRelu.FORWARD, new Tensor[]{x, slope, y}, 2);
                b.run(PRelu.BACKWARD, new Tensor[]{g, x, slope, dx, ds}, 2);
                float[] yv = new float[9], dxv = new float[9], dsv = new float[3];
                b.download(y, yv);
                b.download(dx, dxv);
                b.download(ds, dsv);
                assertArrayEquals(new float[]{-0.5f, 0.5f, -1.5f, 3f, 2f, 0f, 0f, 0f, 0f}, yv, b.name() + ": y");
                assertArrayEquals(new float[]{0.25f, 2f, -1.5f, 0.5f, 1.5f, 6f, 0f, 0f, 0f}, dxv, b.name() + ": dx (at x = 0 the slope, as PyTorch)");
                assertArrayEquals(DSLOPE, dsv, b.name() + ": dslope");
                // the first layer has no input gradient: the slope's alone
                b.run(PRelu.BACKWARD, new Tensor[]{g, x, slope, null, ds}, 2);
                b.download(ds, dsv);
                assertArrayEquals(DSLOPE, dsv, b.name() + ": dslope without dx");
            }
        }
    }

    @Test
    void itIsAKindOfItsOwnInTheGrammarFilesAndPyTorchsNames() {
        assertTrue(LayerSpec.registeredKinds().contains(new PRelu()), "registered in META-INF/services");
        Architecture a = Architecture.parse("4,3:linear,prelu,2:softmax");
        assertEquals(new PRelu(), a.layers().get(1));
        assertEquals("4,3:linear,prelu,2:softmax", a.spelling());
        assertEquals("nn.Sequential(nn.Linear(4, 3), nn.PReLU(3), nn.Linear(3, 2), nn.Softmax(dim=1))", TorchNames.sequential(a));
        // its slope is the second parameterised layer's: the output layer's weights are W3
        assertEquals(List.of("W1", "b1", "slope2", "W3", "b3"), a.parameterShapes().stream().map(s -> s.name()).toList());
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "2.weight", "2.bias"), List.copyOf(TorchNames.of(a).values()));
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Architecture.parse("4,prelu:2,2:softmax"));
        assertEquals("architecture '4,prelu:2,2:softmax' is malformed: layer 1 'prelu:2': prelu takes no fields", e.getMessage());
    }

    @Test
    void aModelWithPreluSavesLoadsAndPredictsAsBefore() {
        Architecture a = Architecture.parse("4,3:tanh,prelu,2:softmax");
        Parameters p = Parameters.initialise(a, 3);
        assertArrayEquals(new float[]{0.25f, 0.25f, 0.25f}, p.get("slope2"), "PyTorch's starting slope");
        p.get("slope2")[1] = -0.7f;
        Model m = Model.of(p, Loss.CROSS_ENTROPY, null, null);
        Path f = dir.resolve("p.npz");
        m.save(f);
        Model back = Model.load(f);
        assertEquals(a, back.architecture());
        float[] row = {0.3f, -1.2f, 2f, 0.1f};
        assertArrayEquals(m.predict(row), back.predict(row));
    }
}
