package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.model.LayerNormSpec;

import java.util.List;

/**
 * {@link LayerNormSpec} on a device: the forward pass normalizes each row and keeps xhat and 1/√(σ² + ε)
 * per row ({@link Backend#layerNormForward}); the backward pass writes dγ, dβ and ∂L/∂input from them
 * ({@link Backend#layerNormBackward}). It behaves the same in training and evaluation.
 */
final class LayerNormLayer extends BufferedLayer<LayerNormSpec> {
    private final Param gamma;
    private final Param beta;
    private final Tensor normalized;
    private final Tensor inverseStd;

    /** @param layerParams γ then β (the network owns their tensors) */
    LayerNormLayer(Backend b, LayerNormSpec spec, int index, int width, List<Param> layerParams, int maxBatch) {
        super(b, spec, index, width, maxBatch);
        this.gamma = layerParams.get(0);
        this.beta = layerParams.get(1);
        try {
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
}
