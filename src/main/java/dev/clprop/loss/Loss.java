package dev.clprop.loss;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import dev.clprop.model.Activation;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Loss functions, with PyTorch's definitions. The OpenCL kernels switch on {@link #code()}, passed
 * to them as generated {@code -DLOSS_*} build options with the constants below.
 * <ul>
 *   <li>half-sse: L = ½ Σ_rows Σ_out (y − ŷ)², a sum over the batch; ∂L/∂ŷ = ŷ − y.</li>
 *   <li>mse: mean over all m·n elements (torch.nn.MSELoss); ∂L/∂ŷ = 2(ŷ − y)/(m·n).</li>
 *   <li>bce: −mean[y·ln ŷ + (1−y)·ln(1−ŷ)] with each log clamped at −100 as torch.nn.BCELoss;
 *       ∂L/∂ŷ = (ŷ − y) / max(ŷ(1−ŷ), 1e-12) / (m·n).</li>
 *   <li>huber: with d = ŷ − y, ½d² where |d| &lt; δ, else δ(|d| − ½δ), the mean over all m·n elements
 *       (torch.nn.HuberLoss(delta=1.0)); ∂L/∂ŷ = clamp(d, −δ, δ)/(m·n).</li>
 *   <li>cross-entropy: softmax output, L = −mean_rows Σ y·ln p; the gradient with respect to the
 *       logits, (p − y)/m, is computed fused (the softmax Jacobian is never formed).</li>
 * </ul>
 */
public enum Loss {
    /** ½ Σ over batch and outputs of (y − ŷ)²: a sum. */
    HALF_SSE("half-sse"),
    /** Mean over all elements of (y − ŷ)², as torch.nn.MSELoss. */
    MSE("mse"),
    /** Binary cross-entropy on sigmoid outputs, mean over all elements, logs clamped at −100 (torch.nn.BCELoss). */
    BCE("bce"),
    /** Softmax output with negative log-likelihood, mean over the batch. */
    CROSS_ENTROPY("cross-entropy"),
    /** Squared error near the target, absolute error beyond {@link #HUBER_DELTA}; mean over all elements (torch.nn.HuberLoss). */
    HUBER("huber");

    /** torch.nn.BCELoss clamps each log term at −100 so a saturated output gives a finite loss. */
    public static final float BCE_LOG_FLOOR = -100f;
    /** Where Huber's loss turns from squared to absolute: torch.nn.HuberLoss's default delta. */
    public static final float HUBER_DELTA = 1.0f;
    /** torch's BCE backward divides by max(ŷ(1−ŷ), 1e-12). */
    public static final float BCE_GRAD_EPS = 1e-12f;

    private final String spelling;

    Loss(String spelling) {
        this.spelling = spelling;
    }

    /** The name the command line and model files use, e.g. "cross-entropy". */
    public String spelling() {
        return spelling;
    }

    /** The integer the kernels switch on. */
    public int code() {
        return ordinal();
    }

    /** The loss spelled {@code s}; anything else is an {@link dev.clprop.error.InvalidSettingException} listing the choices. */
    public static Loss parse(String s) {
        if (s == null) throw new InvalidSettingException("loss", "must be given");
        for (Loss l : values()) {
            if (l.spelling.equals(s.trim().toLowerCase(Locale.ROOT))) return l;
        }
        throw new InvalidSettingException("loss", Quote.of(s) + " is unknown (expected one of "
                + Arrays.stream(values()).map(Loss::spelling).collect(Collectors.joining(", ")) + ")");
    }

    /** Cross-entropy for a softmax output, binary cross-entropy for sigmoid, else mean squared error. */
    public static Loss defaultFor(Activation output) {
        return output == Activation.SOFTMAX ? CROSS_ENTROPY : output == Activation.SIGMOID ? BCE : MSE;
    }

    /** True when the loss gradient is taken with respect to the output layer's logits, not its activations. */
    public boolean fusedWithOutputActivation() {
        return this == CROSS_ENTROPY;
    }

    /** Checks the loss against the output layer, naming the fix when they do not fit. */
    public void checkOutput(Activation output) {
        if (this == CROSS_ENTROPY && output != Activation.SOFTMAX) {
            throw new InvalidSettingException("loss", "cross-entropy needs a softmax output layer, but the last layer is " + output
                    + " (end the architecture with e.g. '10:softmax')");
        }
        if (this == BCE && output != Activation.SIGMOID) {
            throw new InvalidSettingException("loss", "bce needs a sigmoid output layer (outputs in (0,1)), but the last layer is " + output);
        }
    }

    /** One element's unscaled contribution; a batch's loss is {@link #scale}(Σ elementLoss). Same formulas as kernels/loss.cl. */
    public float elementLoss(float p, float y) {
        switch (this) {
            case HALF_SSE: {
                float d = y - p;
                return 0.5f * d * d;
            }
            case MSE: {
                float d = y - p;
                return d * d;
            }
            case BCE:
                return -(y * Math.max((float) Math.log(p), BCE_LOG_FLOOR) + (1f - y) * Math.max((float) Math.log(1f - p), BCE_LOG_FLOOR));
            case CROSS_ENTROPY:
                // p is a softmax output; Float.MIN_NORMAL keeps ln finite when p underflows
                return y == 0f ? 0f : -y * (float) Math.log(Math.max(p, Float.MIN_NORMAL));
            case HUBER: {
                float z = Math.abs(p - y);
                return z < HUBER_DELTA ? 0.5f * z * z : HUBER_DELTA * (z - 0.5f * HUBER_DELTA);
            }
            default:
                throw new IllegalStateException(spelling);
        }
    }

    /** Turns a sum of element losses over m rows of n outputs into the loss: a sum, or a mean. */
    /**
     * Whether a batch's loss (and gradient) is a sum over its rows rather than a mean: half-SSE. Shards of
     * a batch then add up to the batch, instead of averaging to it.
     */
    public boolean sumsOverBatch() {
        return this == HALF_SSE;
    }

    /** The loss of a batch of {@code m} rows of {@code n} outputs from the sum of its element losses: the mean or the sum, as the loss defines it. */
    public double scale(double sum, int m, int n) {
        switch (this) {
            case HALF_SSE: return sum;
            case MSE:
            case BCE:
            case HUBER: return sum / ((double) m * n);
            case CROSS_ENTROPY: return sum / m;
            default: throw new IllegalStateException(spelling);
        }
    }

    /** ∂L/∂ŷ for one element of an m×n batch (for cross-entropy ∂L/∂logit). */
    public float elementGradient(float p, float y, int m, int n) {
        switch (this) {
            case HALF_SSE: return p - y;
            case MSE: return 2f * (p - y) / ((float) m * n);
            case BCE: return (p - y) / Math.max(p * (1f - p), BCE_GRAD_EPS) / ((float) m * n);
            case CROSS_ENTROPY: return (p - y) / m;
            case HUBER: return Math.max(-HUBER_DELTA, Math.min(HUBER_DELTA, p - y)) / ((float) m * n);
            default: throw new IllegalStateException(spelling);
        }
    }

    @Override
    public String toString() {
        return spelling;
    }
}
