package dev.clprop.spark;

import dev.clprop.ClpropTestBase;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * How averaging mode combines the partitions' rounds ({@link RoundTask.Result}), without Spark: the
 * average is weighted by rows, a lone partition's values pass unchanged (and stay float on the wire),
 * a partition that trained no rows counts for nothing, and a tree of combinations gives the flat one.
 */
class RoundResultTest extends ClpropTestBase {
    /** A partition's result: one parameter of two values, one optimizer slot of two values. */
    static RoundTask.Result partition(double rows, float w0, float w1, float s0, float s1) {
        RoundTask.Result r = new RoundTask.Result();
        r.weight = rows;
        r.params = new float[][]{{w0, w1}};
        r.state = new float[][][]{{{s0, s1}}};
        r.batchLoss = new double[]{rows * 0.5};
        r.batchWeight = new double[]{rows};
        return r;
    }

    @Test
    void theAverageIsWeightedByRows() {
        RoundTask.Result r = new RoundTask.Result().add(partition(3, 1f, 2f, 10f, 20f)).add(partition(1, 5f, 6f, 30f, 40f));
        assertArrayEquals(new float[]{2f, 3f}, r.averagedParams(0), "(3*1 + 1*5)/4, (3*2 + 1*6)/4");
        assertArrayEquals(new float[]{15f, 25f}, r.averagedState(0)[0]);
        assertEquals(4, r.weight);
        assertArrayEquals(new double[]{2.0}, r.batchLoss);
        assertArrayEquals(new double[]{4.0}, r.batchWeight);
    }

    @Test
    void aLonePartitionsValuesPassUnchangedAndStayFloat() {
        float w = 0.1f, s = 1e-7f;
        RoundTask.Result one = partition(7, w, -w, s, 3 * s);
        RoundTask.Result r = new RoundTask.Result().add(one);
        assertNull(r.paramSums, "a single partition's result is taken as it is, not widened to double");
        assertNotNull(r.params);
        assertArrayEquals(new float[]{w, -w}, r.averagedParams(0));
        assertArrayEquals(new float[]{s, 3 * s}, r.averagedState(0)[0]);
        r.averagedParams(0)[0] = 99f;
        assertEquals(w, one.params[0][0], "the average is a copy");
    }

    @Test
    void aPartitionWithoutRowsCountsForNothing() {
        RoundTask.Result empty = new RoundTask.Result();
        empty.batchLoss = new double[]{0};
        empty.batchWeight = new double[]{0};
        RoundTask.Result r = new RoundTask.Result().add(empty).add(partition(2, 1f, 2f, 3f, 4f)).add(empty);
        assertArrayEquals(new float[]{1f, 2f}, r.averagedParams(0));
        assertEquals(2, r.weight);
    }

    @Test
    void aTreeOfCombinationsGivesTheFlatAverage() {
        float[][] v = new float[4][];
        for (int p = 0; p < 4; p++) v[p] = randomArray(4, 1.0);
        RoundTask.Result flat = new RoundTask.Result(), left = new RoundTask.Result(), right = new RoundTask.Result();
        for (int p = 0; p < 4; p++) {
            flat.add(partition(p + 1, v[p][0], v[p][1], v[p][2], v[p][3]));
            (p < 2 ? left : right).add(partition(p + 1, v[p][0], v[p][1], v[p][2], v[p][3]));
        }
        RoundTask.Result tree = new RoundTask.Result().add(left).add(right);
        assertArrayEquals(flat.averagedParams(0), tree.averagedParams(0), 1e-7f);
        assertArrayEquals(flat.averagedState(0)[0], tree.averagedState(0)[0], 1e-7f);
        double w0 = 0, w1 = 0;
        for (int p = 0; p < 4; p++) {
            w0 += (p + 1) * (double) v[p][0];
            w1 += (p + 1) * (double) v[p][2];
        }
        assertEquals((float) (w0 / 10), flat.averagedParams(0)[0]);
        assertEquals((float) (w1 / 10), flat.averagedState(0)[0][0]);
    }
}
