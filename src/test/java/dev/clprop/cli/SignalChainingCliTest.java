package dev.clprop.cli;

import dev.clprop.OpenClDevices;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user who preloads a libjsig.so that does not exist has no signal chaining: the command line says
 * so once, as its own warning line, not once more through the logger.
 */
class SignalChainingCliTest {
    @Test
    void aPreloadThatLoadedNothingIsWarnedAboutOnce() throws Exception {
        OpenClDevices.device();  // an OpenCL device opens, or this test skips (or fails under CI=true)
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.awt.headless=true", Main.class.getName(),
                "train", "--device", "opencl", "--epochs", "1", "--layers", "64,10:softmax", "--quiet");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LD_PRELOAD", "/nowhere/libjsig.so");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        String warning = "clprop: warning: libjsig.so is not loaded";
        assertEquals(1, out.split(java.util.regex.Pattern.quote(warning), -1).length - 1, out);
        assertFalse(out.contains("WARNING"), out);
    }
}
