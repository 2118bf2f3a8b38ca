package dev.clprop.cli;

import dev.clprop.Model;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.io.Npz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Families of issue 25 that ended in a crash, a silent wrong result or an unclear message, each now a
 * one-line error with exit status 2 and nothing written.
 */
class HardeningRoundTwoTest {
    @TempDir
    Path dir;

    Path model() {
        Path m = dir.resolve("m.npz");
        CliRunner t = CliRunner.run("train", "--epochs", "1", "--layers", "64,8:relu,10:softmax", "--device", "cpu", "--save", m.toString(), "--quiet");
        assertEquals(0, t.status(), t.err());
        return m;
    }

    static void assertOneLine(CliRunner r, String starts) {
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith(starts), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void emptyDeviceChoicesAreRefusedEverywhere() {
        Path m = model();
        for (String d : new String[]{"", ",", "cpu,", " "}) {
            assertOneLine(CliRunner.run("train", "--epochs", "1", "--device", d, "--quiet"), "clprop: --device ");
            assertOneLine(CliRunner.run("predict", "--model", m.toString(), "--data", "digits", "--device", d), "clprop: --device ");
            assertOneLine(CliRunner.run("evaluate", "--model", m.toString(), "--data", "digits", "--device", d), "clprop: --device ");
        }
    }

    @Test
    void aModelFromANewerFormatIsRefusedNotMisread() throws Exception {
        Path m = model();
        Map<String, Npz.Entry> e = new LinkedHashMap<>(Npz.read(m));
        e.put("clprop_format", Npz.Entry.int64(999));
        Path future = dir.resolve("future.npz");
        Npz.write(future, e);
        IncompatibleModelException x = assertThrows(IncompatibleModelException.class, () -> Model.load(future));
        assertTrue(x.getMessage().contains("clprop_format 999") && x.getMessage().contains("newer clprop"), x.getMessage());
        assertOneLine(CliRunner.run("evaluate", "--model", future.toString(), "--data", "digits"), "clprop: " + future + ": clprop_format 999");
    }

    @Test
    void theInitAndResumeConflictNamesEachFlagOnce() throws Exception {
        Path m = model();
        CliRunner r = CliRunner.run("train", "--init", m.toString(), "--resume", m.toString(), "--quiet");
        assertOneLine(r, "clprop: --init cannot be combined with --resume");
    }

    @Test
    void aFullStandardOutputIsAnErrorNotASuccess() throws Exception {
        File full = new File("/dev/full");
        if (!full.exists()) return; // Linux's always-full device; elsewhere nothing to show
        Path m = model();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-XX:-PrintWarnings", Main.class.getName(),
                "predict", "--model", m.toString(), "--data", "digits", "--device", "cpu"));
        Process p = new ProcessBuilder(cmd).redirectOutput(full).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), err);
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.contains("clprop: writing to standard output failed"), err);
    }

    @Test
    void runningOutOfHeapIsOneLineWithStatus2() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-cp", System.getProperty("java.class.path"), "-XX:-PrintWarnings", Main.class.getName(),
                "train", "--layers", "64,3000:relu,3000:relu,10:softmax", "--epochs", "1", "--device", "cpu", "--quiet"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        assertEquals(2, p.exitValue(), out);
        assertEquals(1, out.strip().lines().count(), out);
        assertTrue(out.startsWith("clprop: ") && !out.contains("Exception") && !out.contains("java.lang"), out);
        assertTrue(Files.exists(dir), "nothing else to check: no file was asked for");
    }

    @Test
    void benchChecksWhereItsResultsGoAndItsBatchesBeforeMeasuring() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x\n");
        CliRunner r = CliRunner.run("bench", "--out", file.toString(), "--device", "cpu");
        assertOneLine(r, "clprop: --out ");
        assertTrue(r.out().isEmpty(), "refused before anything was measured: " + r.out());
        assertEquals("x\n", Files.readString(file));
        CliRunner b = CliRunner.run("bench", "--quick", "--batches", "0", "--device", "cpu", "--out", dir.resolve("b").toString());
        assertOneLine(b, "clprop: --batches 0");
    }
}
