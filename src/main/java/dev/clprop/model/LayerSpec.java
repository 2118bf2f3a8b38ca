package dev.clprop.model;

/** One dense layer: {@code z = a_prev · Wᵀ + b}, W of shape (out, in), b of shape (out). */
public record LayerSpec(int in, int out, Activation activation, boolean bias) {
    public String spelling() {
        return out + ":" + activation.spelling + (bias ? "" : ":nobias");
    }
}
