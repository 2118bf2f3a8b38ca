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

    /** Labels 0,0,0,1 predicted 0,0,1,1, with a third output no row has or gets. */
    static Metrics unevenClasses() {
        Dataset d = Dataset.classification(new float[][]{{0}, {0}, {0}, {0}}, new int[]{0, 0, 0, 1});
        float[] p = {0.9f, 0.1f, 0, 0.8f, 0.2f, 0, 0.4f, 0.6f, 0, 0.3f, 0.7f, 0};
        return Metrics.of(d, Loss.CROSS_ENTROPY, p, 3);
    }

    @Test
    void perClassFiguresWorkedOutByHand() {
        Metrics m = unevenClasses();
        // class 0: TP 2, FP 0, FN 1; class 1: TP 1, FP 1, FN 0
        assertEquals(1.0, m.precision(0), 1e-12);
        assertEquals(2.0 / 3, m.recall(0), 1e-12);
        assertEquals(0.8, m.f1(0), 1e-12);
        assertEquals(3, m.support(0));
        assertEquals(0.5, m.precision(1), 1e-12);
        assertEquals(1.0, m.recall(1), 1e-12);
        assertEquals(2.0 / 3, m.f1(1), 1e-12);
        assertEquals(1, m.support(1));
        assertEquals(0, m.precision(2), 0, "nothing predicted: 0, not NaN");
        assertEquals(0, m.f1(2), 0);
        assertEquals(3, m.classes());
    }

    @Test
    void averagesSkipClassesThatNeverOccur() {
        Metrics m = unevenClasses();
        assertEquals((1.0 + 0.5) / 2, m.macroPrecision(), 1e-12, "over classes 0 and 1, not the empty class 2");
        assertEquals((2.0 / 3 + 1) / 2, m.macroRecall(), 1e-12);
        assertEquals((0.8 + 2.0 / 3) / 2, m.macroF1(), 1e-12);
        assertEquals((0.8 * 3 + 2.0 / 3) / 4, m.weightedF1(), 1e-12);
        assertEquals((1.0 * 3 + 0.5) / 4, m.weightedPrecision(), 1e-12);
        assertEquals(m.accuracy(), m.weightedRecall(), 1e-12, "weighted recall is accuracy");
        assertEquals(0.75, m.accuracy(), 0);
    }

    @Test
    void reportReadsLikeScikitLearns() {
        String r = unevenClasses().report(java.util.List.of("no", "yes", "maybe"));
        String[] lines = r.split("\n");
        assertEquals("             precision    recall  f1-score   support", lines[0]);
        assertEquals("          no    1.0000    0.6667    0.8000         3", lines[1]);
        assertEquals("         yes    0.5000    1.0000    0.6667         1", lines[2]);
        assertEquals("", lines[3], "maybe never occurs, so it has no line");
        assertEquals("    accuracy                        0.7500         4", lines[4], "under f1-score");
        assertEquals("   macro avg    0.7500    0.8333    0.7333         4", lines[5]);
        assertEquals("weighted avg    0.8750    0.7500    0.7667         4", lines[6]);
        String t = unevenClasses().confusionTable(java.util.List.of("no", "yes", "maybe"));
        assertEquals("true\\pred    no   yes maybe\nno            2     1     0\nyes           0     1     0\nmaybe         0     0     0\n", t);
    }

    @Test
    void regressionFiguresPerTarget() {
        Dataset d = Dataset.regression(new float[][]{{0}, {0}}, new float[][]{{1, 2}, {3, 4}});
        Metrics m = Metrics.of(d, Loss.MSE, new float[]{1, 2, 3, 6}, 2);
        assertEquals(2, m.targets());
        assertEquals(0, m.mse(0), 0);
        assertEquals(0, m.mae(0), 0);
        assertEquals(1, m.r2(0), 0, "exact predictions");
        assertEquals(2, m.mse(1), 1e-12, "(0 + 4) / 2");
        assertEquals(Math.sqrt(2), m.rmse(1), 1e-12);
        assertEquals(1, m.mae(1), 1e-12);
        assertEquals(-1, m.r2(1), 1e-12, "1 - SS_res 4 / SS_tot 2");
        assertEquals(0, m.classes());
        String[] lines = m.report(java.util.List.of("x", "y")).split("\n");
        assertEquals("target          MSE         RMSE          MAE           R²", lines[0]);
        assertEquals("y           2.00000      1.41421      1.00000    -1.000000", lines[2]);
    }

    @Test
    void constantTargetsScoreAsScikitLearnDoes() {
        Dataset d = Dataset.regression(new float[][]{{0}, {0}}, new float[][]{{5}, {5}});
        assertEquals(1, Metrics.of(d, Loss.MSE, new float[]{5, 5}, 1).r2(0), 0, "exact");
        assertEquals(0, Metrics.of(d, Loss.MSE, new float[]{5, 6}, 1).r2(0), 0, "not exact: 0, not -inf");
    }
}
