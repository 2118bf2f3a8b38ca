package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.DenseSpec;
import dev.clprop.optim.Optimizer;

import java.util.List;
import java.util.Map;

/**
 * {@code a = f(x·Wᵀ + b)}. Forward: one GEMM and the bias + activation epilogue into the output
 * buffer ({@link Backend#denseForward}: one launch where the backend's GEMM fuses them). Backward: ∂L/∂z from ∂L/∂a through f' (taken from the output a), then
 * dW = (∂L/∂z)ᵀ·x and db = column sums of ∂L/∂z ({@link Backend#denseParamGrads}: one launch where the backend's
 * GEMM fuses them), and ∂L/∂x = ∂L/∂z·W.
 * When the loss hands over ∂L/∂z directly (softmax with cross-entropy, fused), or the dense layer above
 * applies f' as it writes ∂L/∂a ({@link #takeDerivativeOf}: {@link Backend#denseBackwardData}, one launch where
 * the backend's GEMM fuses it), the activation step is skipped. An activation whose f' needs z (gelu,
 * silu) keeps z: the GEMM writes it, then a = f(z). Trained with SGD or momentum, the layer may take its parameters'
 * step as their gradients are formed ({@link #backwardAndStep}).
 */
final class DenseLayer extends BufferedLayer<DenseSpec> {
    /** Whether ∂L/∂z arrives in place of ∂L/∂a: from the loss, or from the layer above. */
    private boolean gradientIsPreActivation;
    /** The activation of the dense layer below whose derivative this layer applies to the gradient it passes back (linear: none), and its input. */
    private Activation belowActivation = Activation.LINEAR;
    private Tensor belowDerivativeInput;
    /** z, kept for activations whose derivative needs it; else null. */
    private final Tensor preActivation;
    private final Param weight;
    private final Param bias;
    private final List<Param> params;

    /** @param layerParams the weight, then the bias when the layer has one (the network owns their tensors) */
    DenseLayer(Backend b, DenseSpec spec, int index, int in, List<Param> layerParams, int maxBatch, boolean gradientIsPreActivation) {
        super(b, spec, index, in, maxBatch);
        this.gradientIsPreActivation = gradientIsPreActivation;
        try {
            preActivation = keepsPreActivation(spec) ? own(maxBatch, spec.units()) : null;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        weight = layerParams.get(0);
        bias = spec.bias() ? layerParams.get(1) : null;
        params = bias == null ? List.of(weight) : List.of(weight, bias);
    }

    /**
     * From now on this layer passes back ∂L/∂z of {@code below}, the dense layer under it, applying below's
     * f' as it writes the gradient, and below takes it as such. Nothing changes where f' is not element-wise
     * (softmax) or is 1 (linear).
     */
    void takeDerivativeOf(DenseLayer below) {
        Activation act = below.spec.activation();
        if (act == Activation.SOFTMAX || act == Activation.LINEAR || below.gradientIsPreActivation) return;
        belowActivation = act;
        belowDerivativeInput = below.derivativeInput();
        below.gradientIsPreActivation = true;
    }

    /** What f' is taken from: z where the activation needs it, else the output a. */
    private Tensor derivativeInput() {
        return preActivation != null ? preActivation : output;
    }

    /** Whether the layer keeps z besides a = f(z): one more buffer of its output's size. */
    static boolean keepsPreActivation(DenseSpec spec) {
        return spec.activation().derivativeNeedsInput();
    }

    @Override
    public List<Param> params() {
        return params;
    }

    @Override
    public void forward(Tensor input, int m, Pass pass) {
        if (preActivation == null) {
            b.denseForward(input, weight.value(), bias == null ? null : bias.value(), spec.activation(), output, m);
        } else {
            b.denseForward(input, weight.value(), bias == null ? null : bias.value(), Activation.LINEAR, preActivation, m);
            b.activate(preActivation, spec.activation(), output, m);
        }
    }

    @Override
    public void backward(Tensor input, Tensor inputGradient, int m, Pass pass) {
        passGradientBack(inputGradient, m);
        b.denseParamGrads(outputGradient, input, weight.gradient(), bias == null ? null : bias.gradient(), m);
    }

    /** Where the backend folds the step ({@link Backend#denseSgdStep}); the gradient is passed back first, as it reads W before the step. */
    @Override
    public List<Param> backwardAndStep(Tensor input, Tensor inputGradient, int m, Pass pass, Optimizer sgd, Map<Param, Tensor> velocities) {
        if (!b.foldsSgdStep(weight.shape().rows(), weight.shape().cols(), m)) return super.backwardAndStep(input, inputGradient, m, pass, sgd, velocities);
        passGradientBack(inputGradient, m);
        b.denseSgdStep(sgd, outputGradient, input, weight.value(), bias == null ? null : bias.value(), weight.gradient(),
                bias == null ? null : bias.gradient(), velocities == null ? null : velocities.get(weight),
                velocities == null || bias == null ? null : velocities.get(bias), m);
        return params;
    }

    /** ∂L/∂a made ∂L/∂z unless it arrived as such, then ∂L/∂x into {@code inputGradient} (none for the first layer). */
    private void passGradientBack(Tensor inputGradient, int m) {
        if (!gradientIsPreActivation) b.activationBackward(outputGradient, derivativeInput(), spec.activation(), m);
        if (inputGradient != null) b.denseBackwardData(outputGradient, weight.value(), belowDerivativeInput, belowActivation, inputGradient, m);
    }
}
