package dev.clprop.cli;

import dev.clprop.Model;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.export.OnnxExportTest;
import dev.clprop.metrics.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportCliTest {
    @TempDir
    Path dir;

    @Test
    void theDefaultModelExportsToOnnxAndPyTorchAndScoresTheSame() throws Exception {
        Path m = dir.resolve("m.npz"), onnx = dir.resolve("m.onnx"), torch = dir.resolve("t.npz");
        CliRunner t = CliRunner.run("train", "--device", "cpu", "--save", m.toString(), "--quiet");
        assertEquals(0, t.status(), t.err());
        Matcher acc = Pattern.compile("test accuracy ([0-9.]+)%").matcher(t.out());
        assertTrue(acc.find(), t.out());

        CliRunner e = CliRunner.run("export", "--model", m.toString(), "--onnx", onnx.toString(), "--torch-npz", torch.toString());
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("input 'input' [batch, 64], output 'output' [batch, 10]"), e.out());
        assertTrue(e.out().contains("nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1))"), e.out());

        Dataset test = DataSources.digits().test();
        float[][] x = new float[test.rows()][];
        for (int r = 0; r < test.rows(); r++) x[r] = test.row(r);
        float[][] out = OnnxExportTest.runOnnx(onnx, x);
        int right = 0;
        for (int r = 0; r < test.rows(); r++) if (Metrics.argmax(out[r], 0, 10) == test.label(r)) right++;
        assertEquals(acc.group(1), String.format(java.util.Locale.ROOT, "%.2f", 100.0 * right / test.rows()), "ONNX Runtime scores what training reported");

        Model back = Model.loadWeights(torch, Model.load(m).architecture());
        assertTrue(back.parameters().bitwiseEquals(Model.load(m).parameters()), "the PyTorch-named weights read back bit for bit");
    }

    @Test
    void exportWithoutATargetIsAOneLineError() throws Exception {
        Path m = dir.resolve("m.npz");
        assertEquals(0, CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--save", m.toString(), "--quiet").status());
        CliRunner e = CliRunner.run("export", "--model", m.toString());
        assertEquals(2, e.status());
        assertEquals("clprop: export needs --onnx FILE and/or --torch-npz FILE (see clprop export --help)", e.err().trim());
        CliRunner same = CliRunner.run("export", "--model", m.toString(), "--onnx", m.toString());
        assertEquals(2, same.status());
        assertTrue(same.err().contains("is one of the run's inputs"), same.err());
        assertTrue(Files.size(m) > 0);
    }
}
