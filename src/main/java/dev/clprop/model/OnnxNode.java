package dev.clprop.model;

import java.util.List;
import java.util.Map;

/**
 * One ONNX node of a layer's computation, described without depending on ONNX: its operator type, its
 * inputs and its attributes (Float, Long or long[] values). An input is {@link #INPUT} (the layer's input),
 * a reference {@code "$k"} to the output of node k of the same list, {@code "@name"} for one of the layer's
 * parameters or buffers by its name in the model file ({@link #state}), or a float constant written as
 * {@link Float#toString}. The last node's output is the layer's output; an empty list is the identity.
 * ONNX export turns these into nodes and initializers, so a layer kind describes its graph in its own class
 * ({@link LayerSpec#onnxNodes}).
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
        if (!(value instanceof Float || value instanceof Long || value instanceof long[])) {
            throw new IllegalArgumentException("ONNX attributes here are Float, Long or long[]: " + value);
        }
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

    /** The layer's parameter or buffer named {@code name} (as in the model file) as an input. */
    public static String state(String name) {
        return "@" + name;
    }

    /** {@code first}, then {@code next} applied to its output: next's input and node references renumbered. */
    public static List<OnnxNode> chain(List<OnnxNode> first, List<OnnxNode> next) {
        if (first.isEmpty()) return next;
        int base = first.size();
        java.util.List<OnnxNode> out = new java.util.ArrayList<>(first);
        for (OnnxNode n : next) {
            java.util.List<String> in = new java.util.ArrayList<>();
            for (String s : n.inputs) {
                if (s.equals(INPUT)) in.add(output(base - 1));
                else if (s.startsWith("$")) in.add(output(base + Integer.parseInt(s.substring(1))));
                else in.add(s);
            }
            out.add(new OnnxNode(n.op, List.copyOf(in), n.attributes));
        }
        return List.copyOf(out);
    }
}
