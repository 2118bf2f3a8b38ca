package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;

import java.util.List;
import java.util.Random;

/**
 * A dense layer: {@code z = a_prev · Wᵀ + b}, {@code a = f(z)}, with W of shape (units, in) and b of
 * shape (units) (PyTorch's {@code nn.Linear} layout). Written {@code units:activation[:nobias]}.
 */
public record DenseSpec(int units, Activation activation, boolean bias) implements LayerSpec {
    /** Checks the layer: at least one unit, an activation. */
    public DenseSpec {
        if (units <= 0) throw new InvalidSettingException("units", "must be a positive integer, got " + units);
        if (activation == null) throw new InvalidSettingException("activation", "must be given");
    }

    /** {@code units:activation[:nobias]}: read last, whatever the other kinds did not claim. */
    static LayerSpec parse(SpecElement e) {
        String[] f = e.fields();
        if (f.length < 2 || f.length > 3) throw e.malformed("is not units:activation[:nobias]");
        int units = e.positive(0, "units");
        Activation act = Activation.parse(f[1]);
        if (f.length == 3 && !f[2].equals("nobias")) throw e.malformed(": the third field may only be 'nobias'");
        return new DenseSpec(units, act, f.length == 2);
    }

    @Override
    public String spelling() {
        return units + ":" + activation.spelling() + (bias ? "" : ":nobias");
    }

    @Override
    public int outputWidth(int inputWidth) {
        return units;
    }

    @Override
    public List<ParamShape> parameterShapes(int inputWidth, int ordinal) {
        ParamShape w = ParamShape.matrix("W" + ordinal, units, inputWidth);
        return bias ? List.of(w, ParamShape.vector("b" + ordinal, units)) : List.of(w);
    }

    /**
     * He normal, N(0, 2/in), for the activations that {@link Activation#wantsHeInit} (the rectifiers and their smooth forms); Xavier uniform, U(±√(6/(in+out))), for the rest.
     * Biases start at zero and draw nothing.
     */
    @Override
    public void initialise(List<float[]> parameters, int inputWidth, Random rng) {
        float[] w = parameters.get(0);
        if (activation.wantsHeInit()) {
            double std = Math.sqrt(2.0 / inputWidth);
            for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * std);
        } else {
            double a = Math.sqrt(6.0 / (inputWidth + units));
            for (int i = 0; i < w.length; i++) w[i] = (float) ((rng.nextDouble() * 2 - 1) * a);
        }
    }

    @Override
    public List<String> torchModules(int inputWidth) {
        String linear = "nn.Linear(" + inputWidth + ", " + units + (bias ? "" : ", bias=False") + ")";
        String act = activation.torchModule();
        return act == null ? List.of(linear) : List.of(linear, act);
    }

    @Override
    public List<String> torchParameters() {
        return bias ? List.of("0.weight", "0.bias") : List.of("0.weight");
    }

    /** {@code Gemm(x, W, b)} with W transposed ({@code nn.Linear}), then the activation's nodes. */
    @Override
    public List<OnnxNode> onnxNodes(int inputWidth, List<ParamShape> parameters, List<ParamShape> buffers) {
        List<String> in = new java.util.ArrayList<>(List.of(OnnxNode.INPUT, OnnxNode.state(parameters.get(0).name())));
        if (bias) in.add(OnnxNode.state(parameters.get(1).name()));
        OnnxNode gemm = new OnnxNode("Gemm", List.copyOf(in), java.util.Map.of()).with("transB", 1L);
        return OnnxNode.chain(List.of(gemm), activation.onnxNodes());
    }

    /** {@code f(a·Wᵀ + b)}, softmax row by row (shifted by the row's maximum), the rest by {@link Activation#exact}. */
    @Override
    public double[] exactForward(double[] a, int rows, int inputWidth, List<double[]> parameters) {
        double[] w = parameters.get(0), b = bias ? parameters.get(1) : null, z = new double[rows * units];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < units; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < inputWidth; i++) s += a[r * inputWidth + i] * w[o * inputWidth + i];
                z[r * units + o] = s;
            }
            if (activation == Activation.SOFTMAX) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int o = 0; o < units; o++) max = Math.max(max, z[r * units + o]);
                for (int o = 0; o < units; o++) sum += Math.exp(z[r * units + o] - max);
                for (int o = 0; o < units; o++) z[r * units + o] = Math.exp(z[r * units + o] - max) / sum;
            } else {
                for (int o = 0; o < units; o++) z[r * units + o] = activation.exact(z[r * units + o]);
            }
        }
        return z;
    }

    @Override
    public String toString() {
        return spelling();
    }
}
