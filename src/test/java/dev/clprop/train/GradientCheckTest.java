package dev.clprop.train;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.nn.DeviceNetwork;
import dev.clprop.nn.Pass;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backprop against central finite differences of the loss, the loss evaluated by an independent
 * float64 forward pass written from the formulas. Every hidden activation × output activation × loss
 * that the model allows, with and without bias, on both paths.
 */
class GradientCheckTest extends ClpropTestBase {
    static final double H = 1e-6;
    static final double ATOL = 2e-5, RTOL = 2e-3;
    static final int M = 5, IN = 3, HIDDEN = 4, OUT = 3;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        // every element-wise activation, a new one included; its float64 definition is Activation.exact
        Activation[] hidden = java.util.Arrays.stream(Activation.values()).filter(a -> a != Activation.SOFTMAX).toArray(Activation[]::new);
        for (BackendKind kind : BackendKind.values()) {
            for (Loss loss : Loss.values()) {
                List<Activation> outputs = switch (loss) {
                    case CROSS_ENTROPY -> List.of(Activation.SOFTMAX);
                    case BCE -> List.of(Activation.SIGMOID);
                    default -> List.of(Activation.values());
                };
                for (Activation o : outputs) {
                    for (Activation h : hidden) {
                        for (boolean bias : new boolean[]{true, false}) out.add(Arguments.of(kind, loss, h, o, bias));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} hidden={2} output={3} bias={4}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(BackendKind kind, Loss loss, Activation hidden, Activation output, boolean bias) {
        String nb = bias ? "" : ":nobias";
        check(kind, loss, Architecture.parse(IN + "," + HIDDEN + ":" + hidden + nb + "," + OUT + ":" + output + nb));
    }

    /** Layer and batch normalization, alone and among dense layers. */
    static Stream<Arguments> layerNormCases() {
        List<Arguments> out = new ArrayList<>();
        for (BackendKind kind : BackendKind.values()) {
            for (Loss loss : Loss.values()) {
                String last = loss == Loss.CROSS_ENTROPY ? "softmax" : loss == Loss.BCE ? "sigmoid" : "linear";
                // layernorm first (no input gradient), between layers, and before the output layer
                for (String spec : new String[]{IN + ",layernorm," + OUT + ":" + last, IN + "," + HIDDEN + ":tanh,layernorm," + OUT + ":" + last,
                        IN + "," + HIDDEN + ":gelu,layernorm,5:relu,layernorm," + OUT + ":" + last,
                        IN + ",batchnorm," + OUT + ":" + last, IN + "," + HIDDEN + ":tanh,batchnorm," + OUT + ":" + last,
                        IN + "," + HIDDEN + ":silu,batchnorm,5:relu,layernorm," + OUT + ":" + last}) {
                    out.add(Arguments.of(kind, loss, spec));
                }
                // every kind registered as a service (a new one included): first, and between dense layers
                for (LayerSpec k : LayerSpec.registeredKinds()) {
                    out.add(Arguments.of(kind, loss, IN + "," + k.spelling() + "," + OUT + ":" + last));
                    out.add(Arguments.of(kind, loss, IN + "," + HIDDEN + ":tanh," + k.spelling() + "," + OUT + ":" + last));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("layerNormCases")
    void layerNormGradientMatchesFiniteDifferences(BackendKind kind, Loss loss, String spec) {
        check(kind, loss, Architecture.parse(spec));
    }

    private void check(BackendKind kind, Loss loss, Architecture spec) {
        Parameters p = Parameters.initialise(spec, rng.nextLong());
        for (ParamShape s : spec.parameterShapes()) {
            if (!s.vector()) continue;
            // biases, and layernorm's scale and shift, away from their starting values
            float[] b = randomArray(s.cols(), 0.3);
            if (s.name().startsWith("gamma")) for (int i = 0; i < b.length; i++) b[i] += 1;
            System.arraycopy(b, 0, p.get(s.name()), 0, b.length);
        }
        float[] x = randomArray(M * IN, 1.5);
        float[] y = new float[M * OUT];
        for (int r = 0; r < M; r++) {
            for (int j = 0; j < OUT; j++) {
                y[r * OUT + j] = switch (loss) {
                    case CROSS_ENTROPY -> 0f;
                    case BCE -> rng.nextBoolean() ? 1f : (float) rng.nextDouble();
                    // both of Huber's branches: errors beyond delta = 1 and within it
                    case HUBER -> (float) (rng.nextDouble() * 6 - 3);
                    default -> (float) (rng.nextDouble() * 2 - 1);
                };
            }
            if (loss == Loss.CROSS_ENTROPY) y[r * OUT + rng.nextInt(OUT)] = 1f;
        }

        Parameters analytic;
        try (Backend b = kind.open();
             DeviceNetwork net = new DeviceNetwork(b, spec, loss, Optimizer.sgd(0.1f), M, 0);
             Tensor tx = b.allocate(M, IN); Tensor ty = b.allocate(M, OUT)) {
            net.setParameters(p);
            b.upload(tx, x);
            b.upload(ty, y);
            net.forward(tx, M, Pass.training(0, 1));
            net.backward(tx, ty, M, Pass.training(0, 1));
            analytic = net.gradients();
            double lossOnDevice = net.takeLossSum();
            double lossF64 = lossF64(spec, toDouble(p), x, y, loss);
            assertTrue(Math.abs(lossOnDevice - lossF64) <= 1e-5 + 1e-4 * Math.abs(lossF64), "loss " + lossOnDevice + " vs float64 " + lossF64);
        }

        java.util.Map<String, double[]> params = toDouble(p);
        for (ParamShape s : spec.parameterShapes()) {
            {
                double[] target = params.get(s.name());
                float[] grad = analytic.get(s.name());
                for (int i = 0; i < target.length; i++) {
                    double keep = target[i];
                    target[i] = keep + H;
                    double up = lossF64(spec, params, x, y, loss);
                    target[i] = keep - H;
                    double down = lossF64(spec, params, x, y, loss);
                    target[i] = keep;
                    double numeric = (up - down) / (2 * H);
                    double diff = Math.abs(numeric - grad[i]);
                    assertTrue(diff <= ATOL + RTOL * Math.abs(numeric), String.format("d%s[%d]: backprop %.8g, finite difference %.8g",
                            s.name(), i, grad[i], numeric));
                }
            }
        }
    }

    static java.util.Map<String, double[]> toDouble(Parameters p) {
        java.util.Map<String, double[]> out = new java.util.LinkedHashMap<>();
        for (ParamShape s : p.shapes()) out.put(s.name(), toDouble(p.get(s.name())));
        return out;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** The loss by the definitions alone, in float64. */
    static double lossF64(Architecture spec, java.util.Map<String, double[]> params, float[] x, float[] y, Loss loss) {
        int m = x.length / spec.inputs();
        double[] a = toDouble(x);
        int width = spec.inputs(), ordinal = 0;
        for (LayerSpec layer : spec.layers()) {
            if (layer.hasParameters()) ordinal++;
            List<double[]> values = new ArrayList<>();
            for (ParamShape s : layer.parameterShapes(width, ordinal)) values.add(params.get(s.name()));
            a = layer.exactForward(a, m, width, values);
            width = layer.outputWidth(width);
        }
        int n = spec.outputs();
        double sum = 0;
        for (int i = 0; i < m * n; i++) {
            double p = a[i], t = y[i];
            sum += switch (loss) {
                case HALF_SSE -> 0.5 * (t - p) * (t - p);
                case MSE -> (t - p) * (t - p);
                case BCE -> -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
                case CROSS_ENTROPY -> -t * Math.log(p);
                case HUBER -> Math.abs(p - t) < 1 ? 0.5 * (p - t) * (p - t) : Math.abs(p - t) - 0.5;
            };
        }
        return switch (loss) {
            case HALF_SSE -> sum;
            case MSE, BCE, HUBER -> sum / (m * n);
            case CROSS_ENTROPY -> sum / m;
        };
    }

}
