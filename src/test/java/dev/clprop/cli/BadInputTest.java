package dev.clprop.cli;

import dev.clprop.io.Npz;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kind of bad input: one line naming the problem, exit status 2, no stack trace, nothing on disk damaged. */
class BadInputTest {
    @TempDir
    Path dir;
    Path good;
    Path saved;
    byte[] savedBefore;

    @BeforeEach
    void files() throws IOException {
        good = dir.resolve("good.csv");
        Files.writeString(good, "a,b,label\n0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,2\n");
        saved = dir.resolve("existing-model.npz");
        Files.write(saved, new byte[]{1, 2, 3, 4});
        savedBefore = Files.readAllBytes(saved);
    }

    private List<String> base(String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", good.toString(), "--layers", "2,4:tanh,3:softmax", "--epochs", "1",
                "--device", "cpu", "--save", saved.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    private void expectError(List<String> args, String... mustContain) throws IOException {
        CliRunner r = CliRunner.run(args.toArray(new String[0]));
        assertEquals(2, r.status(), "exit status for " + args + "\nstderr: " + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "exactly one line on stderr, got:\n" + err);
        assertTrue(err.startsWith("clprop: "), err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        for (String s : mustContain) assertTrue(err.contains(s), "'" + s + "' missing from: " + err);
        assertArrayEquals(savedBefore, Files.readAllBytes(saved), "a failed run changed " + saved);
    }

    private Path csv(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private List<String> withData(Path data, String... extra) {
        List<String> a = base(extra);
        a.set(2, data.toString());
        return a;
    }

    @Test
    void missingFile() throws IOException {
        expectError(withData(dir.resolve("nope.csv")), "nope.csv", "no such file");
    }

    @Test
    void raggedCsv() throws IOException {
        expectError(withData(csv("ragged.csv", "0.1,0.2,0\n0.3,0.4\n")), "ragged.csv:2", "2 columns");
    }

    @Test
    void nonNumericCell() throws IOException {
        expectError(withData(csv("text.csv", "h1,h2,h3\n0.1,0.2,0\n0.3,abc,1\n")), "text.csv:3", "'abc'");
    }

    @Test
    void labelOutOfRange() throws IOException {
        expectError(withData(csv("labels.csv", "0.1,0.2,0\n0.3,0.4,3\n")), "labels.csv:2", "label 3", "0..2");
    }

    @Test
    void nonIntegerLabel() throws IOException {
        expectError(withData(csv("frac.csv", "0.1,0.2,0.5\n")), "frac.csv:1", "0.5");
    }

    @Test
    void malformedSpecs() throws IOException {
        for (String spec : new String[]{"2", "x,4:tanh", "2,4", "2,0:tanh,3:softmax", "2,4:tanh:bias,3:softmax", "2,4:tanh,,3:softmax"}) {
            List<String> a = base();
            a.set(4, spec);
            expectError(a, spec.isEmpty() ? "" : "layer");
        }
    }

    @Test
    void unknownNames() throws IOException {
        List<String> a = base();
        a.set(4, "2,4:swish,3:softmax");
        expectError(a, "--layers: activation 'swish' is unknown");
        expectError(base("--loss", "hinge"), "--loss 'hinge' is unknown");
        expectError(base("--optimizer", "rmsprop"), "--optimizer 'rmsprop' is unknown");
    }

    @Test
    void softmaxOnlyOnTheOutputLayer() throws IOException {
        List<String> a = base();
        a.set(4, "2,4:softmax,3:softmax");
        expectError(a, "softmax", "output layer only");
    }

    @Test
    void crossEntropyNeedsSoftmax() throws IOException {
        List<String> a = base("--loss", "cross-entropy");
        a.set(4, "2,4:tanh,3:sigmoid");
        expectError(a, "cross-entropy needs a softmax output");
    }

    @Test
    void initShapesMustMatch() throws IOException {
        Path w = dir.resolve("w.npz");
        Npz.write(w, Map.of("W1", Npz.Entry.floats(new float[8], 4, 2), "b1", Npz.Entry.floats(new float[4], 4),
                "W2", Npz.Entry.floats(new float[8], 2, 4), "b2", Npz.Entry.floats(new float[2], 2)));
        expectError(base("--init", w.toString()), "w.npz", "W2 has shape (2, 4)", "(3, 4)");
        expectError(base("--init", dir.resolve("absent.npz").toString()), "absent.npz");
        Path notZip = csv("bad.npz", "hello");
        expectError(base("--init", notZip.toString()), "bad.npz", "not an .npz");
    }

    @Test
    void nonPositiveNumbers() throws IOException {
        expectError(base("--lr", "0"), "--lr");
        expectError(base("--lr", "-1"), "--lr");
        expectError(base("--batch", "0"), "--batch");
        expectError(base("--epochs", "-2"), "--epochs");
        expectError(base("--lr", "fast"), "fast");
    }

    @Test
    void widthMismatch() throws IOException {
        List<String> a = base();
        a.set(4, "5,4:tanh,3:softmax");
        expectError(a, "2 feature columns", "takes 5");
    }

    @Test
    void badDeviceChoice() throws IOException {
        List<String> a = base();
        a.set(a.indexOf("cpu"), "opencl:99");
        expectError(a, "opencl:99");
    }

    @Test
    void benchAndTuneSizes() throws IOException {
        for (String[] bad : new String[][]{{"bench", "--sizes", "0"}, {"bench", "--sizes", "100000"}, {"bench", "--batches", "0"},
                {"bench", "--reps", "0"}, {"bench", "--profile-batch", "-1"}, {"tune", "--square", "99999"}, {"tune", "--batch", "0"}}) {
            CliRunner r = CliRunner.run(bad);
            assertEquals(2, r.status(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(bad[1]), r.err());
        }
    }

    @Test
    void hugeLayersAreRefusedBeforeAnythingIsAllocated() throws IOException {
        List<String> a = base();
        a.set(4, "2,2147483647:relu,3:softmax");
        expectError(a, "--layers", "larger than the limit");
        a.set(4, "2,1000000:relu,1000000:relu,3:softmax");
        expectError(a, "--layers", "more than one array can hold");
        a.set(4, "2,40000:relu,40000:relu,3:softmax");
        expectError(a, "--layers", "more than the Java heap can hold");
    }

    @Test
    void unknownOption() throws IOException {
        expectError(base("--learning-rate", "0.1"), "--learning-rate");
    }
}
