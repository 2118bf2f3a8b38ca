package dev.clprop.model;

import dev.clprop.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model on disk: an {@code .npz} with {@code W1..WL} float32 (out, in), {@code b1..bL} float32 (out)
 * for layers with a bias, {@code spec} (the --layers string) and, when known, {@code loss}.
 * The file alone describes the model. Checkpoints add optimizer state and progress through
 * {@link #save(Path, Parameters, Loss, Map)}'s extra entries.
 */
public final class ModelFile {
    public static final String SPEC = "spec";
    public static final String LOSS = "loss";

    /** A loaded model: its parameters, its loss when the file names one, and every entry read. */
    public record Loaded(Parameters parameters, Loss loss, Map<String, Npz.Entry> entries) {
    }

    private ModelFile() {
    }

    public static void save(Path file, Parameters p, Loss loss) {
        save(file, p, loss, Map.of());
    }

    public static void save(Path file, Parameters p, Loss loss, Map<String, Npz.Entry> extra) {
        Map<String, Npz.Entry> e = new LinkedHashMap<>();
        NetworkSpec spec = p.spec();
        for (int l = 0; l < spec.depth(); l++) {
            LayerSpec ls = spec.layer(l);
            e.put("W" + (l + 1), Npz.Entry.of(p.weights(l).clone(), ls.out(), ls.in()));
            if (ls.bias()) e.put("b" + (l + 1), Npz.Entry.of(p.bias(l).clone(), ls.out()));
        }
        e.put(SPEC, Npz.Entry.text(spec.spelling()));
        if (loss != null) e.put(LOSS, Npz.Entry.text(loss.spelling));
        e.putAll(extra);
        Npz.write(file, e);
    }

    /** Loads a model whose file carries its own architecture. */
    public static Loaded load(Path file) {
        return load(file, null);
    }

    /**
     * Loads weights. With {@code expected} (from --layers), every array must have that architecture's
     * shape; without it, the file's own {@code spec} entry gives the architecture.
     */
    public static Loaded load(Path file, NetworkSpec expected) {
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such file");
        Map<String, Npz.Entry> entries = Npz.read(file);
        NetworkSpec spec = expected;
        Npz.Entry specEntry = entries.get(SPEC);
        if (spec == null) {
            if (specEntry == null || specEntry.text() == null) {
                throw new UserError(file + ": the file has no 'spec' entry, so its architecture is unknown; pass --layers");
            }
            spec = NetworkSpec.parse(specEntry.text());
        }
        float[][] w = new float[spec.depth()][];
        float[][] b = new float[spec.depth()][];
        for (int l = 0; l < spec.depth(); l++) {
            LayerSpec ls = spec.layer(l);
            w[l] = take(file, entries, "W" + (l + 1), new int[]{ls.out(), ls.in()});
            if (ls.bias()) {
                b[l] = take(file, entries, "b" + (l + 1), new int[]{ls.out()});
            } else if (entries.containsKey("b" + (l + 1))) {
                throw new UserError(file + ": has b" + (l + 1) + " but layer " + (l + 1) + " of " + spec + " has no bias");
            }
        }
        if (entries.containsKey("W" + (spec.depth() + 1))) {
            throw new UserError(file + ": has W" + (spec.depth() + 1) + " but " + spec + " has only " + spec.depth() + " layers");
        }
        Npz.Entry lossEntry = entries.get(LOSS);
        Loss loss = lossEntry != null && lossEntry.text() != null ? Loss.parse(lossEntry.text()) : null;
        return new Loaded(new Parameters(spec, w, b), loss, entries);
    }

    private static float[] take(Path file, Map<String, Npz.Entry> entries, String name, int[] shape) {
        Npz.Entry e = entries.get(name);
        if (e == null || e.data() == null) {
            throw new UserError(file + ": missing array " + name + " of shape " + Npz.Entry.of(null, shape).shapeString());
        }
        if (!Arrays.equals(e.shape(), shape)) {
            throw new UserError(file + ": " + name + " has shape " + e.shapeString() + " but the network needs "
                    + Npz.Entry.of(null, shape).shapeString());
        }
        return e.data();
    }
}
