package dev.clprop.cli;

import dev.clprop.io.ModelFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl-C (SIGINT) to a real training process writes a checkpoint that --resume continues from. */
class InterruptTest {
    @TempDir
    Path dir;

    @Test
    void sigintWritesACheckpointBeforeExiting() throws Exception {
        Path csv = dir.resolve("big.csv");
        StringBuilder sb = new StringBuilder();
        Random rng = new Random(4);
        for (int r = 0; r < 4000; r++) {
            for (int c = 0; c < 32; c++) sb.append(rng.nextFloat()).append(',');
            sb.append(rng.nextInt(4)).append('\n');
        }
        Files.writeString(csv, sb);
        Path out = dir.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.awt.headless=true", Main.class.getName(),
                "train", "--data", csv.toString(), "--layers", "32,256:tanh,256:tanh,4:softmax", "--batch", "4",
                "--epochs", "100000", "--device", "cpu", "--out", out.toString(), "--save", dir.resolve("partial.npz").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = r.readLine()) != null) {
                log.append(line).append('\n');
                if (line.startsWith("epoch 1/")) break; // training is under way and one checkpoint exists
            }
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
            while ((line = r.readLine()) != null) log.append(line).append('\n');
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "process did not exit after SIGINT:\n" + log);
        assertEquals(130, p.exitValue(), log.toString());
        Path ckptFile = out.resolve("incomplete").resolve("checkpoint.npz");
        assertTrue(log.toString().contains("checkpoint written to " + ckptFile), log.toString());
        assertTrue(log.toString().contains("continue with --resume"), log.toString());
        assertTrue(log.toString().contains("the model trained so far is in " + dir.resolve("partial.npz")), log.toString());
        assertTrue(dev.clprop.Model.load(dir.resolve("partial.npz")).parameters().allFinite(), "an interrupted run with --save keeps what it trained");
        ModelFormat.StoredCheckpoint ckpt = ModelFormat.readCheckpoint(ckptFile);
        assertTrue(ckpt.model().parameters().allFinite());
        int epoch = ckpt.progress().epochsDone();
        assertTrue(epoch >= 1, "checkpoint holds at least the finished first epoch");

        CliRunner resumed = CliRunner.run("train", "--data", csv.toString(), "--layers", "32,256:tanh,256:tanh,4:softmax", "--batch", "4",
                "--epochs", Integer.toString(epoch + 1), "--device", "cpu", "--resume", ckptFile.toString(), "--quiet");
        assertEquals(0, resumed.status(), resumed.err());
    }
}
