package dev.clprop.train;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.nn.Pass;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-worked examples of shared/golden/README.md, on both paths, to 1e-6. */
class GoldenExamplesTest extends ClpropTestBase {

    static final float[] EX1_X = {0.5f, 0.1f, 0.2f, 0.6f};
    static final float[] EX1_Y = {0.7f, 0.8f};
    static final float[] EX1_W1 = {0.5f, 0.2f, 0.6f, -0.1f, -0.4f, -0.3f};
    static final float[] EX1_W2 = {0.7f, -0.1f, 0.2f};

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void example1TwoSigmoidLayersHalfSse(BackendKind kind) {
        Architecture arch = Architecture.parse("2,3:sigmoid:nobias,1:sigmoid:nobias");
        Parameters p = params(arch, "W1", EX1_W1, "W2", EX1_W2);
        try (Backend b = kind.open();
             DeviceNetwork net = new DeviceNetwork(b, arch, Loss.HALF_SSE, Optimizer.sgd(0.1f), 2, 0);
             Tensor x = b.allocate(2, 2); Tensor y = b.allocate(2, 1)) {
            net.setParameters(p);
            b.upload(x, EX1_X);
            b.upload(y, EX1_Y);
            Pass pass = Pass.training(0, 1);
            net.forward(x, 2, pass);
            float[] a2 = new float[2];
            b.download(net.output(), a2);
            assertClose(GOLDEN_ATOL, new double[]{0.6054714371609762, 0.6044205685440485}, a2, "a2");
            net.backward(x, y, 2, pass);
            assertEquals(0.023593481600522263, net.takeLossSum(), GOLDEN_ATOL, "L");
            Parameters g = net.gradients();
            assertClose(GOLDEN_ATOL, new double[]{-0.03874805697258284, -0.03699839476027488, -0.030356222090701504}, g.get("W2"), "dL/dW2");
            assertClose(GOLDEN_ATOL, new double[]{-0.0035572614093745424, -0.0052391538341668, 0.0005100063705147738,
                    0.0007560850028096472, -0.0010169228540988656, -0.0014908487403206762}, g.get("W1"), "dL/dW1");
            net.update();
            Parameters after = net.parameters();
            assertClose(GOLDEN_ATOL, new double[]{0.7038748056972582, -0.09630016052397251, 0.20303562220907015}, after.get("W2"), "W2'");
            assertClose(GOLDEN_ATOL, new double[]{0.5003557261409375, 0.20052391538341668, 0.5999489993629485, -0.10007560850028097,
                    -0.3998983077145901, -0.2998509151259679}, after.get("W1"), "W1'");
        }
    }

    static final float[] EX2_X = {0.1f, 0.7f};
    static final float[] EX2_Y = {1f, 0f};
    static final float[] EX2_W1 = {0.1f, 0.3f, 0.2f, 0.2f, 0.3f, 0.7f};
    static final float[] EX2_B1 = {1f, 1f, 1f};
    static final float[] EX2_W2 = {0.2f, 0.3f, 0.6f, 0.3f, 0.5f, 0.4f};
    static final float[] EX2_B2 = {1f, 1f};

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void example2ReluSoftmaxCrossEntropy(BackendKind kind) {
        Architecture arch = Architecture.parse("2,3:relu,2:softmax");
        Parameters p = params(arch, "W1", EX2_W1, "b1", EX2_B1, "W2", EX2_W2, "b2", EX2_B2);
        try (Backend b = kind.open();
             DeviceNetwork net = new DeviceNetwork(b, arch, Loss.CROSS_ENTROPY, Optimizer.sgd(0.01f), 1, 0);
             Tensor x = b.allocate(1, 2); Tensor y = b.allocate(1, 2)) {
            net.setParameters(p);
            b.upload(x, EX2_X);
            b.upload(y, EX2_Y);
            Pass pass = Pass.training(0, 1);
            net.forward(x, 1, pass);
            float[] a1 = new float[3];
            b.download(net.layerOutput(0), a1);
            assertClose(GOLDEN_ATOL, new double[]{1.22, 1.16, 1.52}, a1, "z1 (= relu(z1), all positive)");
            float[] prob = new float[2];
            b.download(net.output(), prob);
            assertClose(GOLDEN_ATOL, new double[]{0.48750260351578967, 0.5124973964842104}, prob, "p");
            net.backward(x, y, 1, pass);
            assertEquals(0.7184596480132863, net.takeLossSum(), GOLDEN_ATOL, "L");
            net.update();
            Parameters after = net.parameters();
            assertClose(GOLDEN_ATOL, new double[]{0.20625246823710738, 0.3059449697992168, 0.60778996042656,
                    0.29374753176289264, 0.4940550302007832, 0.39221003957344003}, after.get("W2"), "W2'");
            assertClose(GOLDEN_ATOL, new double[]{0.09994875026035159, 0.29964125182246104, 0.19989750052070318,
                    0.19928250364492212, 0.30010249947929685, 0.7007174963550779}, after.get("W1"), "W1'");
        }
    }
}
