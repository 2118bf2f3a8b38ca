package dev.clprop.model;

import dev.clprop.UserError;

import java.util.ArrayList;
import java.util.List;

/**
 * The architecture: the input width and the dense layers, written as SPEC on the command line,
 * e.g. {@code 784,256:relu,128:relu,10:softmax}; {@code units:activation[:nobias]} per layer.
 */
public final class NetworkSpec {
    private final int inputs;
    private final List<LayerSpec> layers;

    public NetworkSpec(int inputs, List<LayerSpec> layers) {
        this.inputs = inputs;
        this.layers = List.copyOf(layers);
        for (int i = 0; i < this.layers.size() - 1; i++) {
            if (this.layers.get(i).activation() == Activation.SOFTMAX) {
                throw new UserError("softmax is allowed on the output layer only, but layer " + (i + 1) + " uses it");
            }
        }
    }

    public static NetworkSpec parse(String spec) {
        String[] parts = spec.trim().split(",");
        if (parts.length < 2) {
            throw new UserError("malformed --layers '" + spec + "': expected the input width and at least one layer, e.g. 4,8:tanh,3:softmax");
        }
        int inputs = parsePositive(parts[0].trim(), spec, "input width");
        List<LayerSpec> layers = new ArrayList<>();
        int prev = inputs;
        for (int i = 1; i < parts.length; i++) {
            String[] f = parts[i].trim().split(":");
            if (f.length < 2 || f.length > 3) {
                throw new UserError("malformed layer '" + parts[i] + "' in --layers '" + spec + "': expected units:activation[:nobias]");
            }
            int units = parsePositive(f[0].trim(), spec, "layer " + i + " units");
            Activation act = Activation.parse(f[1].trim());
            boolean bias = true;
            if (f.length == 3) {
                if (!f[2].trim().equals("nobias")) {
                    throw new UserError("malformed layer '" + parts[i] + "' in --layers '" + spec + "': the third field may only be 'nobias'");
                }
                bias = false;
            }
            layers.add(new LayerSpec(prev, units, act, bias));
            prev = units;
        }
        return new NetworkSpec(inputs, layers);
    }

    private static int parsePositive(String s, String spec, String what) {
        try {
            int v = Integer.parseInt(s);
            if (v <= 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new UserError("malformed --layers '" + spec + "': " + what + " '" + s + "' is not a positive integer");
        }
    }

    public int inputs() {
        return inputs;
    }

    public int outputs() {
        return layers.get(layers.size() - 1).out();
    }

    public List<LayerSpec> layers() {
        return layers;
    }

    public LayerSpec layer(int i) {
        return layers.get(i);
    }

    public int depth() {
        return layers.size();
    }

    public Activation outputActivation() {
        return layers.get(layers.size() - 1).activation();
    }

    public long parameterCount() {
        long n = 0;
        for (LayerSpec l : layers) n += (long) l.in() * l.out() + (l.bias() ? l.out() : 0);
        return n;
    }

    /** The SPEC string this parses from. */
    public String spelling() {
        StringBuilder sb = new StringBuilder().append(inputs);
        for (LayerSpec l : layers) sb.append(',').append(l.spelling());
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkSpec other && other.spelling().equals(spelling());
    }

    @Override
    public int hashCode() {
        return spelling().hashCode();
    }

    @Override
    public String toString() {
        return spelling();
    }
}
