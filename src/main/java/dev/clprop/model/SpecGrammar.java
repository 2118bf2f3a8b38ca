package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

import java.util.ArrayList;
import java.util.List;

/**
 * The architecture string: {@code inputs,element,element,...}, where each element is read by the
 * first layer kind that knows it ({@link LayerSpec#KINDS}: each kind's {@code parse} reads its own
 * element, e.g. {@code units:activation[:nobias]}, {@code dropout:P}, {@code layernorm}, {@code batchnorm}).
 */
final class SpecGrammar {
    static final String SETTING = "architecture";

    private SpecGrammar() {
    }

    static Architecture parse(String spec) {
        if (spec == null) throw new InvalidSettingException(SETTING, "must be given");
        String[] parts = spec.trim().split(",", -1);
        if (parts.length < 2) {
            throw malformed(spec, "expected the input width and at least one layer, e.g. 4,8:tanh,3:softmax");
        }
        int inputs = positive(parts[0].trim(), spec, "the input width");
        List<LayerSpec> layers = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) layers.add(element(parts[i].trim(), spec, i));
        return new Architecture(inputs, layers);
    }

    /** The layer an element spells: the first kind that reads it ({@link LayerSpec#KINDS}, dense last). */
    private static LayerSpec element(String e, String spec, int index) {
        SpecElement element = new SpecElement(spec, e, index);
        for (java.util.function.Function<SpecElement, LayerSpec> kind : LayerSpec.KINDS) {
            LayerSpec l = kind.apply(element);
            if (l != null) return l;
        }
        throw element.malformed("is no layer (expected units:activation[:nobias], dropout:P, layernorm or batchnorm)");
    }

    /** Largest width of a layer: beyond it a single weight matrix would not fit a Java array. */
    static final int MAX_WIDTH = 1 << 20;

    static int positive(String s, String spec, String what) {
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw malformed(spec, what + " " + Quote.of(s) + " is not a positive integer");
        }
        if (v <= 0) throw malformed(spec, what + " " + Quote.of(s) + " is not a positive integer");
        if (v > MAX_WIDTH) throw malformed(spec, what + " " + v + " is larger than the limit of " + MAX_WIDTH);
        return v;
    }

    static InvalidSettingException malformed(String spec, String why) {
        return new InvalidSettingException(SETTING, Quote.of(spec) + " is malformed: " + why);
    }

    static String spelling(Architecture a) {
        StringBuilder sb = new StringBuilder().append(a.inputs());
        for (LayerSpec l : a.layers()) sb.append(',').append(l.spelling());
        return sb.toString();
    }
}
