package dev.clprop.model;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Layer normalization over each row's features, as PyTorch's {@code nn.LayerNorm(width, eps=1e-5)}:
 * {@code y = (x − μ) / √(σ² + ε) · γ + β} with the row's mean μ and biased variance σ², and a trainable
 * scale γ (starting at 1) and shift β (starting at 0) per feature. Written {@code layernorm}; its
 * parameters are {@code gammaN} and {@code betaN} in model files, {@code K.weight} and {@code K.bias} in PyTorch.
 */
public record LayerNormSpec() implements LayerSpec {
    /** PyTorch's default ε. */
    public static final float EPS = 1e-5f;

    /** The element in an architecture string. */
    public static final String SPELLING = "layernorm";

    /** {@code layernorm}, which takes no fields; null for another element. */
    static LayerSpec parse(SpecElement e) {
        return e.isBare(SPELLING) ? new LayerNormSpec() : null;
    }

    @Override
    public String spelling() {
        return SPELLING;
    }

    @Override
    public List<ParamShape> parameterShapes(int inputWidth, int ordinal) {
        return affine(inputWidth, ordinal);
    }

    /** A normalization's scale γ and shift β per feature ({@code gammaN}, {@code betaN}): layernorm's and batchnorm's. */
    static List<ParamShape> affine(int width, int ordinal) {
        return List.of(ParamShape.vector("gamma" + ordinal, width), ParamShape.vector("beta" + ordinal, width));
    }

    /** γ = 1 and β = 0, as PyTorch starts them; draws nothing. */
    @Override
    public void initialise(List<float[]> parameters, int inputWidth, Random rng) {
        initialiseAffine(parameters);
    }

    static void initialiseAffine(List<float[]> parameters) {
        Arrays.fill(parameters.get(0), 1f);
        Arrays.fill(parameters.get(1), 0f);
    }

    @Override
    public List<String> torchModules(int inputWidth) {
        return List.of("nn.LayerNorm(" + inputWidth + ")");
    }

    @Override
    public List<String> torchParameters() {
        return List.of("0.weight", "0.bias");
    }

    /**
     * Opset 13 has no LayerNormalization: its formula, with the biased variance as {@code nn.LayerNorm}:
     * {@code (x − mean)/√(mean((x − mean)²) + ε)·γ + β} per row.
     */
    @Override
    public List<OnnxNode> onnxNodes(int inputWidth, List<ParamShape> parameters, List<ParamShape> buffers) {
        long[] features = {1};
        return List.of(
                OnnxNode.of("ReduceMean", OnnxNode.INPUT).with("axes", features),
                OnnxNode.of("Sub", OnnxNode.INPUT, OnnxNode.output(0)),
                OnnxNode.of("Mul", OnnxNode.output(1), OnnxNode.output(1)),
                OnnxNode.of("ReduceMean", OnnxNode.output(2)).with("axes", features),
                OnnxNode.of("Add", OnnxNode.output(3), OnnxNode.constant(EPS)),
                OnnxNode.of("Sqrt", OnnxNode.output(4)),
                OnnxNode.of("Div", OnnxNode.output(1), OnnxNode.output(5)),
                OnnxNode.of("Mul", OnnxNode.output(6), OnnxNode.state(parameters.get(0).name())),
                OnnxNode.of("Add", OnnxNode.output(7), OnnxNode.state(parameters.get(1).name())));
    }

    /** {@code nn.LayerNorm}: each row's mean and biased variance, ε = 1e-5, then γ and β. */
    @Override
    public double[] exactForward(double[] a, int rows, int inputWidth, List<double[]> parameters) {
        double[] g = parameters.get(0), be = parameters.get(1), y = new double[rows * inputWidth];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < inputWidth; j++) mean += a[r * inputWidth + j] / inputWidth;
            for (int j = 0; j < inputWidth; j++) var += (a[r * inputWidth + j] - mean) * (a[r * inputWidth + j] - mean) / inputWidth;
            for (int j = 0; j < inputWidth; j++) y[r * inputWidth + j] = (a[r * inputWidth + j] - mean) / Math.sqrt(var + EPS) * g[j] + be[j];
        }
        return y;
    }

    @Override
    public String toString() {
        return spelling();
    }
}
