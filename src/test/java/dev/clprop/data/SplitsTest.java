package dev.clprop.data;

import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Seeds mean the same rows on every JVM and in every version: these permutations and splits are
 * pinned, so a change to how a seed is used (which would silently change everyone's results) fails.
 */
class SplitsTest {
    static Dataset rows(int n) {
        float[] x = new float[n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) x[i] = i;
        return Dataset.classification("d", x, 1, y, null);
    }

    @Test
    void permutationsArePinned() {
        assertArrayEquals(new int[]{4, 6, 2, 1, 7, 9, 8, 5, 3, 0}, Splits.permutation(10, 42));
        assertArrayEquals(new int[]{0}, Splits.permutation(1, 42));
        assertArrayEquals(new int[]{0, 1, 2}, Splits.identity(3));
        assertArrayEquals(new int[]{0, 1, 2, 3}, Splits.epochOrder(4, 42, 3, false));
        assertArrayEquals(Splits.permutation(10, 42 * 0x9E3779B97F4A7C15L + 2), Splits.epochOrder(10, 42, 2, true));
    }

    @Test
    void validationSplitsArePinnedAndKeepFileOrder() {
        Dataset[] p = Splits.validation(rows(10), 0.3, 42);
        assertArrayEquals(new float[]{0, 1, 2, 3, 4, 5, 8}, p[0].featureMatrix());
        assertArrayEquals(new float[]{6, 7, 9}, p[1].featureMatrix());
        assertEquals("d (train part)", p[0].name());
        assertEquals("d (validation part)", p[1].name());
    }

    @Test
    void validationFractionsAtTheirBounds() {
        assertEquals(1, Splits.validation(rows(2), 0.5, 1)[1].rows(), "one row each side");
        assertEquals(1, Splits.validation(rows(10), 0.05, 1)[1].rows(), "0.5 rows round to one");
        for (double bad : new double[]{0, 1, -0.1, 1.5}) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Splits.validation(rows(10), bad, 1));
            assertEquals("validationSplit must be between 0 and 1 (exclusive), got " + bad, e.getMessage());
        }
        assertEquals("validationSplit 0.04 leaves no rows for training or validation (10 rows)",
                assertThrows(InvalidSettingException.class, () -> Splits.validation(rows(10), 0.04, 1)).getMessage());
        assertEquals("validationSplit 0.96 leaves no rows for training or validation (10 rows)",
                assertThrows(InvalidSettingException.class, () -> Splits.validation(rows(10), 0.96, 1)).getMessage());
    }
}
