package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

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
    SOFTMAX("softmax");

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

    /** f(z) for the element-wise activations; softmax is handled row-wise by the backends. */
    public float apply(float z) {
        switch (this) {
            case SIGMOID: return (float) (1.0 / (1.0 + Math.exp(-z)));
            case TANH: return (float) Math.tanh(z);
            case RELU: return z > 0 ? z : 0f;
            case LEAKY_RELU: return z > 0 ? z : LEAKY_SLOPE * z;
            case LINEAR: return z;
            default: throw new IllegalStateException("softmax is row-wise");
        }
    }

    /** f'(z) expressed through a = f(z), which is all the backward pass keeps. */
    public float derivativeFromOutput(float a) {
        switch (this) {
            case SIGMOID: return a * (1f - a);
            case TANH: return 1f - a * a;
            case RELU: return a > 0 ? 1f : 0f;
            case LEAKY_RELU: return a > 0 ? 1f : LEAKY_SLOPE;
            case LINEAR: return 1f;
            default: throw new IllegalStateException("softmax is row-wise");
        }
    }

    /** He initialisation suits rectifiers, Xavier the rest. */
    public boolean wantsHeInit() {
        return this == RELU || this == LEAKY_RELU;
    }

    @Override
    public String toString() {
        return spelling;
    }
}
