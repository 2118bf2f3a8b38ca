package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

import java.util.ArrayList;
import java.util.List;

/**
 * The architecture string, and the one place where its elements map onto layer types:
 * {@code inputs,element,element,...}, where an element is
 * <ul>
 *   <li>{@code units:activation[:nobias]}: a {@link DenseSpec};</li>
 *   <li>{@code dropout:P}: a {@link DropoutSpec};</li>
 *   <li>{@code layernorm}: a {@link LayerNormSpec};</li>
 *   <li>{@code batchnorm}: a {@link BatchNormSpec}.</li>
 * </ul>
 * A new layer type adds its element here.
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

    private static LayerSpec element(String e, String spec, int index) {
        String[] f = e.split(":", -1);
        if (f[0].trim().equals(BatchNormSpec.SPELLING)) {
            if (f.length != 1) throw malformed(spec, "layer " + index + " " + Quote.of(e) + ": batchnorm takes no fields");
            return new BatchNormSpec();
        }
        if (f[0].trim().equals(LayerNormSpec.SPELLING)) {
            if (f.length != 1) throw malformed(spec, "layer " + index + " " + Quote.of(e) + ": layernorm takes no fields");
            return new LayerNormSpec();
        }
        if (f[0].trim().equals("dropout")) {
            if (f.length != 2) throw malformed(spec, "layer " + index + " " + Quote.of(e) + " is not dropout:P");
            float p;
            try {
                p = Float.parseFloat(f[1].trim());
            } catch (NumberFormatException ex) {
                throw malformed(spec, "layer " + index + " " + Quote.of(e) + ": the dropout probability is not a number");
            }
            if (!(p >= 0 && p < 1)) throw malformed(spec, "layer " + index + " " + Quote.of(e) + ": the dropout probability must be in [0, 1)");
            return new DropoutSpec(p);
        }
        if (f.length < 2 || f.length > 3) {
            throw malformed(spec, "layer " + index + " " + Quote.of(e) + " is not units:activation[:nobias]");
        }
        int units = positive(f[0].trim(), spec, "layer " + index + " units");
        Activation act = Activation.parse(f[1]);
        boolean bias = true;
        if (f.length == 3) {
            if (!f[2].trim().equals("nobias")) {
                throw malformed(spec, "layer " + index + " " + Quote.of(e) + ": the third field may only be 'nobias'");
            }
            bias = false;
        }
        return new DenseSpec(units, act, bias);
    }

    /** Largest width of a layer: beyond it a single weight matrix would not fit a Java array. */
    static final int MAX_WIDTH = 1 << 20;

    private static int positive(String s, String spec, String what) {
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

    private static InvalidSettingException malformed(String spec, String why) {
        return new InvalidSettingException(SETTING, Quote.of(spec) + " is malformed: " + why);
    }

    static String spelling(Architecture a) {
        StringBuilder sb = new StringBuilder().append(a.inputs());
        for (LayerSpec l : a.layers()) sb.append(',').append(l.spelling());
        return sb.toString();
    }
}
