package dev.clprop.optim;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Optimizer settings, with torch.optim semantics. Weight decay adds {@code wd·p} to the gradient first,
 * except in adamw, whose decay is decoupled from the gradient.
 * <ul>
 *   <li>sgd: p ← p − lr·g</li>
 *   <li>momentum: v ← μ·v + g; p ← p − lr·v (torch.optim.SGD with momentum, no dampening)</li>
 *   <li>adam: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 *       p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)</li>
 *   <li>adamw: p ← p·(1 − lr·wd) first, then adam's update with nothing added to g (torch.optim.AdamW;
 *       its weight decay defaults to 0.01)</li>
 * </ul>
 * Immutable; {@code Optimizer.adam(1e-3f)} and {@code Optimizer.momentum(0.05f, 0.9f)} are the usual entries.
 *
 * @param kind the update rule
 * @param learningRate lr
 * @param momentum μ, for momentum
 * @param beta1 β1, for adam and adamw
 * @param beta2 β2, for adam and adamw
 * @param epsilon ε, for adam and adamw
 * @param weightDecay wd: added to the gradient as wd·p, or decoupled for adamw
 */
public record Optimizer(Kind kind, float learningRate, float momentum, float beta1, float beta2, float epsilon, float weightDecay) {

    /** The update rule, and the per-parameter state it keeps (PyTorch's names for it). */
    public enum Kind {
        /** Plain stochastic gradient descent. */
        SGD("sgd", List.of()),
        /** SGD with a momentum buffer. */
        MOMENTUM("momentum", List.of("momentum_buffer")),
        /** Adam, with its two moment estimates. */
        ADAM("adam", List.of("exp_avg", "exp_avg_sq")),
        /** Adam with decoupled weight decay. */
        ADAMW("adamw", List.of("exp_avg", "exp_avg_sq"));

        private final String spelling;
        private final List<String> slots;

        Kind(String spelling, List<String> slots) {
            this.spelling = spelling;
            this.slots = slots;
        }

        /** The name the command line and checkpoints use. */
        public String spelling() {
            return spelling;
        }

        /** The state tensors kept per parameter, each the parameter's shape. */
        public List<String> slots() {
            return slots;
        }

        /** The integer the kernels switch on. */
        public int code() {
            return ordinal();
        }

        /** 0.001 for adam and adamw, 0.01 otherwise. */
        public float defaultLearningRate() {
            return usesMoments() ? 0.001f : 0.01f;
        }

        /** Adam's two moments and bias corrections (adam, adamw). */
        public boolean usesMoments() {
            return this == ADAM || this == ADAMW;
        }

        /** The weight decay PyTorch defaults to: 0.01 for AdamW, none for the rest. */
        public float defaultWeightDecay() {
            return this == ADAMW ? 0.01f : 0f;
        }

        /** The optimizer spelled {@code s}; anything else is an {@link dev.clprop.error.InvalidSettingException} listing the choices. */
        public static Kind parse(String s) {
            for (Kind k : values()) if (k.spelling.equals(s.trim().toLowerCase(Locale.ROOT))) return k;
            throw new InvalidSettingException("optimizer", Quote.of(s) + " is unknown (expected one of "
                    + Arrays.stream(values()).map(Kind::spelling).collect(Collectors.joining(", ")) + ")");
        }

        @Override
        public String toString() {
            return spelling;
        }
    }

    /** Checks the settings: a positive finite learning rate, momentum in [0, 1), and the rest. */
    public Optimizer {
        if (kind == null) throw new InvalidSettingException("optimizer", "must be given");
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new InvalidSettingException("learningRate", "must be a positive number, got " + learningRate);
        if (!(momentum >= 0 && momentum < 1)) throw new InvalidSettingException("momentum", "must be in [0, 1), got " + momentum);
        if (!(beta1 >= 0 && beta1 < 1)) throw new InvalidSettingException("beta1", "must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new InvalidSettingException("beta2", "must be in [0, 1), got " + beta2);
        if (!(epsilon > 0) || !Float.isFinite(epsilon)) throw new InvalidSettingException("epsilon", "must be a positive number, got " + epsilon);
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) throw new InvalidSettingException("weightDecay", "must be a number >= 0, got " + weightDecay);
    }

    /** The defaults PyTorch uses: momentum 0.9, β (0.9, 0.999), ε 1e-8, weight decay {@link Kind#defaultWeightDecay}. */
    public static Optimizer of(Kind kind, float learningRate) {
        if (kind == null) throw new InvalidSettingException("optimizer", "must be given");
        return new Optimizer(kind, learningRate, 0.9f, 0.9f, 0.999f, 1e-8f, kind.defaultWeightDecay());
    }

    /** Plain SGD: p ← p − lr·g. */
    public static Optimizer sgd(float learningRate) {
        return of(Kind.SGD, learningRate);
    }

    /** SGD with momentum, as torch.optim.SGD(momentum=μ). */
    public static Optimizer momentum(float learningRate, float momentum) {
        return of(Kind.MOMENTUM, learningRate).withMomentum(momentum);
    }

    /** Adam with β1 0.9, β2 0.999, ε 1e-8 and bias correction, as torch.optim.Adam. */
    public static Optimizer adam(float learningRate) {
        return of(Kind.ADAM, learningRate);
    }

    /** AdamW with β1 0.9, β2 0.999, ε 1e-8 and weight decay 0.01, as torch.optim.AdamW. */
    public static Optimizer adamw(float learningRate) {
        return of(Kind.ADAMW, learningRate);
    }

    /** This optimizer with weight decay {@code wd}: added to each gradient as wd·p (L2), or decoupled for adamw. */
    public Optimizer withWeightDecay(float wd) {
        return new Optimizer(kind, learningRate, momentum, beta1, beta2, epsilon, wd);
    }

    /** This optimizer with another momentum. */
    public Optimizer withMomentum(float mu) {
        return new Optimizer(kind, learningRate, mu, beta1, beta2, epsilon, weightDecay);
    }

    /** This optimizer with another learning rate. */
    public Optimizer withLearningRate(float lr) {
        return new Optimizer(kind, lr, momentum, beta1, beta2, epsilon, weightDecay);
    }

    /** What weight decay adds to the gradient: wd·p with this factor (0 for adamw, whose decay is decoupled). */
    public float gradientDecay() {
        return kind == Kind.ADAMW ? 0f : weightDecay;
    }

    /**
     * The factor each parameter is multiplied by before the update: 1 − lr·wd for adamw, else 1.
     * Computed once on the host, in double as PyTorch does, so both backends use the same float.
     */
    public float parameterDecay() {
        return kind == Kind.ADAMW ? (float) (1.0 - (double) learningRate * weightDecay) : 1f;
    }

    /** 1 − β1ᵗ, computed in double on the host so both backends use the same value. */
    public float biasCorrection1(long step) {
        return (float) (1.0 - Math.pow(beta1, step));
    }

    /** 1 − β2ᵗ. */
    public float biasCorrection2(long step) {
        return (float) (1.0 - Math.pow(beta2, step));
    }

    /** e.g. "adam lr 0.001" or "momentum lr 0.05 momentum 0.9 weight-decay 0.001". */
    public String describe() {
        StringBuilder sb = new StringBuilder(kind.spelling()).append(" lr ").append(learningRate);
        if (kind == Kind.MOMENTUM) sb.append(" momentum ").append(momentum);
        if (weightDecay != 0) sb.append(" weight-decay ").append(weightDecay);
        return sb.toString();
    }
}
