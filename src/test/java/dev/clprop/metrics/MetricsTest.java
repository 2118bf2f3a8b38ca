package dev.clprop.metrics;

import dev.clprop.data.Dataset;
import dev.clprop.loss.Loss;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metrics from outputs whose right answers are worked out by hand. */
class MetricsTest {
    @Test
    void accuracyConfusionAndCrossEntropyOfKnownOutputs() {
        // 4 rows, 3 classes; labels 0, 1, 2, 2; predictions (argmax) 0, 2, 2, 1
        Dataset d = Dataset.classification(new float[][]{{0}, {0}, {0}, {0}}, new int[]{0, 1, 2, 2});
        float[] p = {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f, 0.2f, 0.2f, 0.6f, 0.1f, 0.5f, 0.4f};
        Metrics m = Metrics.of(d, Loss.CROSS_ENTROPY, p, 3);
        assertEquals(0.5, m.accuracy(), 0);
        assertArrayEquals(new long[]{1, 0, 0}, m.confusion()[0]);
        assertArrayEquals(new long[]{0, 0, 1}, m.confusion()[1]);
        assertArrayEquals(new long[]{0, 1, 1}, m.confusion()[2]);
        double ce = -(Math.log(0.7) + Math.log(0.3) + Math.log(0.6) + Math.log(0.4)) / 4;
        assertEquals(ce, m.loss(), 1e-6);
        assertTrue(m.isClassification());
        assertTrue(m.confusionTable().contains("true\\pred"));
    }

    @Test
    void argmaxTakesTheFirstOfTies() {
        assertEquals(2, Metrics.argmax(new float[]{0, 1, 5, 5, 2}, 0, 5));
        assertEquals(2, Metrics.argmax(new float[]{9, 0, 1, 5}, 1, 3), "from an offset, counting from it: 0, 1, 5");
        assertEquals(0, Metrics.argmax(new float[]{3, 3}, 0, 2));
    }

    @Test
    void uniformOutputsScoreLnCAndChance() {
        Dataset d = Dataset.classification(new float[][]{{0}, {0}}, new int[]{1, 3});
        float[] p = new float[8];
        java.util.Arrays.fill(p, 0.25f);
        Metrics m = Metrics.of(d, Loss.CROSS_ENTROPY, p, 4);
        assertEquals(Math.log(4), m.loss(), 1e-6);
        assertEquals(0, m.accuracy(), 0, "ties go to class 0, which neither row has");
    }

    @Test
    void regressionMeanSquaredError() {
        Dataset d = Dataset.regression(new float[][]{{0}, {0}}, new float[][]{{1, 2}, {3, 4}});
        Metrics m = Metrics.of(d, Loss.MSE, new float[]{1, 2, 3, 6}, 2);
        assertEquals(1.0, m.mse(), 1e-9, "(0 + 0 + 0 + 4) / 4");
        assertEquals(1.0, m.loss(), 1e-9);
        assertNull(m.confusion());
        assertTrue(Double.isNaN(m.accuracy()));
    }
}
