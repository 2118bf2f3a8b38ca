package dev.clprop.io;

import dev.clprop.Model;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.train.Outcome;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files written by clprop 0.1 (src/test/resources/legacy-0.1, made by that release's jar) still
 * load, and today's code computes the same numbers bit for bit on the EJML path: a fresh run with
 * 0.1's settings ends with 0.1's weights, and resuming 0.1's own mid-run checkpoints does too.
 */
class LegacyFilesTest {
    static Path resource(String name) {
        try {
            return Path.of(LegacyFilesTest.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Dataset iris() {
        return DataSources.csv(resource("iris.csv"), CsvOptions.classification());
    }

    static Trainer adam() {
        return Trainer.builder(Architecture.parse("4,8:tanh,3:softmax")).optimizer(Optimizer.adam(0.01f))
                .batchSize(16).epochs(4).seed(5).standardize(true).device("cpu").build();
    }

    static Trainer momentum() {
        return Trainer.builder(Architecture.parse("4,6:relu:nobias,3:softmax")).optimizer(Optimizer.momentum(0.05f, 0.9f))
                .batchSize(10).epochs(3).seed(9).device("cpu").build();
    }

    @Test
    void aModelFileOf01LoadsAndPredictsExactlyAsItDid() throws IOException {
        Model m = Model.load(resource("legacy-0.1/adam-final.npz"));
        assertEquals("4,8:tanh,3:softmax", m.architecture().spelling());
        assertNotNull(m.standardizer(), "input_shift/input_scale are read");
        Dataset iris = iris();
        float[][] rows = new float[iris.rows()][];
        for (int r = 0; r < rows.length; r++) rows[r] = iris.row(r);
        float[][] got = m.predict(rows);
        List<String> want = Files.readAllLines(resource("legacy-0.1/adam-final-predict.csv"));
        assertEquals(150, want.size());
        for (int r = 0; r < 150; r++) {
            String[] cells = want.get(r).split(",");
            for (int j = 0; j < 3; j++) {
                assertEquals(Float.parseFloat(cells[j]), got[r][j], 0f, "row " + r + " output " + j + " as clprop 0.1 printed it");
            }
        }
    }

    @Test
    void aFreshRunEndsWith01sWeights() {
        TrainingResult r = adam().fit(iris());
        assertEquals(Outcome.COMPLETED, r.outcome());
        assertTrue(r.model().sameAs(Model.load(resource("legacy-0.1/adam-final.npz"))), "today's run differs from clprop 0.1's");
        TrainingResult m = momentum().fit(iris());
        assertTrue(m.model().sameAs(Model.load(resource("legacy-0.1/momentum-final.npz"))), "today's momentum run differs from clprop 0.1's");
    }

    @Test
    void resuming01CheckpointsEndsWith01sUninterruptedWeights() {
        ModelFormat.StoredCheckpoint c = ModelFormat.readCheckpoint(resource("legacy-0.1/adam-epoch2-checkpoint.npz"));
        assertEquals(2, c.progress().epochsDone());
        assertEquals(20, c.progress().step(), "150 rows in batches of 16: 10 steps per epoch (stored as a float32 bit pattern in 0.1)");
        assertEquals(5, c.progress().seed());
        assertEquals(Optimizer.Kind.ADAM, c.optimizer().kind(), "opt0_*/opt1_* are Adam's two moments");
        TrainingResult r = adam().resume(resource("legacy-0.1/adam-epoch2-checkpoint.npz"), iris());
        assertTrue(r.model().sameAs(Model.load(resource("legacy-0.1/adam-final.npz"))), "resumed from 0.1's checkpoint, differs from 0.1's run");
        TrainingResult m = momentum().resume(resource("legacy-0.1/momentum-epoch1-checkpoint.npz"), iris());
        assertTrue(m.model().sameAs(Model.load(resource("legacy-0.1/momentum-final.npz"))), "momentum resumed from 0.1's checkpoint differs");
    }
}
