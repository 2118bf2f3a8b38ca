package dev.clprop.spark;

import dev.clprop.ClpropTestBase;
import dev.clprop.Model;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.device.Tolerance;
import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.optim.Optimizer;
import dev.clprop.train.Outcome;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training on Spark in local mode equals training on one machine on the same rows in the same order,
 * within the training tolerance: every loss and optimizer on local[2], class weights and clipping
 * on local[4], the digits model's accuracy; failed tasks are retried without a second update; bad
 * partitions get one clear error. Masters are local[N,3]: N threads, and a task may fail 3 times.
 */
class SparkTrainingTest extends ClpropTestBase {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = session(2);
    }

    static SparkSession session(int threads) {
        if (spark != null) spark.stop();
        return SparkSession.builder().master("local[" + threads + ",3]").appName("clprop-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        spark = null;
    }

    @AfterEach
    void noFault() {
        StepTask.fault = null;
    }

    static final StructType SCHEMA = new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.FloatType), false)
            .add("label", DataTypes.IntegerType, false);

    static final StructType TARGETS = new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.FloatType), false)
            .add("target", DataTypes.createArrayType(DataTypes.FloatType), false);

    /** The local dataset's rows as a DataFrame in {@code partitions} partitions, keeping their order. */
    static org.apache.spark.sql.Dataset<Row> frame(Dataset d, int partitions) {
        List<Row> rows = new ArrayList<>();
        float[] x = d.featureMatrix();
        int f = d.featureCount();
        float[] t = d.isClassification() ? null : d.targetMatrix(d.targetCount());
        for (int r = 0; r < d.rows(); r++) {
            Float[] fx = new Float[f];
            for (int c = 0; c < f; c++) fx[c] = x[r * f + c];
            if (t == null) {
                rows.add(RowFactory.create(fx, d.label(r)));
            } else {
                Float[] ft = new Float[d.targetCount()];
                for (int c = 0; c < ft.length; c++) ft[c] = t[r * ft.length + c];
                rows.add(RowFactory.create(fx, ft));
            }
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(sc.parallelize(rows, partitions), t == null ? SCHEMA : TARGETS);
    }

    static Trainer.Builder trainer(Loss loss, Optimizer.Kind kind) {
        Architecture arch = Architecture.parse(dev.clprop.train.TrainingParityTestAccess.specFor(loss));
        return Trainer.builder(arch).loss(loss).optimizer(Optimizer.of(kind, kind == Optimizer.Kind.ADAM ? 0.01f : 0.05f).withWeightDecay(1e-3f))
                .batchSize(8).epochs(3).seed(5).device("cpu");
    }

    static void assertSameModel(Model local, Model distributed, String what) {
        for (ParamShape s : local.parameters().shapes()) {
            assertClose(Tolerance.TRAINING, distributed.parameters().get(s.name()), local.parameters().get(s.name()), what + ": " + s.name());
        }
    }

    static SparkData data(Dataset d, int partitions) {
        return SparkData.of(frame(d, partitions), "features", d.isClassification() ? "label" : "target");
    }

    static Stream<Arguments> lossesAndOptimizers() {
        List<Arguments> out = new ArrayList<>();
        for (Loss l : Loss.values()) for (Optimizer.Kind k : Optimizer.Kind.values()) out.add(Arguments.of(l, k));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossesAndOptimizers")
    void localTwoTrainsAsOneMachine(Loss loss, Optimizer.Kind kind) {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(loss);
        Trainer t = trainer(loss, kind).build();
        TrainingResult local = t.fit(d);
        TrainingResult onSpark = t.fit(data(d, 2));
        assertEquals(Outcome.COMPLETED, onSpark.outcome(), onSpark.message());
        assertSameModel(local.model(), onSpark.model(), "local[2]");
        for (int e = 0; e < 3; e++) {
            double a = local.history().get(e).trainLoss(), b = onSpark.history().get(e).trainLoss();
            assertEquals(a, b, 1e-5 + 1e-4 * Math.abs(a), "training loss of epoch " + (e + 1));
        }
    }

    @Test
    void localFourWithClassWeightsAndClippingTrainsAsOneMachine() {
        spark = session(4);
        try {
            Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
            Trainer t = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).classWeights(0.2f, 3f, 1f, 0.5f).clipNorm(0.05f).build();
            assertSameModel(t.fit(d).model(), t.fit(data(d, 4)).model(), "local[4], 4 partitions");
            Trainer sse = trainer(Loss.HALF_SSE, Optimizer.Kind.MOMENTUM).build();
            Dataset r = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.HALF_SSE);
            assertSameModel(sse.fit(r).model(), sse.fit(data(r, 4)).model(), "local[4], half-SSE sums over partitions");
        } finally {
            spark = session(2);
        }
    }

    /**
     * Averaging mode over one partition is one machine's run exactly: its local steps are the global steps,
     * so step numbers, rates, optimizer state and the averaging (of one) must all be right for this to hold.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Optimizer.Kind.class)
    void averagingOverOnePartitionIsOneMachinesRun(Optimizer.Kind kind) {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        Trainer t = trainer(Loss.CROSS_ENTROPY, kind).clipNorm(0.5f).build();
        TrainingResult local = t.fit(d), averaged = t.fit(data(d, 1).syncEvery(4));
        assertEquals(Outcome.COMPLETED, averaged.outcome(), averaged.message());
        assertSameModel(local.model(), averaged.model(), "averaging every 4 steps over one partition");
        for (int e = 0; e < 3; e++) {
            double a = local.history().get(e).trainLoss(), b = averaged.history().get(e).trainLoss();
            assertEquals(a, b, 1e-5 + 1e-4 * Math.abs(a), "training loss of epoch " + (e + 1));
        }
    }

    @Test
    void averagingOverTwoPartitionsLearnsDigitsWithFewerJobs() {
        var digits = DataSources.digits();
        Trainer t = Trainer.builder(Architecture.parse("64,32:relu,10:softmax")).optimizer(Optimizer.adam(0.01f)).batchSize(64).epochs(4)
                .seed(3).device("cpu").build();
        Model exact = t.fit(data(digits.train(), 2)).model();
        Model averaged = t.fit(data(digits.train(), 2).syncEvery(5)).model();
        double a = exact.evaluate(digits.test()).accuracy(), b = averaged.evaluate(digits.test()).accuracy();
        assertTrue(b > 0.9, "averaging every 5 steps over two partitions learns digits: " + b + " (exact mode: " + a + ")");
        boolean differs = false;
        for (ParamShape s : exact.parameters().shapes()) differs |= !java.util.Arrays.equals(exact.parameters().get(s.name()), averaged.parameters().get(s.name()));
        assertTrue(differs, "two partitions drifting within a round are not the exact run");
        assertEquals("sparkSync", org.junit.jupiter.api.Assertions.assertThrows(dev.clprop.error.InvalidSettingException.class,
                () -> data(digits.train(), 2).syncEvery(0)).setting());
    }

    /**
     * Dropout on Spark draws one machine's masks: each row's from its position in the batch (the shuffled
     * batch scatters a partition's rows, so its runs of consecutive positions are passes of their own), and
     * averaging over one partition is one machine's run with dropout too.
     */
    @Test
    void dropoutDrawsOneMachinesMasks() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        Architecture arch = Architecture.parse(dev.clprop.train.TrainingParityTestAccess.specFor(Loss.CROSS_ENTROPY).replaceFirst(",", ",dropout:0.2,")
                .replaceFirst("(,[0-9]+:[a-z-]+)(,[0-9]+:[a-z]+)$", "$1,dropout:0.3$2"));
        assertTrue(arch.hasDropout(), arch.toString());
        Trainer t = Trainer.builder(arch).loss(Loss.CROSS_ENTROPY).optimizer(Optimizer.adam(0.01f)).batchSize(8).epochs(3).seed(5).shuffle(true).device("cpu").build();
        Model local = t.fit(d).model();
        assertSameModel(local, t.fit(data(d, 2)).model(), "dropout, exact mode on local[2]");
        assertSameModel(local, t.fit(data(d, 1).syncEvery(4)).model(), "dropout, averaging over one partition");
    }

    /** Standardization and balanced class weights take their statistics from the cluster: the model is one machine's, its standardizer too. */
    @Test
    void standardizationAndBalancedClassWeightsAreOneMachines() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        Trainer t = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).standardize(true).balancedClassWeights().build();
        Model local = t.fit(d).model(), onSpark = t.fit(data(d, 2)).model();
        assertSameModel(local, onSpark, "standardized, balanced, local[2]");
        assertArrayEquals(local.standardizer().shift(), onSpark.standardizer().shift(), 1e-6f, "feature means");
        assertArrayEquals(local.standardizer().scale(), onSpark.standardizer().scale(), 1e-6f, "feature deviations");
        float[] row = d.row(0);
        assertArrayEquals(local.predict(row), onSpark.predict(row), 1e-5f, "the saved model standardizes its inputs as it trained");
        // the settings matter: without them the model differs
        Model plain = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).build().fit(data(d, 2)).model();
        assertFalse(Tolerance.TRAINING.compare(plain.parameters().get("W1"), onSpark.parameters().get("W1")).ok());
    }

    /** A run on Spark stopped after 2 epochs and resumed from its checkpoint ends as the uninterrupted run, in both modes. */
    @Test
    void aRunResumedFromItsCheckpointEndsAsTheUninterruptedOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        for (int k : new int[]{1, 3}) {
            java.nio.file.Path ckpt = dir.resolve("k" + k + ".ckpt.npz");
            Trainer.Builder b = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM);
            Model whole = b.epochs(4).build().fit(data(d, 2).syncEvery(k)).model();
            TrainingResult first = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).epochs(2).checkpoint(ckpt).build().fit(data(d, 2).syncEvery(k));
            assertEquals(2, first.epochs());
            TrainingResult rest = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).epochs(4).checkpoint(ckpt).build().resume(ckpt, data(d, 2).syncEvery(k), null);
            assertEquals(Outcome.COMPLETED, rest.outcome(), rest.message());
            assertEquals(4, rest.epochs());
            for (ParamShape s : whole.parameters().shapes()) {
                assertArrayEquals(whole.parameters().get(s.name()), rest.model().parameters().get(s.name()), "sync every " + k + ": " + s.name());
            }
            // other rows are another run's
            Dataset other = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.HALF_SSE);
            assertThrows(RuntimeException.class, () -> trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).epochs(4).build()
                    .resume(ckpt, data(d.subset(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "ten rows"), 2).syncEvery(k), null));
        }
    }

    /** Validation rows on the driver: the same validation figures each epoch, and the same early stop, as one machine. */
    @Test
    void validationAndEarlyStoppingAreOneMachines() {
        var digits = DataSources.digits();
        Dataset[] parts = dev.clprop.data.Splits.validation(digits.train(), 0.2, 3);
        // a learning rate large enough that the validation loss stops improving within the epochs
        Trainer t = Trainer.builder(Architecture.parse("64,32:relu,10:softmax")).optimizer(Optimizer.adam(0.05f)).batchSize(64).epochs(30)
                .earlyStopping(2).seed(3).device("cpu").build();
        TrainingResult local = t.fit(parts[0], parts[1]), onSpark = t.fit(data(parts[0], 2), parts[1]);
        assertEquals(Outcome.EARLY_STOPPED, local.outcome(), local.message());
        assertEquals(local.outcome(), onSpark.outcome(), onSpark.message());
        assertEquals(local.message(), onSpark.message());
        assertEquals(local.history().size(), onSpark.history().size());
        for (int e = 0; e < local.history().size(); e++) {
            assertEquals(local.history().get(e).validationLoss(), onSpark.history().get(e).validationLoss(), 1e-4, "validation loss of epoch " + (e + 1));
        }
        assertSameModel(local.model(), onSpark.model(), "the kept weights");
        // without validation rows there is nothing to watch
        assertEquals("earlyStopping", org.junit.jupiter.api.Assertions.assertThrows(dev.clprop.error.InvalidSettingException.class,
                () -> t.fit(data(parts[0], 2))).setting());
    }

    @Test
    void theDigitsModelReachesTheAccuracyOfOneMachine() {
        var digits = DataSources.digits();
        Dataset[] split = {digits.train(), digits.test()};
        Trainer t = Trainer.builder(Architecture.parse("64,32:relu,10:softmax")).optimizer(Optimizer.adam(0.01f)).batchSize(64).epochs(4)
                .seed(3).device("cpu").build();
        Model local = t.fit(split[0]).model();
        Model onSpark = t.fit(data(split[0], 2)).model();
        double a = local.evaluate(split[1]).accuracy(), b = onSpark.evaluate(split[1]).accuracy();
        assertTrue(a > 0.9, "the digits model learns: " + a);
        assertEquals(a, b, 1.0 / split[1].rows(), "test accuracy on one machine and on local[2]");
    }

    @Test
    void executorsTrainOnTheirOwnOpenClDevices() {
        String cl = "opencl:" + dev.clprop.OpenClDevices.device().index();
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        Trainer t = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).build();
        Model local = t.fit(d).model();
        List<String> lines = new ArrayList<>();
        Trainer heard = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).listener(new dev.clprop.train.TrainingListener() {
            @Override
            public void onMessage(String line) {
                lines.add(line);
            }
        }).build();
        Model onCl = heard.fit(data(d, 2).executorDevice(cl)).model();
        assertTrue(lines.get(0).contains("executors on " + cl), lines.toString());
        assertSameModel(local, onCl, "local[2] with executors on " + cl + ", against one machine on EJML");
    }

    @Test
    void aFailedTaskIsRetriedAndItsStepUpdatedOnce() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        Trainer t = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).build();
        Model clean = t.fit(data(d, 2)).model();
        AtomicInteger failures = new AtomicInteger();
        StepTask.fault = (step, partition, attempt) -> {
            if (step == 4 && partition == 1 && attempt == 0) {
                failures.incrementAndGet();
                throw new IllegalStateException("injected: executor lost");
            }
        };
        TrainingResult r = t.fit(data(d, 2));
        assertEquals(1, failures.get(), "the fault fired once");
        assertEquals(Outcome.COMPLETED, r.outcome());
        // Adam's update applied twice for step 4 would move the weights by a whole step: far outside rounding
        assertSameModel(clean, r.model(), "a run with one retried task");
    }

    @Test
    void aTaskThatKeepsFailingStopsTheRunWithItsReason() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        StepTask.fault = (step, partition, attempt) -> {
            if (step == 2) throw new IllegalStateException("injected: CL_OUT_OF_RESOURCES");
        };
        Trainer t = trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.ADAM).build();
        var e = assertThrows(dev.clprop.error.DeviceException.class, () -> t.fit(data(d, 2)));
        assertTrue(e.getMessage().startsWith("the Spark job of step 2 failed: ") && e.getMessage().contains("CL_OUT_OF_RESOURCES"), e.getMessage());
    }

    @Test
    void aPartitionWithoutRowsIsAClearError() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        var df = frame(d, 2).filter("label >= 0").repartition(60); // 45 rows in 60 partitions
        var e = assertThrows(InvalidInputException.class, () -> trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.SGD).build()
                .fit(SparkData.of(df, "features", "label")));
        assertTrue(e.getMessage().matches("spark local\\[2,3\\]: partition \\d+ of 60 has no rows; repartition the data.*"), e.getMessage());
    }

    @Test
    void aLabelOutsideTheModelsClassesNamesItsRow() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        var df = frame(d, 2).selectExpr("features", "CASE WHEN label = 2 THEN 7 ELSE label END AS label");
        var e = assertThrows(InvalidInputException.class, () -> trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.SGD).build()
                .fit(SparkData.of(df, "features", "label")));
        assertTrue(e.getMessage().matches("spark local\\[2,3\\]: partition \\d: row \\d+: class label 7 is not one of 0..3 \\(the output layer has 4 units\\)"),
                e.getMessage());
    }

    @Test
    void settingsThatNeedTheRowsAtHandAreRefused() {
        Dataset d = dev.clprop.train.TrainingParityTestAccess.dataFor(Loss.CROSS_ENTROPY);
        var e = assertThrows(InvalidSettingException.class, () -> trainer(Loss.CROSS_ENTROPY, Optimizer.Kind.SGD).validationSplit(0.2).build()
                .fit(data(d, 2)));
        assertEquals("validationSplit", e.setting());
        assertTrue(e.getMessage().contains("give validation rows instead"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> SparkData.of(frame(d, 2), "pixels", "label"));
    }
}
