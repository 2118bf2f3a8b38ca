package dev.clprop.model;

import dev.clprop.error.InvalidInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A network's numbers on the host: one float array per {@link ParamShape} of its architecture
 * (W1, b1, W2, ..., and batchnorm's running statistics), row-major. This is what model files hold and what devices upload. The arrays
 * are owned by this object; callers that keep one across a mutation take a {@link #copy()}.
 */
public final class Parameters {
    private final Architecture architecture;
    private final Map<String, float[]> values;

    /** @param values one array per parameter of the architecture, by name, each of the right size */
    public Parameters(Architecture architecture, Map<String, float[]> values) {
        this.architecture = architecture;
        this.values = new LinkedHashMap<>();
        for (ParamShape p : architecture.stateShapes()) {
            float[] v = values.get(p.name());
            if (v == null) throw new InvalidInputException("parameters for " + architecture + " lack " + p.name());
            if (v.length != p.size()) {
                throw new InvalidInputException(p.name() + " has " + v.length + " values but " + architecture + " needs " + p.size());
            }
            this.values.put(p.name(), v);
        }
        if (values.size() != this.values.size()) {
            List<String> extra = new ArrayList<>(values.keySet());
            extra.removeAll(this.values.keySet());
            throw new InvalidInputException("parameters " + extra + " do not belong to " + architecture);
        }
    }

    /** All-zero parameters of an architecture; refused before allocating when they cannot fit the Java heap. */
    public static Parameters zeros(Architecture architecture) {
        long bytes = 4 * architecture.parameterCount();
        if (!dev.clprop.util.Memory.fits(bytes, 2)) {
            throw new dev.clprop.error.InvalidSettingException("architecture", "'" + architecture + "' has " + architecture.parameterCount()
                    + " parameters (" + (bytes >> 20) + " MiB), more than the Java heap can hold (raise -Xmx)");
        }
        Map<String, float[]> v = new LinkedHashMap<>();
        for (ParamShape p : architecture.stateShapes()) v.put(p.name(), new float[p.size()]);
        return new Parameters(architecture, v);
    }

    /**
     * Random initial parameters drawn from {@code seed}, layer by layer in order, each layer type by
     * its own rule ({@link LayerSpec#initialise}). java.util.Random is used because its sequence is
     * specified: a seed means the same weights on every JVM.
     */
    public static Parameters initialise(Architecture architecture, long seed) {
        Parameters p = zeros(architecture);
        Random rng = new Random(seed);
        int ordinal = 0;
        for (int i = 0; i < architecture.layers().size(); i++) {
            LayerSpec l = architecture.layers().get(i);
            if (!l.hasParameters()) continue;
            ordinal++;
            List<float[]> arrays = new ArrayList<>(), buffers = new ArrayList<>();
            for (ParamShape s : l.parameterShapes(architecture.widthBefore(i), ordinal)) arrays.add(p.values.get(s.name()));
            l.initialise(arrays, architecture.widthBefore(i), rng);
            for (ParamShape s : l.bufferShapes(architecture.widthBefore(i), ordinal)) buffers.add(p.values.get(s.name()));
            l.initialiseBuffers(buffers);
        }
        return p;
    }

    /** The network the parameters belong to. */
    public Architecture architecture() {
        return architecture;
    }

    /** The live array of parameter {@code name} (e.g. "W1"). */
    public float[] get(String name) {
        float[] v = values.get(name);
        if (v == null) throw new IllegalArgumentException("no parameter " + name + " in " + architecture);
        return v;
    }

    /** The names and shapes of the tensors held, in order: the parameters and the layers' buffers ({@link Architecture#stateShapes}). */
    public List<ParamShape> shapes() {
        return architecture.stateShapes();
    }

    /** A deep copy. */
    public Parameters copy() {
        Map<String, float[]> v = new LinkedHashMap<>();
        values.forEach((k, a) -> v.put(k, a.clone()));
        return new Parameters(architecture, v);
    }

    /** Whether both hold the same architecture and bit-identical values. */
    public boolean bitwiseEquals(Parameters o) {
        if (!architecture.equals(o.architecture)) return false;
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            if (!Arrays.equals(e.getValue(), o.values.get(e.getKey()))) return false;
        }
        return true;
    }

    /** The first parameter holding a NaN or infinity, or null when every value is finite. */
    public String firstNonFinite() {
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            for (float v : e.getValue()) if (!Float.isFinite(v)) return e.getKey();
        }
        return null;
    }

    /** Whether no value is NaN or infinite. */
    public boolean allFinite() {
        return firstNonFinite() == null;
    }
}
