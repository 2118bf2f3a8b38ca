package dev.clprop.cli;

import dev.clprop.io.RunFolder;
import dev.clprop.train.EpochSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What --out holds besides the checkpoint: metrics.csv and a chart, rewritten every epoch. */
class RunOutputsTest {
    @TempDir
    Path dir;

    @Test
    void metricsAndAChartEveryEpochAndTheCurveContinuesOnResume() throws IOException {
        Path run = dir.resolve("run");
        try (RunFolder folder = RunFolder.open(run)) {
            RunOutputs out = new RunOutputs(folder, null);
            out.add(new EpochSummary(1, 0.9, 0.8, 0.5, 1.0, 100, 0.01));
            out.add(new EpochSummary(2, 0.5, 0.6, 0.7, 1.0, 110, 0.005));
            List<String> csv = Files.readAllLines(folder.staged("metrics.csv"));
            assertEquals("epoch,train_loss,val_loss,val_accuracy,seconds,samples_per_second,learning_rate", csv.get(0));
            assertEquals(3, csv.size());
            assertEquals("2,0.50000000,0.60000000,0.70000000,1.0000000,110.00000,0.0050000000", csv.get(2));
            byte[] png = Files.readAllBytes(folder.staged("loss.png"));
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "loss.png is a PNG");
            assertTrue(!Files.exists(run.resolve("metrics.csv")), "nothing reaches the folder before the run succeeds");
            folder.commit();
        }
        assertTrue(Files.exists(run.resolve("metrics.csv")) && Files.exists(run.resolve("loss.png")));
        assertTrue(!Files.exists(run.resolve(RunFolder.INCOMPLETE)));
        try (RunFolder again = RunFolder.open(run)) {
            RunOutputs resumed = new RunOutputs(again, run.resolve("checkpoint.npz"));
            resumed.add(new EpochSummary(3, 0.4, 0.5, 0.8, 1.0, 120, 0.0025));
            assertEquals(4, Files.readAllLines(again.staged("metrics.csv")).size(), "epochs 1-2 from before the resume, then 3");
        }
    }

    @Test
    void aMetricsFileWrittenBeforeTheLearningRateColumnStillContinues() throws IOException {
        Path old = dir.resolve("old");
        Files.createDirectories(old);
        Files.writeString(old.resolve("metrics.csv"), "epoch,train_loss,val_loss,val_accuracy,seconds,samples_per_second\n1,0.9,,,1.0,100\n");
        List<EpochSummary> rows = RunOutputs.readCsv(old);
        assertEquals(1, rows.size());
        assertEquals(0.9, rows.get(0).trainLoss());
        assertTrue(Double.isNaN(rows.get(0).validationLoss()) && Double.isNaN(rows.get(0).learningRate()));
        Files.writeString(old.resolve("metrics.csv"), "garbage\n1,2\n");
        assertEquals(0, RunOutputs.readCsv(old).size(), "a damaged log loses only the earlier curve");
    }
}
