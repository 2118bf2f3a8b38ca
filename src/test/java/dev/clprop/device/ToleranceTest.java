package dev.clprop.device;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one tolerance policy: |actual − expected| ≤ atol + rtol·|expected|, element by element. */
class ToleranceTest {
    static boolean ok(double actual, double expected) {
        return Tolerance.OP.compare(new float[]{(float) actual}, new float[]{(float) expected}).ok();
    }

    @Test
    void theAbsoluteTermAloneNearZero() {
        assertTrue(ok(0, 0));
        assertTrue(ok(9e-6, 0));
        assertTrue(ok(-9e-6, 0));
        assertFalse(ok(1.1e-5, 0));
        assertFalse(ok(-1.1e-5, 0));
    }

    @Test
    void theRelativeTermScalesWithTheExpectedValue() {
        assertTrue(ok(1000.09, 1000), "bound 1e-5 + 0.1");
        assertFalse(ok(1000.11, 1000));
        assertTrue(ok(-1000.09, -1000), "|expected|, for negative values too");
        assertFalse(ok(-1000.11, -1000));
        // the relative term is taken from the expected value, not the actual one
        assertFalse(ok(10000, 9999), "1 > 1e-5 + 1e-4 * 9999");
        assertTrue(ok(9999, 10000), "1 <= 1e-5 + 1e-4 * 10000");
    }

    @Test
    void nonFiniteValuesAlwaysFailAndAreLocated() {
        float[] expected = {1, 2, 3, 4};
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Tolerance.Report r = Tolerance.OP.compare(new float[]{1, 2, bad, 4}, expected);
            assertFalse(r.ok(), "actual " + bad);
            assertEquals(2, r.worstIndex());
            assertTrue(Double.isNaN(r.maxAbs()));
            assertTrue(r.describe().contains("(at index 2)"), r.describe());
            assertFalse(Tolerance.OP.compare(expected, new float[]{1, 2, bad, 4}).ok(), "expected " + bad);
        }
        assertFalse(ok(Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY), "infinity cannot bound anything");
    }

    @Test
    void theReportGivesTheLargestDifferencesAndTheWorstElement() {
        Tolerance.Report r = Tolerance.OP.compare(new float[]{1.0f, 2.5f, 3.0f, 100f}, new float[]{1.0f, 2.0f, 3.0f, 100.5f});
        assertFalse(r.ok());
        assertEquals(0.5, r.maxAbs(), 1e-6);
        assertEquals(1, r.worstIndex(), "0.5 over a bound of ~2e-4 is worse than 0.5 over ~0.01");
        assertEquals(0.25, r.maxRel(), 1e-6);
        Tolerance.Report good = Tolerance.OP.compare(new float[]{1f, 2f}, new float[]{1f, 2f});
        assertTrue(good.ok());
        assertEquals(-1, good.worstIndex());
        assertEquals(0, good.maxAbs());
    }

    @Test
    void onlyTheFirstNElementsAreCompared() {
        float[] a = {1, 2, 99}, e = {1, 2, 3};
        assertTrue(Tolerance.OP.compare(a, e, 2).ok());
        assertFalse(Tolerance.OP.compare(a, e, 3).ok());
    }

    @Test
    void gemmToleranceGrowsWithTheInnerDimension() {
        assertEquals(Tolerance.OP.atol() + 2e-7 * 1000, Tolerance.gemm(1000).atol(), 1e-15);
        assertEquals(Tolerance.OP.rtol(), Tolerance.gemm(1000).rtol());
        assertTrue(Tolerance.gemm(1000).compare(new float[]{1e-4f}, new float[]{0}).ok());
        assertFalse(Tolerance.gemm(10).compare(new float[]{1e-4f}, new float[]{0}).ok());
    }
}
