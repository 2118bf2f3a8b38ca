package dev.clprop.optim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's state on the host: the step count (Adam's t) and, per parameter name, one array per
 * slot of {@link Optimizer.Kind#slots()} (e.g. W1 → {exp_avg, exp_avg_sq}). Checkpoints hold it.
 */
public record OptimizerState(Optimizer.Kind kind, long step, Map<String, float[][]> slots) {
    /** Keeps an unmodifiable copy of the map of slots. */
    public OptimizerState {
        slots = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(slots));
    }

    /** The array of slot {@code slot} (e.g. "exp_avg") of parameter {@code param}. */
    public float[] get(String param, String slot) {
        int i = kind.slots().indexOf(slot);
        float[][] s = slots.get(param);
        if (i < 0 || s == null) throw new IllegalArgumentException("no " + slot + " state for " + param);
        return s[i];
    }

    /**
     * The first slot holding NaN or an infinity, named as a checkpoint names it ({@code state.W1.exp_avg}), or null.
     *
     * @return the slot's name, or null when every value is finite
     */
    public String firstNonFinite() {
        for (Map.Entry<String, float[][]> e : slots.entrySet()) {
            for (int i = 0; i < e.getValue().length; i++) {
                for (float v : e.getValue()[i]) if (!Float.isFinite(v)) return "state." + e.getKey() + "." + kind.slots().get(i);
            }
        }
        return null;
    }

    /** Whether both hold the same step and bit-identical slots. */
    public boolean bitwiseEquals(OptimizerState o) {
        if (kind != o.kind || step != o.step || !slots.keySet().equals(o.slots.keySet())) return false;
        for (Map.Entry<String, float[][]> e : slots.entrySet()) {
            if (!Arrays.deepEquals(e.getValue(), o.slots.get(e.getKey()))) return false;
        }
        return true;
    }
}
