package dev.clprop.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clprop.error.ClpropException;
import dev.clprop.io.ModelFormat;
import dev.clprop.io.Npz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Any bytes as an .npz model or checkpoint file. Seeds: NpzFuzzTestInputs/ (real model and checkpoint files). */
class NpzFuzzTest {
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("clprop-fuzz", ".npz");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void npz(byte[] data) throws IOException {
        Files.write(FILE, data);
        try {
            Npz.read(FILE);
        } catch (ClpropException e) {
            Findings.expected(e);
        }
        try {
            ModelFormat.StoredModel m = ModelFormat.readModel(FILE);
            Findings.check(m.parameters().allFinite(), "a model with non-finite parameters was accepted");
        } catch (ClpropException e) {
            Findings.expected(e);
        }
        try {
            ModelFormat.StoredCheckpoint c = ModelFormat.readCheckpoint(FILE);
            Findings.check(c.progress().epochsDone() >= 0 && c.progress().step() >= 0 && c.progress().rowsDone() >= 0, "negative progress accepted");
        } catch (ClpropException e) {
            Findings.expected(e);
        }
    }
}
