package dev.clprop.optim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's state on the host: the step count (Adam's t) and, per parameter name, one array per
 * slot of {@link Optimizer.Kind#slots()} (e.g. W1 → {exp_avg, exp_avg_sq}). Checkpoints hold it.
 */
public record OptimizerState(Optimizer.Kind kind, long step, Map<String, float[][]> slots) {
    /** Checks the state: a step count not negative, the slots of its kind. */
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

    /** Whether both hold the same step and bit-identical slots. */
    public boolean bitwiseEquals(OptimizerState o) {
        if (kind != o.kind || step != o.step || !slots.keySet().equals(o.slots.keySet())) return false;
        for (Map.Entry<String, float[][]> e : slots.entrySet()) {
            if (!Arrays.deepEquals(e.getValue(), o.slots.get(e.getKey()))) return false;
        }
        return true;
    }
}
