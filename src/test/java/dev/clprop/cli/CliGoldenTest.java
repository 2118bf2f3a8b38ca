package dev.clprop.cli;

import dev.clprop.BackendKind;
import dev.clprop.ClpropTestBase;
import dev.clprop.OpenClDevices;
import dev.clprop.Model;
import dev.clprop.io.Npz;
import dev.clprop.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worked examples through the command-line contract, with an --init file as numpy would write it. */
class CliGoldenTest extends ClpropTestBase {
    @TempDir
    Path dir;

    static String device(BackendKind kind) {
        if (kind == BackendKind.OPENCL) return "opencl:" + OpenClDevices.device().index();
        return "cpu";
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void example1ThroughTheCommandLine(BackendKind kind) throws IOException {
        Path csv = dir.resolve("ex1.csv");
        Files.writeString(csv, "x1,x2,y\n0.5,0.1,0.7\n0.2,0.6,0.8\n");
        Map<String, Npz.Entry> init = new LinkedHashMap<>();
        init.put("W1", Npz.Entry.floats(new float[]{0.5f, 0.2f, 0.6f, -0.1f, -0.4f, -0.3f}, 3, 2));
        init.put("W2", Npz.Entry.floats(new float[]{0.7f, -0.1f, 0.2f}, 1, 3));
        Path w = dir.resolve("w.npz");
        Npz.write(w, init);
        Path out = dir.resolve("out.npz");
        CliRunner r = CliRunner.run("train", "--data", csv.toString(), "--targets", "1", "--layers", "2,3:sigmoid:nobias,1:sigmoid:nobias",
                "--loss", "half-sse", "--optimizer", "sgd", "--lr", "0.1", "--batch", "2", "--epochs", "1", "--no-shuffle",
                "--init", w.toString(), "--save", out.toString(), "--device", device(kind));
        assertEquals(0, r.status(), r.err());
        Parameters p = Model.load(out).parameters();
        assertClose(GOLDEN_ATOL, new double[]{0.7038748056972582, -0.09630016052397251, 0.20303562220907015}, p.get("W2"), "W2'");
        assertClose(GOLDEN_ATOL, new double[]{0.5003557261409375, 0.20052391538341668, 0.5999489993629485, -0.10007560850028097,
                -0.3998983077145901, -0.2998509151259679}, p.get("W1"), "W1'");
        assertTrue(r.out().contains("training loss 0.0"), r.out());
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void example2ThroughTheCommandLine(BackendKind kind) throws IOException {
        Path csv = dir.resolve("ex2.csv");
        Files.writeString(csv, "0.1,0.7,0\n");
        Map<String, Npz.Entry> init = new LinkedHashMap<>();
        init.put("W1", Npz.Entry.floats(new float[]{0.1f, 0.3f, 0.2f, 0.2f, 0.3f, 0.7f}, 3, 2));
        init.put("b1", Npz.Entry.floats(new float[]{1f, 1f, 1f}, 3));
        init.put("W2", Npz.Entry.floats(new float[]{0.2f, 0.3f, 0.6f, 0.3f, 0.5f, 0.4f}, 2, 3));
        init.put("b2", Npz.Entry.floats(new float[]{1f, 1f}, 2));
        Path w = dir.resolve("w.npz");
        Npz.write(w, init);
        Path out = dir.resolve("out.npz");
        CliRunner r = CliRunner.run("train", "--data", csv.toString(), "--layers", "2,3:relu,2:softmax", "--loss", "cross-entropy",
                "--optimizer", "sgd", "--lr", "0.01", "--batch", "1", "--epochs", "1", "--no-shuffle",
                "--init", w.toString(), "--save", out.toString(), "--device", device(kind));
        assertEquals(0, r.status(), r.err());
        Model m = Model.load(out);
        assertClose(GOLDEN_ATOL, new double[]{0.20625246823710738, 0.3059449697992168, 0.60778996042656,
                0.29374753176289264, 0.4940550302007832, 0.39221003957344003}, m.parameters().get("W2"), "W2'");
        assertClose(GOLDEN_ATOL, new double[]{0.09994875026035159, 0.29964125182246104, 0.19989750052070318,
                0.19928250364492212, 0.30010249947929685, 0.7007174963550779}, m.parameters().get("W1"), "W1'");
        assertEquals("2,3:relu,2:softmax", Npz.read(out).get("spec").text(), "the file carries its architecture");
    }

    @Test
    void verifyEveryReportsPerLayerDifferencesAgainstEjml() {
        CliRunner r = CliRunner.run("train", "--epochs", "1", "--batch", "64", "--device", "opencl:" + OpenClDevices.device().index(),
                "--verify-every", "7", "--val-split", "0");
        assertEquals(0, r.status(), r.err());
        long reports = r.out().lines().filter(l -> l.startsWith("verify step ")).count();
        assertEquals(1438 / 64 / 7, reports, r.out()); // 23 steps in the epoch, verified every 7
        String first = r.out().lines().filter(l -> l.startsWith("verify step ")).findFirst().orElseThrow();
        assertTrue(first.startsWith("verify step 7 vs ejml: ") && first.contains(" ops agree (") && first.contains(" outputs); largest difference ") && first.contains("max |diff|"), first);
    }

    @Test
    void trainedModelEvaluatesAndPredicts() throws IOException {
        Path model = dir.resolve("m.npz");
        CliRunner t = CliRunner.run("train", "--epochs", "2", "--device", "cpu", "--save", model.toString(), "--quiet");
        assertEquals(0, t.status(), t.err());
        CliRunner e = CliRunner.run("evaluate", "--model", model.toString());
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("accuracy"), e.out());
        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0\n");
        CliRunner p = CliRunner.run("predict", "--model", model.toString(), "--data", csv.toString());
        assertEquals(0, p.status(), p.err());
        List<String> lines = p.out().lines().toList();
        assertEquals("p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9", lines.get(0), "a header row names the outputs");
        assertEquals(2, lines.size(), p.out());
        String[] cells = lines.get(1).split(",");
        assertEquals(10, cells.length, p.out());
        double sum = 0;
        for (String c : cells) sum += Double.parseDouble(c);
        assertEquals(1.0, sum, 1e-5, "softmax outputs sum to one");
    }
}
