package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import org.apache.commons.math3.special.Erf;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Element-wise activations (softmax is row-wise). The OpenCL kernels switch on {@link #code()},
 * which reaches them as generated {@code -DACT_*} build options, never retyped in a kernel file.
 */
public enum Activation {
    /** 1 / (1 + e^−z). */
    SIGMOID("sigmoid"),
    /** tanh z. */
    TANH("tanh"),
    /** max(0, z). */
    RELU("relu"),
    /** z, or 0.01·z below 0. */
    LEAKY_RELU("leaky-relu"),
    /** z itself. */
    LINEAR("linear"),
    /** Row-wise softmax; allowed on the output layer only. */
    SOFTMAX("softmax"),
    /** z·Φ(z), Φ the standard normal CDF: torch.nn.GELU() in its exact erf form. */
    GELU("gelu"),
    /** z·σ(z): torch.nn.SiLU(). */
    SILU("silu"),
    /** z, or e^z − 1 below 0: torch.nn.ELU() (alpha 1). */
    ELU("elu");

    /** Slope of leaky-relu for negative inputs (PyTorch's default negative_slope). */
    public static final float LEAKY_SLOPE = 0.01f;

    private final String spelling;

    Activation(String spelling) {
        this.spelling = spelling;
    }

    /** The name in an architecture string, e.g. {@code leaky-relu}. */
    public String spelling() {
        return spelling;
    }

    /** The integer the kernels switch on. */
    public int code() {
        return ordinal();
    }

    /** The activation spelled {@code s}; anything else is an {@link dev.clprop.error.InvalidSettingException} listing the choices. */
    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.spelling.equals(s.trim().toLowerCase(Locale.ROOT))) return a;
        }
        throw new InvalidSettingException("activation", Quote.of(s) + " is unknown (expected one of "
                + Arrays.stream(values()).map(Activation::spelling).collect(Collectors.joining(", ")) + ")");
    }

    /**
     * Whether f' must be taken from the input z rather than the output a: true for gelu and silu, which
     * are not monotonic, so a does not determine z. Layers then keep z for the backward pass.
     */
    public boolean derivativeNeedsInput() {
        return this == GELU || this == SILU;
    }

    /** f(z) for the element-wise activations; softmax is handled row-wise by the backends. */
    public float apply(float z) {
        switch (this) {
            case GELU: return (float) (0.5 * z * (1.0 + Erf.erf(z * SQRT_HALF)));
            case SILU: return (float) (z / (1.0 + Math.exp(-z)));
            case ELU: return z > 0 ? z : (float) Math.expm1(z);
            case SIGMOID: return (float) (1.0 / (1.0 + Math.exp(-z)));
            case TANH: return (float) Math.tanh(z);
            case RELU: return z > 0 ? z : 0f;
            case LEAKY_RELU: return z > 0 ? z : LEAKY_SLOPE * z;
            case LINEAR: return z;
            default: throw new IllegalStateException("softmax is row-wise");
        }
    }

    /** 1/√2, for Φ(z) = ½(1 + erf(z/√2)). */
    private static final double SQRT_HALF = Math.sqrt(0.5);

    /**
     * f'(v), where v is what the layer keeps for its backward pass: the output a = f(z), or the input z
     * when {@link #derivativeNeedsInput()}. gelu: Φ(z) + z·φ(z); silu: σ(z)·(1 + z·(1 − σ(z))).
     */
    public float derivative(float v) {
        switch (this) {
            case GELU: {
                double cdf = 0.5 * (1.0 + Erf.erf(v * SQRT_HALF));
                return (float) (cdf + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI));
            }
            case SILU: {
                double s = 1.0 / (1.0 + Math.exp(-v));
                return (float) (s * (1.0 + v * (1.0 - s)));
            }
            default: return derivativeFromOutput(v);
        }
    }

    /** f'(z) expressed through a = f(z), for the activations whose output determines it. */
    public float derivativeFromOutput(float a) {
        switch (this) {
            case SIGMOID: return a * (1f - a);
            case TANH: return 1f - a * a;
            case RELU: return a > 0 ? 1f : 0f;
            case LEAKY_RELU: return a > 0 ? 1f : LEAKY_SLOPE;
            case ELU: return a > 0 ? 1f : a + 1f;
            case LINEAR: return 1f;
            default: throw new IllegalStateException(this == SOFTMAX ? "softmax is row-wise" : spelling + ": its derivative needs the input z; see derivative(float)");
        }
    }

    /** The PyTorch module, as Python source (nn.ReLU() ...); null for linear, which has none. */
    public String torchModule() {
        switch (this) {
            case SIGMOID: return "nn.Sigmoid()";
            case TANH: return "nn.Tanh()";
            case RELU: return "nn.ReLU()";
            case LEAKY_RELU: return "nn.LeakyReLU(" + LEAKY_SLOPE + ")";
            case SOFTMAX: return "nn.Softmax(dim=1)";
            case GELU: return "nn.GELU()";
            case SILU: return "nn.SiLU()";
            case ELU: return "nn.ELU()";
            default: return null;
        }
    }

    /**
     * f(z) in float64: the definition the float64 gradient check differentiates numerically, and the
     * float32 paths ({@link #apply}, the kernels) must agree with.
     */
    public double exact(double z) {
        switch (this) {
            case SIGMOID: return 1 / (1 + Math.exp(-z));
            case TANH: return Math.tanh(z);
            case RELU: return Math.max(0, z);
            case LEAKY_RELU: return z > 0 ? z : LEAKY_SLOPE * z;
            case LINEAR: return z;
            case GELU: return 0.5 * z * (1 + Erf.erf(z * SQRT_HALF));
            case SILU: return z / (1 + Math.exp(-z));
            case ELU: return z > 0 ? z : Math.expm1(z);
            default: throw new IllegalStateException("softmax is row-wise");
        }
    }

    /**
     * The ONNX nodes computing f from the layer's pre-activation ({@link OnnxNode#INPUT}); empty for linear.
     * Opset 13 has no Gelu: gelu is composed as ½·z·(1 + erf(z/√2)), silu as z·σ(z).
     */
    public java.util.List<OnnxNode> onnxNodes() {
        String x = OnnxNode.INPUT;
        switch (this) {
            case SIGMOID: return java.util.List.of(OnnxNode.of("Sigmoid", x));
            case TANH: return java.util.List.of(OnnxNode.of("Tanh", x));
            case RELU: return java.util.List.of(OnnxNode.of("Relu", x));
            case LEAKY_RELU: return java.util.List.of(OnnxNode.of("LeakyRelu", x).with("alpha", LEAKY_SLOPE));
            case SOFTMAX: return java.util.List.of(OnnxNode.of("Softmax", x).with("axis", 1L));
            case GELU: return java.util.List.of(
                    OnnxNode.of("Mul", x, OnnxNode.constant((float) SQRT_HALF)),
                    OnnxNode.of("Erf", OnnxNode.output(0)),
                    OnnxNode.of("Add", OnnxNode.output(1), OnnxNode.constant(1f)),
                    OnnxNode.of("Mul", x, OnnxNode.output(2)),
                    OnnxNode.of("Mul", OnnxNode.output(3), OnnxNode.constant(0.5f)));
            case SILU: return java.util.List.of(OnnxNode.of("Sigmoid", x), OnnxNode.of("Mul", x, OnnxNode.output(0)));
            case ELU: return java.util.List.of(OnnxNode.of("Elu", x).with("alpha", 1f));
            default: return java.util.List.of();
        }
    }

    /** He initialisation suits rectifiers and their smooth forms (gelu, silu, elu), Xavier the rest. */
    public boolean wantsHeInit() {
        return this == RELU || this == LEAKY_RELU || this == GELU || this == SILU || this == ELU;
    }

    @Override
    public String toString() {
        return spelling;
    }
}
