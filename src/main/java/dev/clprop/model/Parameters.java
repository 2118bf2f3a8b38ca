package dev.clprop.model;

import java.util.Arrays;
import java.util.Random;

/**
 * Host copy of a network's weights: per layer W (out×in, row-major) and b (out), b null for a
 * layer without bias. This is what model files hold and what backends upload.
 */
public final class Parameters {
    private final NetworkSpec spec;
    private final float[][] weights;
    private final float[][] biases;

    public Parameters(NetworkSpec spec, float[][] weights, float[][] biases) {
        this.spec = spec;
        this.weights = weights;
        this.biases = biases;
        for (int l = 0; l < spec.depth(); l++) {
            LayerSpec ls = spec.layer(l);
            if (weights[l].length != ls.in() * ls.out()) throw new IllegalArgumentException("W" + (l + 1) + " size");
            if (ls.bias() != (biases[l] != null)) throw new IllegalArgumentException("b" + (l + 1) + " presence");
            if (biases[l] != null && biases[l].length != ls.out()) throw new IllegalArgumentException("b" + (l + 1) + " size");
        }
    }

    /** All-zero parameters of the given architecture. */
    public static Parameters zeros(NetworkSpec spec) {
        float[][] w = new float[spec.depth()][];
        float[][] b = new float[spec.depth()][];
        for (int l = 0; l < spec.depth(); l++) {
            LayerSpec ls = spec.layer(l);
            w[l] = new float[ls.in() * ls.out()];
            b[l] = ls.bias() ? new float[ls.out()] : null;
        }
        return new Parameters(spec, w, b);
    }

    /**
     * Random initialisation drawn from {@code seed}: He normal, N(0, 2/in), for relu and leaky-relu
     * layers; Xavier uniform, U(±√(6/(in+out))), for the rest. Biases start at zero.
     * java.util.Random is used because its sequence is specified, so a seed means the same weights on every JVM.
     */
    public static Parameters initialise(NetworkSpec spec, long seed) {
        Parameters p = zeros(spec);
        Random rng = new Random(seed);
        for (int l = 0; l < spec.depth(); l++) {
            LayerSpec ls = spec.layer(l);
            float[] w = p.weights[l];
            if (ls.activation().wantsHeInit()) {
                double std = Math.sqrt(2.0 / ls.in());
                for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * std);
            } else {
                double a = Math.sqrt(6.0 / (ls.in() + ls.out()));
                for (int i = 0; i < w.length; i++) w[i] = (float) ((rng.nextDouble() * 2 - 1) * a);
            }
        }
        return p;
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** W of layer l (0-based), row-major (out, in); the live array, not a copy. */
    public float[] weights(int l) {
        return weights[l];
    }

    /** b of layer l (0-based), or null; the live array, not a copy. */
    public float[] bias(int l) {
        return biases[l];
    }

    public boolean bitwiseEquals(Parameters o) {
        if (!spec.equals(o.spec)) return false;
        for (int l = 0; l < weights.length; l++) {
            if (!Arrays.equals(weights[l], o.weights[l]) || !Arrays.equals(biases[l], o.biases[l])) return false;
        }
        return true;
    }

    public boolean allFinite() {
        for (int l = 0; l < weights.length; l++) {
            for (float v : weights[l]) if (!Float.isFinite(v)) return false;
            if (biases[l] != null) for (float v : biases[l]) if (!Float.isFinite(v)) return false;
        }
        return true;
    }
}
