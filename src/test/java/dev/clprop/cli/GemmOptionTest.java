package dev.clprop.cli;

import dev.clprop.OpenClDevices;
import dev.clprop.device.opencl.GemmConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --gemm} forces a family of GEMM kernels on train, evaluate, predict and bench; both reach the same model. */
class GemmOptionTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tiled", "vector"})
    void eachFamilyTrainsTheDefaultModelAndTheOthersCommandsTakeIt(String family) {
        String device = "opencl:" + OpenClDevices.device().index();
        Path model = dir.resolve(family + ".npz");
        CliRunner r = CliRunner.run("train", "--device", device, "--gemm", family, "--epochs", "3", "--save", model.toString());
        assertEquals(0, r.status(), r.err());
        boolean deviceDefault = GemmConfig.defaultFor(OpenClDevices.device()).toString().startsWith(family + ":");
        assertEquals(!deviceDefault, r.out().contains("GEMM " + family + ":"), "the device line names a forced family that is not the device's default: " + r.out());
        assertTrue(CliRunner.accuracy(r.out()) > 90, r.out());
        CliRunner e = CliRunner.run("evaluate", "--model", model.toString(), "--data", "digits", "--device", device, "--gemm", family);
        assertEquals(0, e.status(), e.err());
        CliRunner p = CliRunner.run("predict", "--model", model.toString(), "--data", "digits", "--device", device, "--gemm", family, "--output", "class");
        assertEquals(0, p.status(), p.err());
        assertTrue(p.out().lines().count() > 100, p.out());
    }

    @Test
    void theFamiliesAgreeOnTheTrainedModel() {
        String device = "opencl:" + OpenClDevices.device().index();
        CliRunner tiled = CliRunner.run("train", "--device", device, "--gemm", "tiled", "--epochs", "2");
        CliRunner vector = CliRunner.run("train", "--device", device, "--gemm", "vector", "--epochs", "2");
        assertEquals(0, tiled.status(), tiled.err());
        assertEquals(0, vector.status(), vector.err());
        assertEquals(CliRunner.accuracy(vector.out()), CliRunner.accuracy(tiled.out()), 0.3, tiled.out() + vector.out());
    }

    @Test
    void anUnknownFamilyIsOneLineNamingTheOption() {
        CliRunner r = CliRunner.run("train", "--gemm", "blocked", "--epochs", "1", "--device", "cpu");
        assertEquals(2, r.status(), r.err());
        assertEquals("clprop: --gemm 'blocked': expected auto, tiled or vector", r.err().strip());
        assertFalse(r.err().contains("Exception"));
    }
}
