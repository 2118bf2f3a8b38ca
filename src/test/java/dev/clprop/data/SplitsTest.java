package dev.clprop.data;

import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void quotasAddUpAndFollowTheLargestRemainders() {
        assertArrayEquals(new int[]{3, 1}, Splits.quotas(new int[]{9, 3}, 4), "exact shares");
        // 10 rows, 3 held: shares 1.5, 1.2, 0.3 -> floors 1,1,0, one more to class 0 (remainder .5)
        assertArrayEquals(new int[]{2, 1, 0}, Splits.quotas(new int[]{5, 4, 1}, 3));
        // ties go to the lower class: shares 0.5, 0.5
        assertArrayEquals(new int[]{1, 0}, Splits.quotas(new int[]{1, 1}, 1));
        assertArrayEquals(new int[]{0, 0, 0}, Splits.quotas(new int[]{4, 0, 3}, 0));
        assertArrayEquals(new int[]{2, 0, 1}, Splits.quotas(new int[]{4, 0, 3}, 3), "an empty class gets nothing");
    }

    @Test
    void classificationSplitsAreStratified() {
        // 90 rows of class 0, 10 of class 1 (a rare class at the end of the file)
        float[] x = new float[100];
        int[] y = new int[100];
        for (int i = 0; i < 100; i++) {
            x[i] = i;
            y[i] = i < 90 ? 0 : 1;
        }
        Dataset d = Dataset.classification("d", x, 1, y, null);
        for (long seed = 0; seed < 20; seed++) {
            Dataset[] p = Splits.validation(d, 0.2, seed);
            assertArrayEquals(new int[]{72, 8}, p[0].classCounts(), "seed " + seed);
            assertArrayEquals(new int[]{18, 2}, p[1].classCounts(), "seed " + seed);
            float[] v = p[1].featureMatrix();
            for (int i = 1; i < v.length; i++) assertTrue(v[i - 1] < v[i], "file order kept");
        }
        // pinned: which rows a seed holds out must not change between versions
        Dataset[] p = Splits.validation(d, 0.2, 42);
        assertArrayEquals(new float[]{5, 6, 8, 21, 26, 33, 36, 56, 58, 60, 61, 64, 71, 77, 80, 81, 83, 87, 97, 98}, p[1].featureMatrix(),
                "worked out independently by a Python copy of java.util.Random");
        // the two parts hold every row once
        float[] all = new float[100];
        for (Dataset part : p) for (float f : part.featureMatrix()) all[(int) f]++;
        for (float c : all) assertEquals(1f, c);
    }

    @Test
    void regressionSplitsAreNotStratified() {
        float[] x = new float[10];
        float[] t = new float[10];
        for (int i = 0; i < 10; i++) x[i] = t[i] = i;
        Dataset[] p = Splits.validation(Dataset.regression("r", x, 1, t, 1, null), 0.3, 42);
        assertArrayEquals(new float[]{6, 7, 9}, p[1].featureMatrix(), "the same rows as a one-class split");
    }
}
