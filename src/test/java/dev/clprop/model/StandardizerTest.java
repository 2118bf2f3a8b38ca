package dev.clprop.model;

import dev.clprop.error.InvalidInputException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Standardization by the numbers. */
class StandardizerTest {
    @Test
    void fitsMeanAndPopulationStandardDeviationPerFeature() {
        // feature 1: 1, 2, 3, 6 -> mean 3, variance (4+1+0+9)/4 = 3.5; feature 2: constant 5
        float[] x = {1, 5, 2, 5, 3, 5, 6, 5};
        Standardizer s = Standardizer.fit(x, 4, 2);
        assertArrayEquals(new float[]{3f, 5f}, s.shift());
        assertArrayEquals(new float[]{(float) Math.sqrt(3.5), 1f}, s.scale(), "a constant feature keeps scale 1");
        float[] t = s.apply(x);
        assertEquals((1 - 3) / (float) Math.sqrt(3.5), t[0], 0f);
        assertEquals(0f, t[1], 0f, "the constant feature is centred");
        double mean = 0, sq = 0;
        for (int r = 0; r < 4; r++) {
            mean += t[2 * r];
            sq += t[2 * r] * t[2 * r];
        }
        assertEquals(0, mean / 4, 1e-6);
        assertEquals(1, sq / 4, 1e-6);
        assertArrayEquals(new float[]{1, 5, 2, 5, 3, 5, 6, 5}, x, "the input is not modified");
    }

    @Test
    void refusesWhatCannotBeApplied() {
        assertThrows(InvalidInputException.class, () -> new Standardizer(new float[]{0, 0}, new float[]{1}));
        assertThrows(InvalidInputException.class, () -> new Standardizer(new float[]{0}, new float[]{0}));
        assertThrows(InvalidInputException.class, () -> new Standardizer(new float[]{Float.NaN}, new float[]{1}));
        assertThrows(InvalidInputException.class, () -> new Standardizer(new float[]{0}, new float[]{-2}));
        Standardizer s = new Standardizer(new float[]{1, 2}, new float[]{2, 4});
        assertThrows(InvalidInputException.class, () -> s.apply(new float[]{1, 2, 3}));
        assertArrayEquals(new float[]{0.5f, 0.5f}, s.apply(new float[]{2, 4}));
    }
}
