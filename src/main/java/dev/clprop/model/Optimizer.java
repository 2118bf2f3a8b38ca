package dev.clprop.model;

import dev.clprop.UserError;

import java.util.Locale;

/**
 * Optimizer settings, with torch.optim semantics. Weight decay adds {@code wd·p} to the gradient first.
 * <ul>
 *   <li>sgd: p ← p − lr·g</li>
 *   <li>momentum: v ← μ·v + g; p ← p − lr·v (torch.optim.SGD with momentum, no dampening)</li>
 *   <li>adam: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 *       p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)</li>
 * </ul>
 */
public record Optimizer(Kind kind, float lr, float momentum, float beta1, float beta2, float eps, float weightDecay) {

    /** {@link #code} must match the OPT_* constants in kernels/optimizer.cl. */
    public enum Kind {
        SGD("sgd", 0), MOMENTUM("momentum", 1), ADAM("adam", 2);

        public final String spelling;
        public final int code;

        Kind(String spelling, int code) {
            this.spelling = spelling;
            this.code = code;
        }

        public static Kind parse(String s) {
            for (Kind k : values()) if (k.spelling.equals(s.toLowerCase(Locale.ROOT))) return k;
            throw new UserError("unknown optimizer '" + s + "' (expected one of sgd, momentum, adam)");
        }

        /** How many state tensors per parameter the optimizer keeps. */
        public int stateTensors() {
            return this == SGD ? 0 : this == MOMENTUM ? 1 : 2;
        }

        @Override
        public String toString() {
            return spelling;
        }
    }

    public Optimizer {
        if (!(lr > 0) || !Float.isFinite(lr)) throw new UserError("--lr must be a positive number, got " + lr);
        if (!(momentum >= 0 && momentum < 1)) throw new UserError("--momentum must be in [0, 1), got " + momentum);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new UserError("adam betas must be in [0, 1)");
        if (!(eps > 0)) throw new UserError("adam epsilon must be positive, got " + eps);
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) throw new UserError("--weight-decay must be >= 0, got " + weightDecay);
    }

    public static Optimizer of(Kind kind, float lr) {
        return new Optimizer(kind, lr, 0.9f, 0.9f, 0.999f, 1e-8f, 0f);
    }

    public Optimizer withWeightDecay(float wd) {
        return new Optimizer(kind, lr, momentum, beta1, beta2, eps, wd);
    }

    public Optimizer withMomentum(float mu) {
        return new Optimizer(kind, lr, mu, beta1, beta2, eps, weightDecay);
    }

    /** 1 − β1ᵗ, computed in double on the host so both backends use the same value. */
    public float biasCorrection1(int step) {
        return (float) (1.0 - Math.pow(beta1, step));
    }

    /** 1 − β2ᵗ. */
    public float biasCorrection2(int step) {
        return (float) (1.0 - Math.pow(beta2, step));
    }
}
