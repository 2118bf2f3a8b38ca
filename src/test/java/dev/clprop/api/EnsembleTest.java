package dev.clprop.api;

import dev.clprop.Device;
import dev.clprop.Ensemble;
import dev.clprop.Model;
import dev.clprop.Trainer;
import dev.clprop.cli.CliRunner;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several models of one architecture predict and evaluate as one, their outputs averaged (part of issue 28). */
class EnsembleTest {
    @TempDir
    Path dir;

    static Model digits(long seed) {
        return Trainer.builder(Architecture.parse("64,16:relu,10:softmax")).optimizer(Optimizer.adam(0.01f)).epochs(3).seed(seed)
                .standardize(true).device("cpu").build().fit(DataSources.digits().train()).model();
    }

    @Test
    void theEnsemblesOutputsAreTheMeanOfItsMembersAndItScoresLikeOneModel() {
        DataSplit s = DataSources.digits();
        Model a = digits(1), b = digits(2), c = digits(3);
        Ensemble e = Ensemble.of(List.of(a, b, c));
        float[][] rows = {s.test().row(0), s.test().row(1)};
        try (Device cpu = Device.cpu()) {
            float[][] mean = e.predict(rows, cpu);
            for (int r = 0; r < rows.length; r++) {
                float[] pa = a.predict(rows[r]), pb = b.predict(rows[r]), pc = c.predict(rows[r]);
                for (int j = 0; j < 10; j++) assertEquals((pa[j] + pb[j] + pc[j]) / 3, mean[r][j], 1e-6, "row " + r + " class " + j);
            }
            Metrics m = e.evaluate(s.test(), cpu);
            assertTrue(m.accuracy() > 0.85, "an ensemble of digits models: " + m.accuracy());
            assertEquals(a.evaluate(s.test(), cpu).accuracy(), Ensemble.of(List.of(a)).evaluate(s.test(), cpu).accuracy(), 0.0,
                    "an ensemble of one is that model");
        }
    }

    @Test
    void modelsThatDoNotAgreeAreRefusedByPosition() {
        Model a = digits(1);
        Model other = Trainer.builder(Architecture.parse("64,8:relu,3:softmax")).epochs(1).device("cpu").build()
                .fit(dev.clprop.data.Dataset.classification(new float[][]{new float[64], new float[64], new float[64]}, new int[]{0, 1, 2})).model();
        IncompatibleModelException x = assertThrows(IncompatibleModelException.class, () -> Ensemble.of(List.of(a, other)));
        assertTrue(x.getMessage().startsWith("model 2 of the ensemble has 3 outputs, not 10"), x.getMessage());
    }

    @Test
    void predictAndEvaluateTakeSeveralModels() {
        Path a = dir.resolve("a.npz"), b = dir.resolve("b.npz");
        digits(1).save(a);
        digits(2).save(b);
        CliRunner e = CliRunner.run("evaluate", "--model", a.toString(), "--model", b.toString(), "--data", "digits");
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("ensemble of 2") && CliRunner.accuracy(e.out()) > 85, e.out());
        CliRunner p = CliRunner.run("predict", "--model", a.toString(), "--model", b.toString(), "--data", "digits", "--no-header");
        assertEquals(0, p.status(), p.err());
        String first = p.out().lines().findFirst().orElseThrow();
        float[] row = DataSources.digits().test().row(0);
        float[] pa = Model.load(a).predict(row), pb = Model.load(b).predict(row);
        String[] cells = first.split(",");
        float[] got = new float[10], want = new float[10];
        for (int j = 0; j < 10; j++) {
            got[j] = Float.parseFloat(cells[j]);
            want[j] = (pa[j] + pb[j]) / 2;
        }
        assertArrayEquals(want, got, 1e-6f);
    }
}
