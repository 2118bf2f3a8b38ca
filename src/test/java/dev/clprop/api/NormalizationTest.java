package dev.clprop.api;

import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import dev.clprop.Trainer;
import dev.clprop.cli.CliRunner;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** batchnorm and layernorm as a user meets them: trained, saved, loaded and evaluated, on both paths. */
class NormalizationTest {
    static final Architecture ARCH = Architecture.parse("64,32:relu,batchnorm,16:gelu,layernorm,10:softmax");

    @TempDir
    Path dir;

    static Trainer trainer(String device) {
        return Trainer.builder(ARCH).optimizer(Optimizer.adamw(0.01f)).batchSize(32).epochs(4).seed(5).device(device).build();
    }

    @Test
    void aNetworkWithBothNormalizationsLearnsDigitsAndKeepsItsRunningStatistics() {
        DataSplit s = DataSources.digits();
        Model m = trainer("cpu").fit(s.train()).model();
        float[] var = m.parameters().get("running_var2"), mean = m.parameters().get("running_mean2");
        assertEquals(32, var.length);
        boolean moved = false;
        for (int j = 0; j < 32; j++) moved |= var[j] != 1f || mean[j] != 0f;
        assertTrue(moved, "the running statistics moved during training");
        try (Device cpu = Device.cpu()) {
            Metrics e = m.evaluate(s.test(), cpu);
            assertTrue(e.accuracy() > 0.9, "digits with batchnorm and layernorm: " + e.accuracy());
        }
        // saved and loaded, the running statistics come back, and so do the predictions
        Path f = dir.resolve("bn.npz");
        m.save(f);
        Model back = Model.load(f);
        assertArrayEquals(var, back.parameters().get("running_var2"));
        assertArrayEquals(m.predict(s.test().row(3)), back.predict(s.test().row(3)));
    }

    @Test
    void evaluationUsesTheRunningStatisticsSoOneRowPredictsAsInABatch() {
        DataSplit s = DataSources.digits();
        Model m = trainer("cpu").fit(s.train()).model();
        float[][] rows = new float[5][];
        for (int r = 0; r < 5; r++) rows[r] = s.test().row(r);
        float[][] batch = m.predict(rows);
        for (int r = 0; r < 5; r++) assertArrayEquals(batch[r], m.predict(rows[r]), 1e-6f, "row " + r + " alone and in a batch");
    }

    /**
     * On OpenCL the same network learns as well. Not weight for weight over 180 steps: batchnorm divides
     * nearly constant columns (a ReLU unit that fires for one row of the batch) by a tiny deviation, which
     * amplifies last-bit differences (measured: every op agrees with EJML within 4e-6 under --verify-every 1,
     * yet the weights differ by 0.4 after 4 epochs; a one-ulp change in EJML's square root moves its own
     * run as far). Step-by-step parity is TrainingParityTest's and scripts/compare-torch.py's, on networks
     * with batchnorm.
     */
    @Test
    void openClLearnsDigitsAsWellThroughBothNormalizations() {
        DataSplit s = DataSources.digits();
        String device = "opencl:" + OpenClDevices.device().index();
        Model cl = trainer(device).fit(s.train()).model();
        try (Device d = Device.open(device)) {
            Metrics e = cl.evaluate(s.test(), d);
            assertTrue(e.accuracy() > 0.9, "digits with batchnorm and layernorm on " + device + ": " + e.accuracy());
            // and its evaluation on the device uses the running statistics as EJML's does
            try (Device cpu = Device.cpu()) {
                assertEquals(cl.evaluate(s.test(), cpu).loss(), e.loss(), 1e-4, "the same model evaluated on EJML and on OpenCL");
            }
        }
    }

    @Test
    void batchNormIsRefusedWhereADeviceWouldNormalizeOneRowBeforeTheFirstStep() {
        Dataset d = DataSources.digits().train();
        // a last batch of one row has no variance: 3 rows in batches of 2 leave 1, refused before training
        InvalidSettingException one = assertThrows(InvalidSettingException.class, () -> Trainer.builder(ARCH).batchSize(2).epochs(1).device("cpu").build()
                .fit(d.subset(new int[]{0, 1, 2}, "three rows")));
        assertTrue(one.getMessage().contains("2 gives a last batch of 1 row (3 training rows); batchnorm needs at least 2 rows per training batch"), one.getMessage());
        // two devices share each batch: batches of 3 give one of them a single row
        String two = "opencl:" + OpenClDevices.device().index() + "/2";
        InvalidSettingException dp = assertThrows(InvalidSettingException.class, () -> Trainer.builder(ARCH).batchSize(3).epochs(1).device(two).build().fit(d));
        assertTrue(dp.getMessage().contains("3 gives batches of 3 rows (1438 training rows) split over 2 devices; batchnorm needs at least 2 rows per device"), dp.getMessage());
        CliRunner cli = CliRunner.run("train", "--layers", ARCH.spelling(), "--device", two, "--batch", "3", "--epochs", "1");
        assertEquals(2, cli.status(), cli.out());
        assertTrue(cli.err().contains("split over 2 devices; batchnorm needs at least 2 rows per device"), cli.err());
    }

    /** Two devices, each normalizing its half of every batch with its own statistics (docs/data-parallel.md), learn digits as well. */
    @Test
    void twoDevicesLearnDigitsThroughBatchNormWithPerShardStatistics() {
        DataSplit s = DataSources.digits();
        String two = "opencl:" + OpenClDevices.device().index() + "/2";
        Model m = trainer(two).fit(s.train()).model();
        try (Device cpu = Device.cpu()) {
            Metrics e = m.evaluate(s.test(), cpu);
            assertTrue(e.accuracy() > 0.9, "digits with batchnorm on two devices: " + e.accuracy());
        }
        float[] var = m.parameters().get("running_var2");
        boolean moved = false;
        for (float v : var) moved |= v != 1f;
        assertTrue(moved, "the running variance moved");
    }
}
