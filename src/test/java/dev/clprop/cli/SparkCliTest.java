package dev.clprop.cli;

import dev.clprop.ClpropTestBase;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train --spark local[2]} as a user runs it: the digits model of one machine, and clear refusals. */
class SparkCliTest extends ClpropTestBase {
    @Test
    void localTwoTrainsTheDigitsModelOfOneMachine() {
        // the same validation split as one machine's: made before the rows go to Spark, evaluated on the driver
        CliRunner spark = CliRunner.run("train", "--epochs", "3", "--spark", "local[2]", "--device", "cpu");
        CliRunner one = CliRunner.run("train", "--epochs", "3", "--device", "cpu");
        assertEquals(0, spark.status(), spark.err());
        assertEquals(0, one.status(), one.err());
        assertTrue(spark.out().contains("data: spark local[2]: 1294 rows in 2 partitions, executors on cpu"), spark.out());
        String val = "epoch 3/3  train loss [0-9.]+  val loss ([0-9.]+  val acc [0-9.]+%)";
        assertEquals(DataParallelCliTest.figure(one.out(), val), DataParallelCliTest.figure(spark.out(), val));
        assertTrue(spark.out().contains("data-parallel training on 2 Spark partitions: "), spark.out());
        String acc = DataParallelCliTest.figure(one.out(), "test accuracy ([0-9.]+)%");
        assertTrue(Double.parseDouble(acc) > 90, acc);
        assertEquals(acc, DataParallelCliTest.figure(spark.out(), "test accuracy ([0-9.]+)%"));
        String loss = "epoch 3/3  train loss ([0-9.]+)";
        assertEquals(Double.parseDouble(DataParallelCliTest.figure(one.out(), loss)), Double.parseDouble(DataParallelCliTest.figure(spark.out(), loss)), 1e-5);
    }

    @Test
    void whatSparkCannotDoIsOneLineAndExitTwo() {
        for (String[] args : new String[][]{
                {"train", "--spark", "local[2]", "--verify-every", "5"},
                {"train", "--spark", "local[2]", "--spark-partitions", "0"},
                {"train", "--spark", "nonsense://x"}}) {
            CliRunner r = CliRunner.run(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("clprop: ") && r.err().strip().lines().count() == 1, String.join(" ", args) + ": " + r.err());
        }
    }
}
