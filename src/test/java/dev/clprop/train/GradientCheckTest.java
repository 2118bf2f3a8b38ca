package dev.clprop.train;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.backend.Backend;
import dev.clprop.backend.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.Loss;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Optimizer;
import dev.clprop.model.Parameters;
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
        Activation[] hidden = {Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.LEAKY_RELU, Activation.LINEAR};
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
        NetworkSpec spec = NetworkSpec.parse(IN + "," + HIDDEN + ":" + hidden + nb + "," + OUT + ":" + output + nb);
        Parameters p = Parameters.initialise(spec, rng.nextLong());
        if (bias) {
            for (int l = 0; l < spec.depth(); l++) {
                float[] b = randomArray(spec.layer(l).out(), 0.3);
                System.arraycopy(b, 0, p.bias(l), 0, b.length);
            }
        }
        float[] x = randomArray(M * IN, 1.5);
        float[] y = new float[M * OUT];
        for (int r = 0; r < M; r++) {
            for (int j = 0; j < OUT; j++) {
                y[r * OUT + j] = switch (loss) {
                    case CROSS_ENTROPY -> 0f;
                    case BCE -> rng.nextBoolean() ? 1f : (float) rng.nextDouble();
                    default -> (float) (rng.nextDouble() * 2 - 1);
                };
            }
            if (loss == Loss.CROSS_ENTROPY) y[r * OUT + rng.nextInt(OUT)] = 1f;
        }

        Parameters analytic;
        try (Backend b = kind.open();
             Network net = new Network(b, spec, loss, Optimizer.of(Optimizer.Kind.SGD, 0.1f), M);
             Tensor tx = b.allocate(M, IN); Tensor ty = b.allocate(M, OUT)) {
            net.setParameters(p);
            b.upload(tx, x);
            b.upload(ty, y);
            net.forward(tx, M);
            net.backward(tx, ty, M);
            analytic = net.gradients();
            double lossOnDevice = net.takeLossSum();
            double lossF64 = lossF64(spec, toDouble(p), x, y, loss);
            assertTrue(Math.abs(lossOnDevice - lossF64) <= 1e-5 + 1e-4 * Math.abs(lossF64), "loss " + lossOnDevice + " vs float64 " + lossF64);
        }

        double[][][] params = toDouble(p);
        for (int l = 0; l < spec.depth(); l++) {
            for (int kindOfParam = 0; kindOfParam < 2; kindOfParam++) {
                double[] target = params[kindOfParam][l];
                if (target == null) continue;
                float[] grad = kindOfParam == 0 ? analytic.weights(l) : analytic.bias(l);
                for (int i = 0; i < target.length; i++) {
                    double keep = target[i];
                    target[i] = keep + H;
                    double up = lossF64(spec, params, x, y, loss);
                    target[i] = keep - H;
                    double down = lossF64(spec, params, x, y, loss);
                    target[i] = keep;
                    double numeric = (up - down) / (2 * H);
                    double diff = Math.abs(numeric - grad[i]);
                    assertTrue(diff <= ATOL + RTOL * Math.abs(numeric), String.format("%s%d[%d]: backprop %.8g, finite difference %.8g",
                            kindOfParam == 0 ? "dW" : "db", l + 1, i, grad[i], numeric));
                }
            }
        }
    }

    static double[][][] toDouble(Parameters p) {
        int L = p.spec().depth();
        double[][][] out = new double[2][L][];
        for (int l = 0; l < L; l++) {
            out[0][l] = toDouble(p.weights(l));
            out[1][l] = p.bias(l) == null ? null : toDouble(p.bias(l));
        }
        return out;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** The loss by the definitions alone, in float64. */
    static double lossF64(NetworkSpec spec, double[][][] params, float[] x, float[] y, Loss loss) {
        int m = x.length / spec.inputs();
        double[] a = toDouble(x);
        for (int l = 0; l < spec.depth(); l++) {
            LayerSpec ls = spec.layer(l);
            double[] z = new double[m * ls.out()];
            for (int r = 0; r < m; r++) {
                for (int o = 0; o < ls.out(); o++) {
                    double s = params[1][l] == null ? 0 : params[1][l][o];
                    for (int i = 0; i < ls.in(); i++) s += a[r * ls.in() + i] * params[0][l][o * ls.in() + i];
                    z[r * ls.out() + o] = s;
                }
                if (ls.activation() == Activation.SOFTMAX) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int o = 0; o < ls.out(); o++) max = Math.max(max, z[r * ls.out() + o]);
                    for (int o = 0; o < ls.out(); o++) sum += Math.exp(z[r * ls.out() + o] - max);
                    for (int o = 0; o < ls.out(); o++) z[r * ls.out() + o] = Math.exp(z[r * ls.out() + o] - max) / sum;
                } else {
                    for (int o = 0; o < ls.out(); o++) z[r * ls.out() + o] = f(ls.activation(), z[r * ls.out() + o]);
                }
            }
            a = z;
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
            };
        }
        return switch (loss) {
            case HALF_SSE -> sum;
            case MSE, BCE -> sum / (m * n);
            case CROSS_ENTROPY -> sum / m;
        };
    }

    static double f(Activation act, double z) {
        return switch (act) {
            case SIGMOID -> 1 / (1 + Math.exp(-z));
            case TANH -> Math.tanh(z);
            case RELU -> Math.max(0, z);
            case LEAKY_RELU -> z > 0 ? z : 0.01 * z;
            case LINEAR -> z;
            case SOFTMAX -> throw new IllegalArgumentException();
        };
    }
}
