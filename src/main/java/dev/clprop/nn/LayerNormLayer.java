package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.model.LayerNormSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link LayerNormSpec} on a device: the forward pass normalizes each row and keeps xhat and 1/√(σ² + ε)
 * per row ({@link Backend#layerNormForward}); the backward pass writes dγ, dβ and ∂L/∂input from them
 * ({@link Backend#layerNormBackward}). It behaves the same in training and evaluation.
 */
final class LayerNormLayer implements Layer {
    private final Backend b;
    private final LayerNormSpec spec;
    private final int index;
    private final int width;
    private final Param gamma;
    private final Param beta;
    private final Tensor output;
    private final Tensor outputGradient;
    private final Tensor normalized;
    private final Tensor inverseStd;
    private final List<Tensor> owned = new ArrayList<>();

    /** @param layerParams γ then β (the network owns their tensors) */
    LayerNormLayer(Backend b, LayerNormSpec spec, int index, int width, List<Param> layerParams, int maxBatch) {
        this.b = b;
        this.spec = spec;
        this.index = index;
        this.width = width;
        this.gamma = layerParams.get(0);
        this.beta = layerParams.get(1);
        try {
            output = own(maxBatch, width);
            outputGradient = own(maxBatch, width);
            normalized = own(maxBatch, width);
            inverseStd = own(maxBatch, 1);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Floats of batch-sized memory per row of a batch: output, its gradient, xhat and one 1/σ. */
    static long floatsPerRow(int width) {
        return 3L * width + 1;
    }

    private Tensor own(int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        owned.add(t);
        return t;
    }

    @Override
    public LayerNormSpec spec() {
        return spec;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public int inputWidth() {
        return width;
    }

    @Override
    public int outputWidth() {
        return width;
    }

    @Override
    public Tensor output() {
        return output;
    }

    @Override
    public Tensor outputGradient() {
        return outputGradient;
    }

    @Override
    public List<Param> params() {
        return List.of(gamma, beta);
    }

    @Override
    public void forward(Tensor input, int m, Pass pass) {
        b.layerNormForward(input, gamma.value(), beta.value(), normalized, inverseStd, output, m);
    }

    @Override
    public void backward(Tensor input, Tensor inputGradient, int m, Pass pass) {
        b.layerNormBackward(outputGradient, normalized, inverseStd, gamma.value(), inputGradient, gamma.gradient(), beta.gradient(), m);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }
}
