package dev.clprop.io;

import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.error.Quote;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.model.Standardizer;
import dev.clprop.model.TorchNames;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.OptimizerState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one schema of clprop's files, and their one writer. A model file is an {@code .npz}:
 * <table>
 *   <caption>entries</caption>
 *   <tr><td>{@code W1, b1, W2, ...}</td><td>float32, (out, in) and (out,): the parameters, named by the architecture</td></tr>
 *   <tr><td>{@code spec}</td><td>text: the architecture string, so the file alone describes the network</td></tr>
 *   <tr><td>{@code loss}</td><td>text: the loss it was trained with</td></tr>
 *   <tr><td>{@code input_shift, input_scale}</td><td>float32 (features,): input standardization, when trained with it</td></tr>
 *   <tr><td>{@code target_shift, target_scale}</td><td>float32 (outputs,): regression targets were trained as
 *       {@code (y − shift) / scale}; predictions are {@code output · scale + shift}</td></tr>
 *   <tr><td>{@code task}</td><td>text: classification or regression</td></tr>
 *   <tr><td>{@code class_names}</td><td>text (classes,): what output i is called, when the labels were text</td></tr>
 *   <tr><td>{@code feature_names, target_names, ignored_names}</td><td>text: the training CSV header's feature,
 *       label-or-target and ignored columns, when it had a header</td></tr>
 *   <tr><td>{@code clprop_format}</td><td>int64: {@value #VERSION}</td></tr>
 * </table>
 * A checkpoint adds the progress ({@code clprop_epoch}, {@code clprop_step}, {@code clprop_rows_done},
 * {@code clprop_seed}, int64; within an epoch also {@code clprop_epoch_batches} and {@code clprop_epoch_loss_bits}, the
 * raw bits of the float64 loss sum), the optimizer ({@code clprop_optimizer}, text), its state per parameter
 * and slot ({@code state.W1.exp_avg}, float32) and the settings a resumed run must repeat
 * ({@code setting.NAME}, text). Files written by clprop 0.1 (integers as float32 bit patterns, the
 * seed as text, state as {@code opt0_W1}/{@code opt1_W1}) still load.
 */
public final class ModelFormat {
    /** The clprop_format this code writes. */
    public static final int VERSION = 2;

    static final String FORMAT = "clprop_format";
    static final String SPEC = "spec";
    static final String LOSS = "loss";
    static final String INPUT_SHIFT = "input_shift";
    static final String TARGET_SHIFT = "target_shift";
    static final String TARGET_SCALE = "target_scale";
    static final String INPUT_SCALE = "input_scale";
    static final String EPOCH = "clprop_epoch";
    static final String STEP = "clprop_step";
    static final String ROWS_DONE = "clprop_rows_done";
    static final String EPOCH_LOSS_BITS = "clprop_epoch_loss_bits";
    static final String EPOCH_BATCHES = "clprop_epoch_batches";
    static final String SEED = "clprop_seed";
    static final String OPTIMIZER = "clprop_optimizer";
    static final String STATE = "state.";
    static final String SETTING = "setting.";
    static final String BEST_EPOCH = "clprop_best_epoch";
    static final String BEST_LOSS = "clprop_best_loss";
    static final String SINCE_BEST = "clprop_since_best";
    static final String BEST = "best.";
    static final String TASK = "task";
    static final String CLASS_NAMES = "class_names";
    static final String FEATURE_NAMES = "feature_names";
    static final String TARGET_NAMES = "target_names";
    static final String IGNORED_NAMES = "ignored_names";

    /**
     * A trained network: its parameters (which carry the architecture), loss, input standardization or
     * null, and what its inputs and outputs mean.
     */
    public record StoredModel(Parameters parameters, Loss loss, Standardizer standardizer, DataSchema schema, Standardizer targetScaling) {
        /** Checks that the target scaling has one value per output. */
        public StoredModel {
            if (schema == null) schema = DataSchema.UNKNOWN;
            if (targetScaling != null && targetScaling.features() != parameters.architecture().outputs()) {
                throw new IllegalArgumentException("target scaling of " + targetScaling.features() + " values for " + parameters.architecture().outputs() + " outputs");
            }
        }

        /** A model without target scaling. */
        public StoredModel(Parameters parameters, Loss loss, Standardizer standardizer, DataSchema schema) {
            this(parameters, loss, standardizer, schema, null);
        }

        /** A model that knows nothing of its data. */
        public StoredModel(Parameters parameters, Loss loss, Standardizer standardizer) {
            this(parameters, loss, standardizer, DataSchema.UNKNOWN);
        }

        /** The network the parameters belong to. */
        public Architecture architecture() {
            return parameters.architecture();
        }
    }

    /**
     * Where a run stands: epochs finished, optimizer steps taken, rows of the next epoch already trained, seed,
     * and for a run stopped within an epoch the sum of that epoch's batch losses so far and their count (so
     * that the resumed epoch reports the training loss the uninterrupted one would).
     */
    public record Progress(int epochsDone, long step, long rowsDone, long seed, double epochLossSum, int epochBatches) {
        /** Progress at an epoch's end, or without the epoch's loss so far. */
        public Progress(int epochsDone, long step, long rowsDone, long seed) {
            this(epochsDone, step, rowsDone, seed, 0, 0);
        }
    }

    /** Early stopping's memory: the best epoch so far, its validation loss and weights, and epochs since. */
    public record EarlyStopState(int bestEpoch, double bestLoss, int sinceBest, Parameters best) {
    }

    /** Everything a run needs to continue: the model, the optimizer and its state, progress, and its settings. */
    public record StoredCheckpoint(StoredModel model, OptimizerState optimizer, Progress progress, Map<String, String> settings,
                                   EarlyStopState earlyStop) {
    }

    private ModelFormat() {
    }

    /** Writes a model file, atomically. */
    public static void writeModel(Path file, StoredModel m) {
        Npz.write(file, modelEntries(m));
    }

    /**
     * The parameters alone, under the state_dict keys of the matching PyTorch {@code nn.Sequential}
     * ({@link TorchNames}), float32: {@code model.load_state_dict({k: torch.tensor(v) for k, v in np.load(f).items()})}.
     */
    public static void writeTorchWeights(Path file, Parameters p) {
        Map<String, Npz.Entry> e = new LinkedHashMap<>();
        TorchNames.of(p.architecture()).forEach((name, key) -> {
            ParamShape s = p.shapes().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            e.put(key, Npz.Entry.floats(p.get(name), s.fileShape()));
        });
        for (String key : TorchNames.untracked(p.architecture())) e.put(key, Npz.Entry.int64(0));
        Npz.write(file, e);
    }

    /** Writes a checkpoint (a model file with the run's progress, optimizer state and settings), atomically. */
    public static void writeCheckpoint(Path file, StoredCheckpoint c) {
        Map<String, Npz.Entry> e = modelEntries(c.model());
        Progress p = c.progress();
        e.put(EPOCH, Npz.Entry.int64(p.epochsDone()));
        e.put(STEP, Npz.Entry.int64(p.step()));
        e.put(ROWS_DONE, Npz.Entry.int64(p.rowsDone()));
        e.put(SEED, Npz.Entry.int64(p.seed()));
        if (p.epochBatches() > 0) {
            // the double's bits, exactly: the resumed epoch adds its batches to this very sum
            e.put(EPOCH_LOSS_BITS, Npz.Entry.int64(Double.doubleToRawLongBits(p.epochLossSum())));
            e.put(EPOCH_BATCHES, Npz.Entry.int64(p.epochBatches()));
        }
        OptimizerState s = c.optimizer();
        e.put(OPTIMIZER, Npz.Entry.text(s.kind().spelling()));
        for (ParamShape ps : c.model().architecture().parameterShapes()) {
            for (String slot : s.kind().slots()) e.put(STATE + ps.name() + "." + slot, Npz.Entry.floats(s.get(ps.name(), slot), ps.fileShape()));
        }
        new TreeMap<>(c.settings()).forEach((k, v) -> e.put(SETTING + k, Npz.Entry.text(v)));
        EarlyStopState es = c.earlyStop();
        if (es != null) {
            e.put(BEST_EPOCH, Npz.Entry.int64(es.bestEpoch()));
            e.put(BEST_LOSS, Npz.Entry.text(Double.toString(es.bestLoss())));
            e.put(SINCE_BEST, Npz.Entry.int64(es.sinceBest()));
            for (ParamShape ps : c.model().architecture().stateShapes()) e.put(BEST + ps.name(), Npz.Entry.floats(es.best().get(ps.name()), ps.fileShape()));
        }
        Npz.write(file, e);
    }

    private static Map<String, Npz.Entry> modelEntries(StoredModel m) {
        Map<String, Npz.Entry> e = new LinkedHashMap<>();
        for (ParamShape p : m.architecture().stateShapes()) e.put(p.name(), Npz.Entry.floats(m.parameters().get(p.name()), p.fileShape()));
        e.put(SPEC, Npz.Entry.text(m.architecture().spelling()));
        if (m.loss() != null) e.put(LOSS, Npz.Entry.text(m.loss().spelling()));
        if (m.standardizer() != null) {
            e.put(INPUT_SHIFT, Npz.Entry.floats(m.standardizer().shift(), m.standardizer().features()));
            e.put(INPUT_SCALE, Npz.Entry.floats(m.standardizer().scale(), m.standardizer().features()));
        }
        if (m.targetScaling() != null) {
            e.put(TARGET_SHIFT, Npz.Entry.floats(m.targetScaling().shift(), m.targetScaling().features()));
            e.put(TARGET_SCALE, Npz.Entry.floats(m.targetScaling().scale(), m.targetScaling().features()));
        }
        DataSchema d = m.schema();
        if (d.task() != null) e.put(TASK, Npz.Entry.text(d.task().spelling()));
        names(e, CLASS_NAMES, d.classNames());
        names(e, FEATURE_NAMES, d.featureNames());
        names(e, TARGET_NAMES, d.targetNames());
        names(e, IGNORED_NAMES, d.ignoredNames());
        e.put(FORMAT, Npz.Entry.int64(VERSION));
        return e;
    }

    private static void names(Map<String, Npz.Entry> e, String key, List<String> names) {
        if (names != null && !names.isEmpty()) e.put(key, Npz.Entry.texts(names));
    }

    /** A model whose file names its own architecture ({@code spec}). */
    public static StoredModel readModel(Path file) {
        return readModel(file, null);
    }

    /**
     * A model's parameters for {@code expected}, or for the file's own {@code spec} when expected is
     * null. Any {@code .npz} whose W/b arrays (float32 or float64) have the architecture's shapes will
     * do, e.g. one saved by {@code numpy.savez}.
     */
    public static StoredModel readModel(Path file, Architecture expected) {
        try (Npz.Reader r = Npz.open(file)) {
            return readModel(r, expected);
        }
    }

    private static StoredModel readModel(Npz.Reader r, Architecture expected) {
        Path file = r.file();
        if (r.has(FORMAT)) {
            long version = integer(r, FORMAT, LegacyInt.NONE);
            if (version < 1 || version > VERSION) {
                throw new IncompatibleModelException(file + ": clprop_format " + version + " is not one this clprop reads (1.." + VERSION
                        + (version > VERSION ? "; it was written by a newer clprop)" : ")"));
            }
        }
        Architecture arch = expected;
        if (arch == null) {
            String spec = text(r, SPEC);
            if (spec == null) throw new IncompatibleModelException(file + ": has no 'spec' entry, so its architecture is unknown; give the architecture");
            try {
                arch = Architecture.parse(spec);
            } catch (InvalidInputException e) {
                throw new InvalidInputException(file + ": its 'spec' entry is not a valid architecture: " + e.getMessage());
            }
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        // clprop's own names, or a PyTorch nn.Sequential's state_dict keys (0.weight, 0.bias, ...)
        Map<String, String> torch = TorchNames.of(arch);
        String first = arch.stateShapes().get(0).name(); // W1, or gamma1 when a normalization comes first
        boolean torchKeys = r.header(first) == null && r.header(torch.get(first)) != null;
        for (ParamShape p : arch.stateShapes()) {
            String key = torchKeys ? torch.get(p.name()) : p.name();
            String shown = torchKeys ? key + " (" + p.name() + ")" : p.name();
            Npz.Header h = r.header(key);
            if (h == null || (h.dtype() != Npz.DType.FLOAT32 && h.dtype() != Npz.DType.FLOAT64)) {
                throw new IncompatibleModelException(file + ": " + (h == null ? "missing array " : "expected a float array ") + shown
                        + " of shape " + Npz.Entry.shapeString(p.fileShape()) + " for " + arch
                        + (torchKeys ? ", whose PyTorch form is " + TorchNames.sequential(arch) : ""));
            }
            if (!Arrays.equals(h.shape(), p.fileShape())) {
                throw new IncompatibleModelException(file + ": " + shown + " has shape " + h.shapeString() + " but " + arch + " needs "
                        + Npz.Entry.shapeString(p.fileShape()));
            }
            float[] v = r.read(key).floats();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) throw new InvalidInputException(file + ": " + shown + " holds " + v[i] + " at index " + i + "; a model's values must be finite");
            }
            values.put(p.name(), v);
        }
        List<String> names = r.names();
        java.util.Collection<String> known = torchKeys ? torch.values() : values.keySet();
        for (String n : names) {
            if ((torchKeys ? n.matches("\\d+\\.(weight|bias)") : n.matches("[Wb]\\d+")) && !known.contains(n)) {
                throw new IncompatibleModelException(file + ": has " + n + ", which " + arch + " does not have"
                        + (n.startsWith("b") || n.endsWith("bias") ? " (a layer without bias?)" : " (more layers than the architecture?)")
                        + (torchKeys ? "; its PyTorch form is " + TorchNames.sequential(arch) : ""));
            }
        }
        String lossName = text(r, LOSS);
        Loss loss;
        try {
            loss = lossName == null ? null : Loss.parse(lossName);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file + ": its 'loss' entry: " + e.getMessage());
        }
        return new StoredModel(new Parameters(arch, values), loss, standardizer(r, arch, INPUT_SHIFT, INPUT_SCALE, arch.inputs(), "inputs"),
                schema(r, arch), standardizer(r, arch, TARGET_SHIFT, TARGET_SCALE, arch.outputs(), "outputs"));
    }

    private static DataSchema schema(Npz.Reader r, Architecture arch) {
        String taskName = text(r, TASK);
        DataSchema.Task task = taskName == null ? null : DataSchema.Task.parse(taskName);
        if (taskName != null && task == null) throw new InvalidInputException(r.file() + ": its 'task' entry " + Quote.of(taskName) + " is neither classification nor regression");
        DataSchema d;
        try {
            d = new DataSchema(task, texts(r, FEATURE_NAMES), texts(r, TARGET_NAMES), texts(r, CLASS_NAMES), texts(r, IGNORED_NAMES));
        } catch (IncompatibleModelException e) {
            throw new IncompatibleModelException(r.file() + ": " + e.getMessage());
        }
        d.checkAgainst(arch, r.file().toString());
        return d;
    }

    private static List<String> texts(Npz.Reader r, String name) {
        if (!r.has(name)) return null;
        Npz.Header h = r.header(name);
        if (h.dtype() != Npz.DType.TEXT || h.shape().length != 1) throw new InvalidInputException(r.file() + ": " + name + " should be a 1-d array of text");
        return List.of(r.read(name).texts());
    }

    /** The shift and scale stored under these names, both or neither, one per input (or output); null when absent. */
    private static Standardizer standardizer(Npz.Reader r, Architecture arch, String shiftName, String scaleName, int length, String what) {
        boolean shift = r.has(shiftName), scale = r.has(scaleName);
        if (!shift && !scale) return null;
        if (shift != scale) throw new InvalidInputException(r.file() + ": has " + (shift ? shiftName : scaleName) + " without " + (shift ? scaleName : shiftName));
        float[] sh = floats(r, shiftName, length, what), sc = floats(r, scaleName, length, what);
        try {
            return new Standardizer(sh, sc);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(r.file() + ": " + shiftName + "/" + scaleName + ": " + e.getMessage());
        }
    }

    private static float[] floats(Npz.Reader r, String name, int length, String what) {
        Npz.Header h = r.header(name);
        if ((h.dtype() != Npz.DType.FLOAT32 && h.dtype() != Npz.DType.FLOAT64) || h.shape().length != 1 || h.shape()[0] != length) {
            throw new IncompatibleModelException(r.file() + ": " + name + " has shape " + h.shapeString() + " but the network has " + length + " " + what);
        }
        return r.read(name).floats();
    }

    /** Reads a checkpoint; a model file without progress is an error naming it. */
    public static StoredCheckpoint readCheckpoint(Path file) {
        if (!Files.isRegularFile(file)) throw new InvalidInputException(file + ": no such file");
        try (Npz.Reader r = Npz.open(file)) {
            StoredModel m = readModel(r, null);
            if (!r.has(EPOCH) || !r.has(STEP)) throw new IncompatibleModelException(file + ": is a model, not a clprop checkpoint (it has no progress entries)");
            boolean legacy = !r.has(FORMAT);
            long epoch = integer(r, EPOCH, legacy ? LegacyInt.VALUE : LegacyInt.NONE);
            long step = integer(r, STEP, legacy ? LegacyInt.BITS : LegacyInt.NONE);
            long rows = r.has(ROWS_DONE) ? integer(r, ROWS_DONE, legacy ? LegacyInt.BITS : LegacyInt.NONE) : 0;
            long seed;
            if (legacy) {
                String s = text(r, SEED);
                try {
                    seed = Long.parseLong(s);
                } catch (NumberFormatException | NullPointerException e) {
                    throw new InvalidInputException(file + ": unreadable clprop_seed '" + s + "'");
                }
            } else {
                seed = integer(r, SEED, LegacyInt.NONE);
            }
            if (epoch < 0 || epoch > Integer.MAX_VALUE || step < 0 || rows < 0) {
                throw new InvalidInputException(file + ": implausible progress (epoch " + epoch + ", step " + step + ", rows " + rows + ")");
            }
            OptimizerState state = legacy ? legacyState(r, m.architecture(), step) : state(r, m.architecture(), step);
            Map<String, String> settings = new LinkedHashMap<>();
            for (String n : r.names()) if (n.startsWith(SETTING)) settings.put(n.substring(SETTING.length()), text(r, n));
            String bad = state.firstNonFinite(); // the parameters were checked as the model was read
            if (bad != null) {
                // a run that diverged never writes its checkpoint, so these values did not come from training
                throw new InvalidInputException(file + ": " + bad + " holds a value that is not a finite number; the checkpoint is damaged");
            }
            double lossSum = 0;
            long batches = 0;
            if (r.has(EPOCH_BATCHES) || r.has(EPOCH_LOSS_BITS)) {
                batches = integer(r, EPOCH_BATCHES, LegacyInt.NONE);
                lossSum = Double.longBitsToDouble(integer(r, EPOCH_LOSS_BITS, LegacyInt.NONE));
                if (batches < 0 || batches > rows || !Double.isFinite(lossSum) || lossSum < 0) {
                    throw new InvalidInputException(file + ": implausible progress within the epoch (" + batches + " batches over " + rows
                            + " rows, loss sum " + lossSum + "); the checkpoint is damaged");
                }
            }
            return new StoredCheckpoint(m, state, new Progress((int) epoch, step, rows, seed, lossSum, (int) batches), settings,
                    earlyStop(r, m.architecture()));
        }
    }

    private static EarlyStopState earlyStop(Npz.Reader r, Architecture arch) {
        if (!r.has(BEST_EPOCH)) return null;
        double loss;
        try {
            loss = Double.parseDouble(text(r, BEST_LOSS));
        } catch (NumberFormatException | NullPointerException e) {
            throw new InvalidInputException(r.file() + ": unreadable " + BEST_LOSS);
        }
        Map<String, float[]> best = new LinkedHashMap<>();
        for (ParamShape p : arch.stateShapes()) best.put(p.name(), stateArray(r, BEST + p.name(), p));
        return new EarlyStopState((int) integer(r, BEST_EPOCH, LegacyInt.NONE), loss, (int) integer(r, SINCE_BEST, LegacyInt.NONE),
                new Parameters(arch, best));
    }

    private static OptimizerState state(Npz.Reader r, Architecture arch, long step) {
        String kindName = text(r, OPTIMIZER);
        if (kindName == null) throw new InvalidInputException(r.file() + ": has no clprop_optimizer entry");
        Optimizer.Kind kind;
        try {
            kind = Optimizer.Kind.parse(kindName);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(r.file() + ": its clprop_optimizer entry: " + e.getMessage());
        }
        Map<String, float[][]> slots = new LinkedHashMap<>();
        for (ParamShape p : arch.parameterShapes()) {
            float[][] s = new float[kind.slots().size()][];
            for (int i = 0; i < s.length; i++) s[i] = stateArray(r, STATE + p.name() + "." + kind.slots().get(i), p);
            slots.put(p.name(), s);
        }
        return new OptimizerState(kind, step, slots);
    }

    /** clprop 0.1 wrote opt0_* (momentum, or Adam's first moment) and opt1_* (Adam's second moment). */
    private static OptimizerState legacyState(Npz.Reader r, Architecture arch, long step) {
        int n = 0;
        while (n < 2 && r.has("opt" + n + "_" + arch.parameterShapes().get(0).name())) n++;
        Optimizer.Kind kind = n == 0 ? Optimizer.Kind.SGD : n == 1 ? Optimizer.Kind.MOMENTUM : Optimizer.Kind.ADAM;
        Map<String, float[][]> slots = new LinkedHashMap<>();
        for (ParamShape p : arch.parameterShapes()) {
            float[][] s = new float[n][];
            for (int i = 0; i < n; i++) s[i] = stateArray(r, "opt" + i + "_" + p.name(), p);
            slots.put(p.name(), s);
        }
        return new OptimizerState(kind, step, slots);
    }

    private static float[] stateArray(Npz.Reader r, String name, ParamShape p) {
        Npz.Header h = r.header(name);
        if (h == null) throw new IncompatibleModelException(r.file() + ": has no array " + name);
        if (h.dtype() != Npz.DType.FLOAT32 || !Arrays.equals(h.shape(), p.fileShape())) {
            throw new IncompatibleModelException(r.file() + ": " + name + " has shape " + h.shapeString() + ", expected " + Npz.Entry.shapeString(p.fileShape()));
        }
        return r.read(name).floats();
    }

    private enum LegacyInt { NONE, VALUE, BITS }

    private static long integer(Npz.Reader r, String name, LegacyInt legacy) {
        Npz.Entry e = r.read(name);
        if (e == null) throw new InvalidInputException(r.file() + ": has no " + name + " entry");
        if (e.count() != 1) throw new InvalidInputException(r.file() + ": " + name + " should hold one integer, has shape " + e.shapeString());
        if (e.isInt()) return e.ints()[0];
        if (e.isFloat() && legacy == LegacyInt.BITS) return Float.floatToRawIntBits(e.floats()[0]);
        if (e.isFloat() && legacy == LegacyInt.VALUE && e.floats()[0] == (long) e.floats()[0]) return (long) e.floats()[0];
        throw new InvalidInputException(r.file() + ": " + name + " is not an integer");
    }

    private static String text(Npz.Reader r, String name) {
        if (!r.has(name)) return null;
        Npz.Header h = r.header(name);
        if (h.dtype() != Npz.DType.TEXT || h.shape().length != 0) throw new InvalidInputException(r.file() + ": " + name + " should be a text entry");
        return r.read(name).text();
    }
}
