package dev.clprop.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A machine with the OpenCL loader but no driver: ocl-icd reads drivers from OCL_ICD_VENDORS, so
 * pointing it at an empty folder hides them from a child JVM. auto falls back to EJML and says why;
 * an explicit opencl choice stops with exit 2 naming the package to install.
 */
class NoOpenClTest {
    @TempDir
    Path emptyVendors;

    record Run(int status, String output) {
    }

    Run clprop(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Djava.awt.headless=true", Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OCL_ICD_VENDORS", emptyVendors.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        return new Run(p.exitValue(), out);
    }

    @Test
    void autoFallsBackToEjmlAndExplicitOpenClStops() throws Exception {
        Run devices = clprop("devices");
        assertEquals(0, devices.status(), devices.output());
        assertTrue(devices.output().contains("no OpenCL platform found") && devices.output().contains("pocl-opencl-icd"), devices.output());

        Run auto = clprop("train", "--epochs", "1");
        assertEquals(0, auto.status(), auto.output());
        assertTrue(auto.output().contains("device: ejml (CPU reference path), because no OpenCL platform found"), auto.output());

        Run explicit = clprop("train", "--epochs", "1", "--device", "opencl");
        assertEquals(2, explicit.status(), explicit.output());
        assertTrue(explicit.output().contains("clprop: --device opencl: no OpenCL platform found") && explicit.output().contains("pocl-opencl-icd"),
                explicit.output());
        assertTrue(!explicit.output().contains("Exception"), explicit.output());
    }
}
