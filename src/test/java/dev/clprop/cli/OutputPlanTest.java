package dev.clprop.cli;

import dev.clprop.io.OutputPlan;
import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "files damaged" family of issue 25: one plan per run knows every input and output; collisions,
 * outputs that are inputs and links are refused before any work, nothing final is written until every
 * output is, and a run folder moves only its own run's files. Every case leaves every file as it was.
 */
class OutputPlanTest {
    @TempDir
    Path dir;

    /** Every file under dir, with its bytes: what a refused run must leave unchanged. */
    Map<Path, byte[]> snapshot() throws IOException {
        Map<Path, byte[]> m = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) m.put(p, Files.readAllBytes(p));
        }
        return m;
    }

    void assertUnchanged(Map<Path, byte[]> before) throws IOException {
        Map<Path, byte[]> after = snapshot();
        assertEquals(before.keySet(), after.keySet(), "files added or removed");
        for (Path p : before.keySet()) assertArrayEquals(before.get(p), after.get(p), p + " changed");
    }

    static void assertRefused(CliRunner r, String... parts) {
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String p : parts) assertTrue(r.err().contains(p), p + " missing from " + r.err());
    }

    Path csv(String name) throws IOException {
        StringBuilder sb = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 40; i++) sb.append(i % 7).append(',').append(i % 3).append(',').append(i % 2).append('\n');
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    @Test
    void aRunFoldersFilesNeverReplaceTheRunsInputs() throws IOException {
        Path out = Files.createDirectories(dir.resolve("run"));
        Path data = csv("run/metrics.csv");
        Map<Path, byte[]> before = snapshot();
        assertRefused(CliRunner.run("train", "--data", data.toString(), "--epochs", "1", "--out", out.toString(), "--quiet"),
                "--out", "metrics.csv is one of the run's inputs");
        assertUnchanged(before);

        Path train = csv("train.csv");
        Path model = out.resolve("model.npz");
        assertEquals(0, CliRunner.run("train", "--data", train.toString(), "--epochs", "1", "--layers", "2,4:tanh,2:softmax", "--save", model.toString(),
                "--device", "cpu", "--quiet").status());
        Path test = Files.copy(train, out.resolve("loss.png"));
        before = snapshot();
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--init", model.toString(), "--epochs", "1", "--out", out.toString(), "--quiet"),
                "model.npz is one of the run's inputs");
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--test", test.toString(), "--epochs", "1", "--out", out.toString(), "--quiet"),
                "loss.png is one of the run's inputs");
        assertUnchanged(before);
    }

    @Test
    void outputsThatCollideAreRefusedBeforeAnyWork() throws IOException {
        Path train = csv("train.csv");
        Path m = dir.resolve("m.npz");
        assertEquals(0, CliRunner.run("train", "--data", train.toString(), "--epochs", "1", "--save", m.toString(), "--device", "cpu", "--quiet").status());
        Map<Path, byte[]> before = snapshot();
        String x = dir.resolve("x").toString(), r = dir.resolve("r").toString();
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--save", x, "--json", x, "--quiet"), "--json", "is also the run's save output");
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--out", r, "--json", r + "/metrics.csv", "--quiet"), "--json", "is also the run's out output");
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--out", r, "--save", r + "/./checkpoint.npz", "--quiet"), "--save", "is also the run's out output");
        assertRefused(CliRunner.run("evaluate", "--model", m.toString(), "--data", train.toString(), "--json", x, "--plot", x), "--plot", "is also the run's json output");
        assertRefused(CliRunner.run("export", "--model", m.toString(), "--onnx", x, "--torch-npz", dir.resolve("sub/../x").toString()), "--torch-npz", "is also the run's onnx output");
        assertFalse(Files.exists(dir.resolve("r")), "no run folder was made");
        assertUnchanged(before);
    }

    @Test
    void linksInsideARunFolderAreNotFollowed() throws IOException {
        Path train = csv("train.csv");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path precious = Files.writeString(elsewhere.resolve("precious.txt"), "keep me\n");
        Files.writeString(elsewhere.resolve("metrics.csv"), "not the run's\n");
        Path out = Files.createDirectories(dir.resolve("run"));
        Files.createSymbolicLink(out.resolve("incomplete"), elsewhere);
        Map<Path, byte[]> before = snapshot();
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--epochs", "1", "--out", out.toString(), "--quiet"), "incomplete is a symbolic link");
        assertUnchanged(before);
        Files.delete(out.resolve("incomplete"));
        Files.createSymbolicLink(out.resolve(".clprop.lock"), precious);
        assertRefused(CliRunner.run("train", "--data", train.toString(), "--epochs", "1", "--out", out.toString(), "--quiet"), ".clprop.lock is a symbolic link");
        assertEquals("keep me\n", Files.readString(precious), "the lock did not truncate the file its link names");
    }

    @Test
    void aStaleIncompleteFolderIsNotMovedOverTheRunsFiles() throws IOException {
        Path train = csv("train.csv");
        Path out = dir.resolve("run");
        Path stale = Files.createDirectories(out.resolve("incomplete"));
        // a regression run's leftovers would not replace this classification run's files, nor appear beside them
        Files.writeString(stale.resolve("notes.txt"), "an earlier run's file\n");
        Files.writeString(out.resolve("confusion.png"), "from before\n");
        Files.writeString(stale.resolve("confusion.png"), "stale\n");
        CliRunner r = CliRunner.run("train", "--data", train.toString(), "--targets", "1", "--layers", "2,1:linear", "--epochs", "1",
                "--out", out.toString(), "--device", "cpu", "--quiet");
        assertEquals(0, r.status(), r.err());
        assertEquals("from before\n", Files.readString(out.resolve("confusion.png")), "a regression run draws no confusion matrix; the stale one stays out");
        assertFalse(Files.exists(out.resolve("notes.txt")));
        assertTrue(Files.exists(out.resolve("model.npz")) && Files.exists(out.resolve("metrics.csv")));
    }

    @Test
    void nothingIsCommittedUntilEveryOutputIsWritten() throws IOException {
        Path first = Files.writeString(dir.resolve("model.npz"), "old model\n");
        Path second = dir.resolve("report.json");
        try (OutputPlan plan = new OutputPlan().output("save", first).output("json", second)) {
            Files.writeString(plan.stage(first), "new model\n");
            // the second output fails (a full disk): the plan is closed without a commit
        }
        assertEquals("old model\n", Files.readString(first));
        assertFalse(Files.exists(second));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left beside the old model");
        }
        try (OutputPlan plan = new OutputPlan().output("save", first).output("json", second)) {
            Files.writeString(plan.stage(first), "new model\n");
            Files.writeString(plan.stage(second), "{}\n");
            plan.commit();
        }
        assertEquals("new model\n", Files.readString(first));
        assertEquals("{}\n", Files.readString(second));
        assertThrows(InvalidSettingException.class, () -> new OutputPlan().input("data", first).output("save", dir.resolve("./model.npz")));
    }

    @Test
    void pathsAreComparedAsTheFilesTheyNameAndFoldersAreNoOutputs() throws IOException {
        Path real = Files.createDirectories(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        InvalidSettingException same = assertThrows(InvalidSettingException.class,
                () -> new OutputPlan().output("save", link.resolve("m.npz")).output("json", real.resolve("m.npz")));
        assertEquals("json", same.setting());
        InvalidSettingException folder = assertThrows(InvalidSettingException.class, () -> new OutputPlan().output("save", real));
        assertTrue(folder.getMessage().contains("is a folder"), folder.getMessage());
    }

    @Test
    void anOutputThatBecameAFolderIsNotReplacedAtCommit() throws IOException {
        Path target = dir.resolve("model.npz");
        try (OutputPlan plan = new OutputPlan().output("save", target)) {
            Files.writeString(plan.stage(target), "new\n");
            Files.createDirectories(target); // empty: a plain rename would replace it
            assertThrows(dev.clprop.error.InvalidInputException.class, plan::commit);
        }
        assertTrue(Files.isDirectory(target), "the folder is left as it was");
    }
}
