package dev.clprop.io;

import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.model.Standardizer;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.OptimizerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The schema of model and checkpoint files, entry by entry. */
class ModelFormatTest {
    @TempDir
    Path dir;

    static final Architecture ARCH = Architecture.parse("2,3:tanh,1:sigmoid");

    ModelFormat.StoredCheckpoint checkpoint(long epoch, long step, long rows) {
        Parameters p = Parameters.initialise(ARCH, 1);
        Map<String, float[][]> slots = new LinkedHashMap<>();
        for (var s : ARCH.parameterShapes()) slots.put(s.name(), new float[][]{new float[s.size()], new float[s.size()]});
        slots.get("W1")[1][2] = 0.5f;
        return new ModelFormat.StoredCheckpoint(new ModelFormat.StoredModel(p, Loss.BCE, new Standardizer(new float[]{1, 2}, new float[]{3, 4})),
                new OptimizerState(Optimizer.Kind.ADAM, step, slots), new ModelFormat.Progress((int) epoch, step, rows, -9),
                Map.of("batchSize", "32", "seed", "-9"), new ModelFormat.EarlyStopState(2, 0.125, 1, p));
    }

    @Test
    void aCheckpointReadsBackEntryForEntry() {
        Path f = dir.resolve("c.npz");
        ModelFormat.writeCheckpoint(f, checkpoint(3, 30, 7));
        ModelFormat.StoredCheckpoint c = ModelFormat.readCheckpoint(f);
        assertEquals(new ModelFormat.Progress(3, 30, 7, -9), c.progress());
        assertEquals(Loss.BCE, c.model().loss());
        assertArrayEquals(new float[]{3, 4}, c.model().standardizer().scale());
        assertEquals(0.5f, c.optimizer().get("W1", "exp_avg_sq")[2]);
        assertEquals(Map.of("batchSize", "32", "seed", "-9"), c.settings());
        assertEquals(2, c.earlyStop().bestEpoch());
        assertEquals(0.125, c.earlyStop().bestLoss());
        assertEquals(1, c.earlyStop().sinceBest());
        assertTrue(c.optimizer().bitwiseEquals(checkpoint(3, 30, 7).optimizer()));
        Map<String, Npz.Entry> raw = Npz.read(f);
        assertEquals(Npz.DType.INT64, raw.get("clprop_step").dtype(), "integers are int64 entries numpy reads as integers");
        assertEquals(ModelFormat.VERSION, raw.get("clprop_format").ints()[0]);
        assertArrayEquals(new int[]{3, 2}, raw.get("state.W1.exp_avg").shape());
        assertArrayEquals(new int[]{1}, raw.get("best.b2").shape());
    }

    @Test
    void progressMayBeZeroButNotNegative() {
        Path f = dir.resolve("zero.npz");
        ModelFormat.writeCheckpoint(f, checkpoint(0, 0, 0));
        assertEquals(new ModelFormat.Progress(0, 0, 0, -9), ModelFormat.readCheckpoint(f).progress());
        for (long[] bad : new long[][]{{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}}) {
            Path b = dir.resolve("neg.npz");
            ModelFormat.writeCheckpoint(b, checkpoint(0, 0, 0));
            Map<String, Npz.Entry> e = new LinkedHashMap<>(Npz.read(b));
            e.put("clprop_epoch", Npz.Entry.int64(bad[0]));
            e.put("clprop_step", Npz.Entry.int64(bad[1]));
            e.put("clprop_rows_done", Npz.Entry.int64(bad[2]));
            Npz.write(b, e);
            String msg = assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(b)).getMessage();
            assertTrue(msg.contains("implausible progress (epoch " + bad[0] + ", step " + bad[1] + ", rows " + bad[2] + ")"), msg);
        }
    }

    Path model(Map<String, Npz.Entry> extra, String... drop) {
        Path f = dir.resolve("m" + extra.hashCode() + drop.length + ".npz");
        ModelFormat.writeModel(f, new ModelFormat.StoredModel(Parameters.initialise(ARCH, 2), null, null));
        Map<String, Npz.Entry> e = new LinkedHashMap<>(Npz.read(f));
        for (String d : drop) e.remove(d);
        e.putAll(extra);
        Npz.write(f, e);
        return f;
    }

    @Test
    void aModelWithoutALossHasNone() {
        Path f = model(Map.of());
        assertTrue(!Npz.read(f).containsKey("loss"), "no loss entry is written for a model without one");
        assertNull(ModelFormat.readModel(f).loss());
        assertNull(ModelFormat.readModel(f).standardizer());
    }

    @Test
    void malformedEntriesAreNamed() {
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readModel(model(Map.of("spec", Npz.Entry.text("2,3:swish")))))
                .getMessage().contains("its 'spec' entry is not a valid architecture"));
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readModel(model(Map.of("loss", Npz.Entry.text("hinge")))))
                .getMessage().contains("its 'loss' entry: loss 'hinge' is unknown"));
        assertTrue(assertThrows(IncompatibleModelException.class, () -> ModelFormat.readModel(model(Map.of(), "spec")))
                .getMessage().contains("has no 'spec' entry"));
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readModel(model(Map.of("spec", Npz.Entry.int64(2)))))
                .getMessage().contains("spec should be a text entry"));
        String shiftOnly = assertThrows(InvalidInputException.class,
                () -> ModelFormat.readModel(model(Map.of("input_shift", Npz.Entry.floats(new float[2], 2))))).getMessage();
        assertTrue(shiftOnly.endsWith(": has input_shift without input_scale"), shiftOnly);
        String scaleOnly = assertThrows(InvalidInputException.class,
                () -> ModelFormat.readModel(model(Map.of("input_scale", Npz.Entry.floats(new float[]{1, 1}, 2))))).getMessage();
        assertTrue(scaleOnly.endsWith(": has input_scale without input_shift"), scaleOnly);
        String intShift = assertThrows(IncompatibleModelException.class, () -> ModelFormat.readModel(model(Map.of(
                "input_shift", Npz.Entry.int64(0), "input_scale", Npz.Entry.floats(new float[]{1, 1}, 2))))).getMessage();
        assertTrue(intShift.contains("input_shift has shape ()"), intShift);
        String missing = assertThrows(IncompatibleModelException.class, () -> ModelFormat.readModel(model(Map.of(), "b2"))).getMessage();
        assertTrue(missing.contains("missing array b2 of shape (1,)"), missing);
        String intW = assertThrows(IncompatibleModelException.class, () -> ModelFormat.readModel(model(Map.of("W1", Npz.Entry.int64(1))))).getMessage();
        assertTrue(intW.contains("expected a float array W1 of shape (3, 2)"), intW);
        String extraB = assertThrows(IncompatibleModelException.class,
                () -> ModelFormat.readModel(model(Map.of("b3", Npz.Entry.floats(new float[1], 1))))).getMessage();
        assertTrue(extraB.contains("has b3, which 2,3:tanh,1:sigmoid does not have (a layer without bias?)"), extraB);
        String extraW = assertThrows(IncompatibleModelException.class,
                () -> ModelFormat.readModel(model(Map.of("W3", Npz.Entry.floats(new float[1], 1, 1))))).getMessage();
        assertTrue(extraW.contains("(more layers than the architecture?)"), extraW);
    }

    @Test
    void checkpointEntriesThatAreMissingOrWrong() {
        Path f = dir.resolve("c.npz");
        ModelFormat.writeCheckpoint(f, checkpoint(1, 2, 0));
        Map<String, Npz.Entry> good = Npz.read(f);
        for (String drop : new String[]{"clprop_seed", "clprop_optimizer", "state.W1.exp_avg", "best.W2"}) {
            Map<String, Npz.Entry> e = new LinkedHashMap<>(good);
            e.remove(drop);
            Npz.write(f, e);
            String msg = assertThrows(RuntimeException.class, () -> ModelFormat.readCheckpoint(f)).getMessage();
            assertTrue(msg.contains(drop), drop + ": " + msg);
        }
        Map<String, Npz.Entry> e = new LinkedHashMap<>(good);
        e.put("clprop_optimizer", Npz.Entry.text("rmsprop"));
        Npz.write(f, e);
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(f)).getMessage().contains("its clprop_optimizer entry"));
        e.put("clprop_optimizer", Npz.Entry.text("adam"));
        e.put("clprop_step", Npz.Entry.floats(new float[]{1.5f}, 1));
        Npz.write(f, e);
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(f)).getMessage().contains("clprop_step is not an integer"));
        e.put("clprop_step", Npz.Entry.floats(new float[2], 2));
        Npz.write(f, e);
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(f)).getMessage().contains("should hold one integer"));
        e.put("clprop_step", Npz.Entry.int64(2));
        e.put("clprop_best_loss", Npz.Entry.text("lots"));
        Npz.write(f, e);
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(f)).getMessage().contains("unreadable clprop_best_loss"));
        Path m = model(Map.of());
        assertTrue(assertThrows(IncompatibleModelException.class, () -> ModelFormat.readCheckpoint(m)).getMessage().contains("is a model, not a clprop checkpoint"));
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(dir.resolve("none.npz"))).getMessage().contains("no such file"));
    }

    @Test
    void legacyCheckpointsInferTheOptimizerFromTheirState() {
        Path f = dir.resolve("legacy.npz");
        Map<String, Npz.Entry> e = new LinkedHashMap<>();
        Parameters p = Parameters.initialise(ARCH, 3);
        for (var s : ARCH.parameterShapes()) e.put(s.name(), Npz.Entry.floats(p.get(s.name()), s.fileShape()));
        e.put("spec", Npz.Entry.text(ARCH.spelling()));
        e.put("clprop_epoch", Npz.Entry.floats(new float[]{2}, 1));
        e.put("clprop_step", Npz.Entry.floats(new float[]{Float.intBitsToFloat(17)}, 1));
        e.put("clprop_seed", Npz.Entry.text("5"));
        Npz.write(f, e);
        ModelFormat.StoredCheckpoint sgd = ModelFormat.readCheckpoint(f);
        assertEquals(Optimizer.Kind.SGD, sgd.optimizer().kind());
        assertEquals(17, sgd.progress().step(), "0.1 stored the step as float32 bits");
        assertEquals(0, sgd.progress().rowsDone(), "absent in 0.1 files written at an epoch's end");
        for (var s : ARCH.parameterShapes()) e.put("opt0_" + s.name(), Npz.Entry.floats(new float[s.size()], s.fileShape()));
        Npz.write(f, e);
        assertEquals(Optimizer.Kind.MOMENTUM, ModelFormat.readCheckpoint(f).optimizer().kind());
        e.put("clprop_seed", Npz.Entry.text("five"));
        Npz.write(f, e);
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(f)).getMessage().contains("unreadable clprop_seed"));
        e.put("clprop_seed", Npz.Entry.text("5"));
        e.put("clprop_epoch", Npz.Entry.floats(new float[]{2.5f}, 1));
        Npz.write(f, e);
        assertTrue(assertThrows(InvalidInputException.class, () -> ModelFormat.readCheckpoint(f)).getMessage().contains("clprop_epoch is not an integer"));
    }
}
