package dev.clprop.model;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Batch normalization over each feature, as PyTorch's {@code nn.BatchNorm1d(width, eps=1e-5, momentum=0.1)}.
 * In training it normalizes with the batch's mean and biased variance, {@code y = (x − μ_B)/√(σ²_B + ε)·γ + β},
 * and moves the running statistics: {@code running_mean ← 0.9·running_mean + 0.1·μ_B} and
 * {@code running_var ← 0.9·running_var + 0.1·σ²_B·m/(m−1)} (the unbiased variance). In evaluation and
 * prediction it normalizes with the running statistics. Written {@code batchnorm}; γ ({@code gammaN}, from 1)
 * and β ({@code betaN}, from 0) are trained, the running statistics ({@code running_meanN} from 0,
 * {@code running_varN} from 1) are non-trainable buffers, saved with the model.
 */
public record BatchNormSpec() implements LayerSpec {
    /** PyTorch's default ε. */
    public static final float EPS = 1e-5f;
    /** PyTorch's default momentum of the running statistics. */
    public static final float MOMENTUM = 0.1f;
    /** The element in an architecture string. */
    public static final String SPELLING = "batchnorm";

    /** {@code batchnorm}, which takes no fields; null for another element. */
    static LayerSpec parse(SpecElement e) {
        return e.isBare(SPELLING) ? new BatchNormSpec() : null;
    }

    @Override
    public String spelling() {
        return SPELLING;
    }

    @Override
    public List<ParamShape> parameterShapes(int inputWidth, int ordinal) {
        return LayerNormSpec.affine(inputWidth, ordinal);
    }

    @Override
    public List<ParamShape> bufferShapes(int inputWidth, int ordinal) {
        return List.of(ParamShape.vector("running_mean" + ordinal, inputWidth), ParamShape.vector("running_var" + ordinal, inputWidth));
    }

    /** γ = 1 and β = 0, as PyTorch starts them; draws nothing. */
    @Override
    public void initialise(List<float[]> parameters, int inputWidth, Random rng) {
        LayerNormSpec.initialiseAffine(parameters);
    }

    /** running_mean = 0, running_var = 1. */
    @Override
    public void initialiseBuffers(List<float[]> buffers) {
        Arrays.fill(buffers.get(0), 0f);
        Arrays.fill(buffers.get(1), 1f);
    }

    @Override
    public List<String> torchModules(int inputWidth) {
        return List.of("nn.BatchNorm1d(" + inputWidth + ")");
    }

    @Override
    public List<String> torchParameters() {
        return List.of("0.weight", "0.bias");
    }

    @Override
    public List<String> torchBuffers() {
        return List.of("0.running_mean", "0.running_var");
    }

    /** ONNX's BatchNormalization in inference mode: the running statistics, as {@code nn.BatchNorm1d} in eval(). */
    @Override
    public List<OnnxNode> onnxNodes(int inputWidth, List<ParamShape> parameters, List<ParamShape> buffers) {
        return List.of(OnnxNode.of("BatchNormalization", OnnxNode.INPUT, OnnxNode.state(parameters.get(0).name()), OnnxNode.state(parameters.get(1).name()),
                OnnxNode.state(buffers.get(0).name()), OnnxNode.state(buffers.get(1).name())).with("epsilon", EPS));
    }

    /** {@code nn.BatchNorm1d} in training: each column's batch mean and biased variance, ε = 1e-5, then γ and β. */
    @Override
    public double[] exactForward(double[] a, int rows, int inputWidth, List<double[]> parameters) {
        double[] g = parameters.get(0), be = parameters.get(1), y = new double[rows * inputWidth];
        for (int j = 0; j < inputWidth; j++) {
            double mean = 0, var = 0;
            for (int r = 0; r < rows; r++) mean += a[r * inputWidth + j] / rows;
            for (int r = 0; r < rows; r++) var += (a[r * inputWidth + j] - mean) * (a[r * inputWidth + j] - mean) / rows;
            for (int r = 0; r < rows; r++) y[r * inputWidth + j] = (a[r * inputWidth + j] - mean) / Math.sqrt(var + EPS) * g[j] + be[j];
        }
        return y;
    }

    @Override
    public String toString() {
        return spelling();
    }
}
