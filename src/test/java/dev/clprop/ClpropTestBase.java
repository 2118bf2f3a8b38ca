package dev.clprop;

import dev.clprop.device.Tolerance;
import org.junit.jupiter.api.BeforeEach;

import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seeded randomness and the project's tolerance policy for every test. */
public abstract class ClpropTestBase {
    /** Worked examples are reproduced to this absolute tolerance (float32 arithmetic). */
    public static final double GOLDEN_ATOL = 1e-6;

    protected Random rng;

    @BeforeEach
    void seed() {
        rng = new Random(0xC1A9F0L);
    }

    protected float[] randomArray(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return v;
    }

    /** Parameters of {@code arch} from name/array pairs: {@code params(arch, "W1", w1, "b1", b1)}. */
    protected static Parameters params(Architecture arch, Object... nameAndValues) {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (int i = 0; i < nameAndValues.length; i += 2) v.put((String) nameAndValues[i], ((float[]) nameAndValues[i + 1]).clone());
        return new Parameters(arch, v);
    }

    protected static void assertClose(Tolerance tol, float[] actual, float[] expected, String what) {
        Tolerance.Report r = tol.compare(actual, expected);
        assertTrue(r.ok(), what + ": " + r.describe());
    }

    protected static void assertClose(double atol, double[] expected, float[] actual, String what) {
        assertTrue(expected.length == actual.length, what + ": length " + actual.length + " != " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= atol,
                    what + "[" + i + "]: expected " + expected[i] + " got " + actual[i] + " (|diff| " + Math.abs(expected[i] - actual[i]) + " > " + atol + ")");
        }
    }
}
