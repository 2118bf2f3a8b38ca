package dev.clprop.model;

import java.util.List;
import java.util.Map;

/**
 * One ONNX node of a layer's computation, described without depending on ONNX: its operator type, its
 * inputs and its attributes (Float or Long values). An input is {@link #INPUT} (the layer's input), a
 * reference {@code "$k"} to the output of node k of the same list, or a float constant written as
 * {@link Float#toString}. The last node's output is the layer's output; an empty list is the identity.
 * ONNX export turns these into nodes and initializers, so a layer kind describes its graph in its own class.
 */
public record OnnxNode(String op, List<String> inputs, Map<String, Object> attributes) {
    /** The layer's input. */
    public static final String INPUT = "x";

    /** {@code op(inputs)} without attributes. */
    public static OnnxNode of(String op, String... inputs) {
        return new OnnxNode(op, List.of(inputs), Map.of());
    }

    /** This node with one more attribute. */
    public OnnxNode with(String name, Object value) {
        if (!(value instanceof Float || value instanceof Long)) throw new IllegalArgumentException("ONNX attributes here are Float or Long: " + value);
        java.util.Map<String, Object> a = new java.util.LinkedHashMap<>(attributes);
        a.put(name, value);
        return new OnnxNode(op, inputs, Map.copyOf(a));
    }

    /** The constant {@code v} as an input. */
    public static String constant(float v) {
        return Float.toString(v);
    }

    /** The output of node {@code k} of the same list as an input. */
    public static String output(int k) {
        return "$" + k;
    }
}
