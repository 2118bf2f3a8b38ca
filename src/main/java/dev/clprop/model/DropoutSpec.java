package dev.clprop.model;

import dev.clprop.error.InvalidSettingException;

import java.util.List;
import java.util.Random;

/**
 * Inverted dropout, as PyTorch's {@code nn.Dropout(p)}: while training, each element is zeroed with
 * probability p and the rest are scaled by 1/(1−p); in evaluation and prediction it passes its input
 * through. Written {@code dropout:P}. No parameters. Which elements drop is decided by {@link #keeps},
 * a hash of (seed, step, layer, element), so that every device draws the same masks and a resumed run
 * repeats an uninterrupted one.
 */
public record DropoutSpec(float p) implements LayerSpec {
    /** The mask compares 24-bit hash values with {@code p·2^24}. */
    static final int BITS = 24;

    /** Checks the probability: in [0, 1). */
    public DropoutSpec {
        if (!(p >= 0 && p < 1)) throw new InvalidSettingException("dropout", "probability must be in [0, 1), got " + p);
    }

    /** {@code dropout:P}, P in [0, 1); null for another element. */
    static LayerSpec parse(SpecElement e) {
        if (!e.is("dropout")) return null;
        String[] f = e.fields();
        if (f.length != 2) throw e.malformed("is not dropout:P");
        float p;
        try {
            p = Float.parseFloat(f[1]);
        } catch (NumberFormatException ex) {
            throw e.malformed(": the dropout probability is not a number");
        }
        if (!(p >= 0 && p < 1)) throw e.malformed(": the dropout probability must be in [0, 1)");
        return new DropoutSpec(p);
    }

    @Override
    public String spelling() {
        return "dropout:" + p;
    }

    @Override
    public List<ParamShape> parameterShapes(int inputWidth, int ordinal) {
        return List.of();
    }

    @Override
    public void initialise(List<float[]> parameters, int inputWidth, Random rng) {
        // no parameters, draws nothing
    }

    @Override
    public List<String> torchModules(int inputWidth) {
        return List.of("nn.Dropout(" + p + ")");
    }

    @Override
    public List<String> torchParameters() {
        return List.of();
    }

    /** Elements whose 24-bit hash is below this are dropped: round(p·2^24). */
    public int threshold() {
        return Math.round(p * (1 << BITS));
    }

    /** What a kept element is multiplied by: 1/(1−p) in float, as the kernels compute it (exactly 1 for p = 0). */
    public float scale() {
        return 1f / (1f - p);
    }

    /** The key of one layer's masks in one optimizer step: each element's draw hashes it with the element's index. */
    public static long key(long seed, long step, int layer) {
        return mix(mix(mix(seed) ^ step) ^ layer);
    }

    /** Whether element {@code i} of a mask with this key survives (the same function as kernels/dropout.cl). */
    public static boolean keeps(long key, long i, int threshold) {
        return (int) (mix(key + i * GOLDEN) >>> (64 - BITS)) >= threshold;
    }

    /**
     * The key whose element i is element {@code first + i} of {@code key}'s mask: a mask over part of
     * a batch, drawn by a kernel that counts elements from 0.
     */
    public static long shift(long key, long first) {
        return key + first * GOLDEN;
    }

    /** The odd constant that spreads consecutive element indices over the hash's input (2^64 / golden ratio). */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's finalizer: a bijection of 64-bit values whose outputs look independent. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The identity: dropout does nothing outside training. */
    @Override
    public List<OnnxNode> onnxNodes(int inputWidth, List<ParamShape> parameters, List<ParamShape> buffers) {
        return List.of();
    }

    /** The identity: the random mask is not part of the float64 reference. */
    @Override
    public double[] exactForward(double[] a, int rows, int inputWidth, List<double[]> parameters) {
        return a.clone();
    }

    @Override
    public String toString() {
        return spelling();
    }
}
