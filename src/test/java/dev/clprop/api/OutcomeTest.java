package dev.clprop.api;

import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import dev.clprop.Trainer;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Outcomes as a user sees them, not agreement between the two paths (which share the data and
 * evaluation code and could be wrong together): accuracy on real data, figures that evaluate and
 * predict reproduce from a saved model, inputs scaled as documented.
 */
class OutcomeTest {
    @TempDir
    Path dir;

    /** The default run of the command line: 64-128-10, Adam 1e-3, batch 32, 15 epochs, seed 42, 10% validation. */
    static Trainer defaultDigitsRun(String device) {
        return Trainer.builder(Architecture.parse("64,128:relu,10:softmax")).optimizer(Optimizer.adam(0.001f))
                .batchSize(32).epochs(15).seed(42).validationSplit(0.1).device(device).build();
    }

    @Test
    void theDefaultDigitsRunReachesAStatedAccuracyOnBothPaths() {
        DataSplit digits = DataSources.digits();
        double[] acc = new double[2];
        String[] devices = {"cpu", "opencl:" + OpenClDevices.device().index()};
        for (int i = 0; i < 2; i++) {
            Model m = defaultDigitsRun(devices[i]).fit(digits.train()).model();
            acc[i] = m.evaluate(digits.test()).accuracy();
            assertTrue(acc[i] >= 0.95, devices[i] + ": test accuracy " + acc[i] + " below the floor of 95% (the default run reaches 97.21%)");
        }
        assertEquals(acc[0], acc[1], 0.01, "the paths agree to within four test rows");
    }

    @Test
    void evaluationUsesTheWeights() {
        Dataset test = DataSources.digits().test();
        Model zeros = Model.of(Parameters.zeros(Architecture.parse("64,128:relu,10:softmax")), null, null, null);
        Metrics m = zeros.evaluate(test);
        assertEquals(Math.log(10), m.loss(), 1e-6, "all-zero weights give uniform outputs");
        assertEquals(test.classCounts()[0] / (double) test.rows(), m.accuracy(), 1e-12, "and every row goes to class 0");
    }

    static final Pattern FIGURE = Pattern.compile("test loss ([0-9.]+) on 359 rows \\(cross-entropy\\)\\s+test accuracy ([0-9.]+)%");

    @Test
    void evaluateAndPredictReproduceTheFiguresTrainingReported() throws IOException {
        Path model = dir.resolve("digits.npz");
        dev.clprop.cli.CliRunner train = dev.clprop.cli.CliRunner.run("train", "--device", "cpu", "--save", model.toString());
        assertEquals(0, train.status(), train.err());
        Matcher t = FIGURE.matcher(train.out());
        assertTrue(t.find(), train.out());

        dev.clprop.cli.CliRunner eval = dev.clprop.cli.CliRunner.run("evaluate", "--model", model.toString());
        assertEquals(0, eval.status(), eval.err());
        assertTrue(eval.out().contains("loss " + t.group(1) + " on 359 rows (cross-entropy)"), eval.out());
        assertTrue(eval.out().contains("accuracy " + t.group(2) + "%"), eval.out());

        Dataset test = DataSources.digits().test();
        StringBuilder csv = new StringBuilder();
        for (int r = 0; r < test.rows(); r++) {
            float[] row = test.row(r);
            for (int c = 0; c < row.length; c++) csv.append(c > 0 ? "," : "").append(row[c]);
            csv.append(',').append(test.label(r)).append('\n');
        }
        Path in = dir.resolve("test.csv");
        Files.writeString(in, csv);
        dev.clprop.cli.CliRunner pred = dev.clprop.cli.CliRunner.run("predict", "--model", model.toString(), "--data", in.toString(), "--no-header");
        assertEquals(0, pred.status(), pred.err());
        List<String> lines = pred.out().lines().toList();
        assertEquals(test.rows(), lines.size());
        int correct = 0;
        for (int r = 0; r < lines.size(); r++) {
            String[] cells = lines.get(r).split(",");
            float[] p = new float[cells.length];
            for (int j = 0; j < p.length; j++) p[j] = Float.parseFloat(cells[j]);
            if (Metrics.argmax(p, 0, p.length) == test.label(r)) correct++;
        }
        assertEquals(t.group(2), String.format(Locale.ROOT, "%.2f", 100.0 * correct / test.rows()), "predict's argmax scores what training reported");

        // the same rows straight from the bundled set, as class numbers after a header
        dev.clprop.cli.CliRunner classes = dev.clprop.cli.CliRunner.run("predict", "--model", model.toString(), "--data", "digits", "--output", "class");
        assertEquals(0, classes.status(), classes.err());
        List<String> c = classes.out().lines().toList();
        assertEquals("class", c.get(0));
        int right = 0;
        for (int r = 0; r < test.rows(); r++) if (Integer.parseInt(c.get(r + 1)) == test.label(r)) right++;
        assertEquals(test.rows() + 1, c.size());
        assertEquals(correct, right);
    }

    @Test
    void mnistPixelsAreScaledToTheUnitInterval() throws IOException {
        byte[] px = {0, 1, (byte) 128, (byte) 255};
        Path m = Files.createDirectories(dir.resolve("mnist"));
        for (String prefix : new String[]{"train", "t10k"}) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(b);
            d.writeInt(0x803);
            d.writeInt(1);
            d.writeInt(2);
            d.writeInt(2);
            d.write(px);
            Files.write(m.resolve(prefix + "-images-idx3-ubyte"), b.toByteArray());
            Files.write(m.resolve(prefix + "-labels-idx1-ubyte"), new byte[]{0, 0, 8, 1, 0, 0, 0, 1, (byte) (prefix.equals("train") ? 0 : 7)});
        }
        DataSplit s = DataSources.mnist(m);
        float[] x = s.train().featureMatrix();
        assertEquals(0f, x[0]);
        assertEquals(1 / 255f, x[1]);
        assertEquals(128 / 255f, x[2]);
        assertEquals(1f, x[3]);
        assertEquals(7, s.test().label(0));
        try (Device cpu = Device.cpu()) {
            assertTrue(cpu.isReference());
        }
    }
}
