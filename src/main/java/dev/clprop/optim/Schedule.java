package dev.clprop.optim;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;

import java.util.Locale;

/**
 * How the learning rate changes during a run, with PyTorch's formulas. A per-epoch rule, stepped
 * once per epoch (epoch e counts from 1, as PyTorch's scheduler after e−1 calls of {@code step()}):
 * <ul>
 *   <li>{@code constant}: the base rate;</li>
 *   <li>{@code step:S:G}: StepLR, lr·G^⌊(e−1)/S⌋;</li>
 *   <li>{@code cosine} or {@code cosine:T}: CosineAnnealingLR with eta_min 0,
 *       lr·(1 + cos(π(e−1)/T))/2, T the number of epochs unless given;</li>
 * </ul>
 * optionally after {@code warmup:N}: a linear ramp over the first N optimizer steps, step t (from 1)
 * using t/N of the rate, written {@code warmup:N} alone or {@code warmup:N+cosine},
 * {@code warmup:N+step:S:G}. Immutable.
 */
public record Schedule(int warmupSteps, Rule rule, int stepSize, double gamma, int period) {
    /** The per-epoch part. */
    public enum Rule {
        /** No change after the warm-up. */
        CONSTANT,
        /** StepLR: times gamma every stepSize epochs. */
        STEP,
        /** CosineAnnealingLR over period epochs. */
        COSINE
    }

    /** The learning rate as set, throughout. */
    public static final Schedule CONSTANT = new Schedule(0, Rule.CONSTANT, 0, 1, 0);

    /** Checks the schedule: steps and periods positive where used, a factor in (0, 1]. */
    public Schedule {
        if (warmupSteps < 0) throw new InvalidSettingException("schedule", "warmup must be a positive number of steps, got " + warmupSteps);
        if (rule == Rule.STEP && (stepSize < 1 || !(gamma > 0) || !Double.isFinite(gamma))) {
            throw new InvalidSettingException("schedule", "step:S:G needs S a positive integer and G a positive number, got " + stepSize + " and " + gamma);
        }
        if (rule == Rule.COSINE && period < 0) throw new InvalidSettingException("schedule", "cosine:T needs T a positive integer, got " + period);
    }

    /** Reads constant, step:S:G, cosine[:T] and warmup:N[+...]; anything else is an {@link dev.clprop.error.InvalidSettingException}. */
    public static Schedule parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        int warmup = 0;
        if (t.startsWith("warmup:")) {
            int plus = t.indexOf('+');
            warmup = positive(t.substring(7, plus < 0 ? t.length() : plus), s, "warmup:N");
            if (plus < 0) return new Schedule(warmup, Rule.CONSTANT, 0, 1, 0);
            t = t.substring(plus + 1);
        }
        String[] f = t.split(":", -1);
        switch (f[0]) {
            case "constant":
                if (f.length == 1) return new Schedule(warmup, Rule.CONSTANT, 0, 1, 0);
                break;
            case "step":
                if (f.length == 3) {
                    double g;
                    try {
                        g = Double.parseDouble(f[2]);
                    } catch (NumberFormatException e) {
                        throw bad(s, "the gamma of step:S:G is not a number");
                    }
                    return new Schedule(warmup, Rule.STEP, positive(f[1], s, "step:S:G"), g, 0);
                }
                break;
            case "cosine":
                if (f.length == 1) return new Schedule(warmup, Rule.COSINE, 0, 1, 0);
                if (f.length == 2) return new Schedule(warmup, Rule.COSINE, 0, 1, positive(f[1], s, "cosine:T"));
                break;
            default:
                break;
        }
        throw bad(s, "expected constant, step:S:G, cosine, cosine:T or warmup:N, alone or as warmup:N+cosine");
    }

    private static int positive(String v, String s, String what) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(s, "the number in " + what + " must be a positive integer");
    }

    private static InvalidSettingException bad(String s, String why) {
        return new InvalidSettingException("schedule", Quote.of(s) + " is malformed: " + why);
    }

    /**
     * The learning rate of optimizer step {@code step} (from 1), which falls in epoch {@code epoch}
     * (from 1) of a run of {@code epochs}.
     */
    public float learningRate(float base, int epoch, int epochs, long step) {
        double lr = base;
        switch (rule) {
            case STEP -> lr *= Math.pow(gamma, (epoch - 1) / stepSize);
            case COSINE -> lr *= (1 + Math.cos(Math.PI * (epoch - 1) / (period > 0 ? period : epochs))) / 2;
            default -> { }
        }
        if (warmupSteps > 0 && step < warmupSteps) lr *= (double) step / warmupSteps;
        return (float) lr;
    }

    /** Whether the learning rate never changes. */
    public boolean isConstant() {
        return this.equals(CONSTANT);
    }

    /** The form {@link #parse} reads back. */
    public String spelling() {
        String r = switch (rule) {
            case CONSTANT -> "constant";
            case STEP -> "step:" + stepSize + ":" + gamma;
            case COSINE -> period > 0 ? "cosine:" + period : "cosine";
        };
        if (warmupSteps == 0) return r;
        return rule == Rule.CONSTANT ? "warmup:" + warmupSteps : "warmup:" + warmupSteps + "+" + r;
    }

    @Override
    public String toString() {
        return spelling();
    }
}
