package dev.clprop.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nothing on disk is damaged by a failed, refused or concurrent run. */
class DiskSafetyTest {
    @TempDir
    Path dir;

    static final String[] QUICK = {"train", "--epochs", "2", "--device", "cpu", "--quiet"};

    static String[] args(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    static Map<String, byte[]> snapshot(Path folder) throws IOException {
        Map<String, byte[]> m = new HashMap<>();
        try (var files = Files.list(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) m.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
        return m;
    }

    static void assertSame(Map<String, byte[]> before, Map<String, byte[]> after) {
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k + " changed");
    }

    void expectError(CliRunner r, String... parts) {
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "'" + p + "' missing from: " + r.err());
    }

    @Test
    void aFailingRunLeavesThePreviousRunsFilesAsTheyWere() throws IOException {
        Path out = dir.resolve("run");
        CliRunner first = CliRunner.run(args(QUICK, "--out", out.toString()));
        assertEquals(0, first.status(), first.err());
        Map<String, byte[]> before = snapshot(out);
        assertTrue(before.keySet().containsAll(List.of("model.npz", "checkpoint.npz", "metrics.csv", "loss.png")), before.keySet().toString());

        // diverges in its first epoch: lr 1e30 sends the weights to infinity
        CliRunner diverged = CliRunner.run(args(QUICK, "--out", out.toString(), "--optimizer", "sgd", "--lr", "1e30"));
        expectError(diverged, "diverged");
        assertSame(before, snapshot(out));

        // bad input, found before training starts
        CliRunner bad = CliRunner.run(args(QUICK, "--out", out.toString(), "--layers", "64,10:relu,3:softmax"));
        expectError(bad, "class label");
        assertSame(before, snapshot(out));
    }

    @Test
    void aDivergingRunKeepsItsLastGoodCheckpointInIncomplete() throws IOException {
        Path csv = dir.resolve("grow.csv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) sb.append("1,0\n");
        Files.writeString(csv, sb);
        Path out = dir.resolve("run");
        // y = 0, w·1, sgd lr 1.5 on mse doubles |w| every step: finite for a few epochs, then overflow
        CliRunner r = CliRunner.run("train", "--data", csv.toString(), "--targets", "1", "--layers", "1,1:linear:nobias", "--loss", "mse",
                "--optimizer", "sgd", "--lr", "1.5", "--batch", "1", "--epochs", "50", "--no-shuffle", "--device", "cpu", "--out", out.toString(), "--quiet");
        expectError(r, "diverged in epoch", "kept the last good checkpoint " + out.resolve("incomplete").resolve("checkpoint.npz"));
        assertTrue(dev.clprop.Model.load(out.resolve("incomplete").resolve("checkpoint.npz")).parameters().allFinite());
        assertFalse(Files.exists(out.resolve("model.npz")), "a failed run writes no model into the folder");
    }

    @Test
    void aSecondRunOnTheSameFolderIsRefused() throws Exception {
        Path out = dir.resolve("busy");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.awt.headless=true", Main.class.getName(),
                "train", "--epochs", "100000", "--device", "cpu", "--out", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = r.readLine()) != null && !line.startsWith("epoch 1/")) {
                // wait until the first run holds the folder and trains
            }
            Map<String, byte[]> before = snapshot(out.resolve("incomplete"));
            CliRunner second = CliRunner.run(args(QUICK, "--out", out.toString()));
            expectError(second, "--out " + out + " is in use by another clprop run (process " + p.pid() + ")");
            assertTrue(snapshot(out.resolve("incomplete")).keySet().containsAll(before.keySet()), "the first run's files are still there");
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        CliRunner after = CliRunner.run(args(QUICK, "--out", out.toString()));
        assertEquals(0, after.status(), "a dead process's lock is gone: " + after.err());
    }

    @Test
    void saveNeverReplacesAnInputAFolderOrADeviceAndIsCheckedFirst() throws IOException {
        Path csv = dir.resolve("data.csv");
        Files.writeString(csv, "0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n");
        byte[] data = Files.readAllBytes(csv);
        expectError(CliRunner.run("train", "--data", csv.toString(), "--epochs", "1", "--device", "cpu", "--save", csv.toString()),
                "--save " + csv + " is one of the run's inputs");
        assertArrayEquals(data, Files.readAllBytes(csv));
        Path folder = Files.createDirectory(dir.resolve("model.npz"));
        expectError(CliRunner.run("train", "--data", csv.toString(), "--epochs", "1", "--device", "cpu", "--save", folder.toString()), "is a folder");
        expectError(CliRunner.run("train", "--data", csv.toString(), "--epochs", "1", "--device", "cpu", "--save", "/dev/null"), "not a regular file");
        long t0 = System.nanoTime();
        expectError(CliRunner.run("train", "--epochs", "100000", "--device", "cpu", "--save", "/proc/version/m.npz"), "cannot be written");
        assertTrue((System.nanoTime() - t0) / 1e9 < 20, "refused before 100000 epochs of training");
    }

    @Test
    void resumeWithAChangedOptionIsRefusedByItsFlag() throws IOException {
        Path out = dir.resolve("r");
        CliRunner first = CliRunner.run(args(QUICK, "--out", out.toString(), "--batch", "32"));
        assertEquals(0, first.status(), first.err());
        String ckpt = out.resolve("checkpoint.npz").toString();
        expectError(CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt, "--batch", "64"),
                "--batch is 64 but checkpoint " + ckpt + " was written with 32");
        expectError(CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt, "--lr", "0.01"), "--lr is 0.01");
        expectError(CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt, "--no-shuffle"), "--no-shuffle");
        expectError(CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt, "--val-split", "0.2"), "--val-split");
        expectError(CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt, "--standardize"), "--standardize");
        expectError(CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt, "--optimizer", "momentum"), "--optimizer");
        expectError(CliRunner.run("train", "--epochs", "2", "--device", "cpu", "--quiet", "--resume", ckpt), "--epochs is 2", "already holds 2");
        CliRunner ok = CliRunner.run("train", "--epochs", "3", "--device", "cpu", "--quiet", "--resume", ckpt);
        assertEquals(0, ok.status(), ok.err());
    }
}
