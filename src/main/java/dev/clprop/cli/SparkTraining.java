package dev.clprop.cli;

import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.Dataset;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.spark.SparkData;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * {@code train --spark MASTER}: the rows the command read, handed to Spark as a Dataset in their order,
 * trained through {@link SparkData}. Kept apart from {@link TrainCommand} so that Spark's classes load
 * only when --spark is given (Spark is provided by the cluster, or added by scripts/clprop).
 */
final class SparkTraining {
    private SparkTraining() {
    }

    /**
     * @param split the validation fraction to split off here (as a local run splits, by the run's seed) when no
     *              validation rows are given: the training rows go to Spark, the validation rows stay with the driver
     */
    static TrainingResult fit(Trainer trainer, Dataset train, Dataset validation, double split, Path resume, String master, Integer partitions,
                              String executorDevice, int syncEvery, Consumer<String> say) {
        if (validation == null && split > 0) {
            Dataset[] parts = dev.clprop.data.Splits.validation(train, split, trainer.settings().seed());
            train = parts[0];
            validation = parts[1];
        }
        if (partitions != null && partitions < 1) throw new InvalidSettingException("sparkPartitions", "must be a positive integer, got " + partitions);
        SparkSession spark;
        try {
            SparkSession.Builder b = SparkSession.builder().appName("clprop train");
            // under spark-submit the master it was given wins; alone, --spark's
            if (System.getProperty("spark.master") == null) b.master(master).config("spark.ui.enabled", "false");
            // a round's result (a partition's weights and optimizer state, 12 bytes per parameter) above Spark's
            // 1 MiB default goes through the block manager, a second fetch per partition per round; unless the
            // user set it, results up to 64 MiB come back with the task's status
            if (System.getProperty("spark.task.maxDirectResultSize") == null) b.config("spark.task.maxDirectResultSize", "64m");
            spark = b.getOrCreate();
            if (System.getProperty("log4j2.configurationFile") == null) spark.sparkContext().setLogLevel("WARN");
        } catch (NoClassDefFoundError e) {
            throw new InvalidSettingException("spark", "needs Apache Spark " + SparkData.SPARK_VERSION + " on the classpath: run through spark-submit,"
                    + " or with scripts/clprop, which adds it");
        } catch (Exception e) { // SparkException is checked, but Scala throws it without saying so
            throw new InvalidSettingException("spark", master + ": Spark did not start: " + e.getMessage());
        }
        try {
            int n = partitions != null ? partitions : spark.sparkContext().defaultParallelism();
            SparkData data = SparkData.parallelize(spark, train, n).executorDevice(executorDevice).syncEvery(syncEvery);
            say.accept("spark: " + spark.sparkContext().master() + ", Spark " + spark.version() + ", " + n + " partitions, "
                    + (syncEvery == 1 ? "exact (one job per step)" : "averaging every " + syncEvery + " steps"));
            return resume != null ? trainer.resume(resume, data, validation) : trainer.fit(data, validation);
        } finally {
            spark.stop();
        }
    }
}
