package dev.clprop.model;

import dev.clprop.UserError;

import java.util.Locale;

/**
 * Element-wise activations (softmax is row-wise). The integer {@link #code} is the value the
 * OpenCL kernels switch on, so it must match the ACT_* constants in kernels/activation.cl.
 */
public enum Activation {
    SIGMOID("sigmoid", 0),
    TANH("tanh", 1),
    RELU("relu", 2),
    LEAKY_RELU("leaky-relu", 3),
    LINEAR("linear", 4),
    /** Row-wise softmax; allowed on the output layer only. */
    SOFTMAX("softmax", 5);

    /** Slope of leaky-relu for negative inputs. */
    public static final float LEAKY_SLOPE = 0.01f;

    public final String spelling;
    public final int code;

    Activation(String spelling, int code) {
        this.spelling = spelling;
        this.code = code;
    }

    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.spelling.equals(s.toLowerCase(Locale.ROOT))) return a;
        }
        throw new UserError("unknown activation '" + s + "' (expected one of sigmoid, tanh, relu, leaky-relu, linear, softmax)");
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
