package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Every file one command will write, planned before any work so that no run damages a file:
 * <ul>
 *   <li>{@link #input} names the files the command reads; {@link #output} each file it will write (a
 *       run folder's files too), by the setting that names it;</li>
 *   <li>an output that is one of the inputs, or the same file as another output, is refused at once,
 *       naming both settings; so is one that is a folder, a device or a symbolic link (a link would be
 *       replaced, or followed into a file the run never named);</li>
 *   <li>{@link #stage} gives the path to write an output's content to (a temporary file beside it), and
 *       {@link #commit} renames every staged file into place only once all of them are written: a run
 *       that fails on its last output (a full disk) leaves every earlier output as it was.</li>
 * </ul>
 * Paths are compared as the files they name: relative and absolute spellings, {@code ..}, and folders
 * reached through links resolve to one file. Not thread-safe; one plan per command.
 */
public final class OutputPlan implements AutoCloseable {
    private final Map<Path, String> inputs = new LinkedHashMap<>();
    private final Map<Path, String> outputs = new LinkedHashMap<>();
    private final Map<Path, Path> staged = new LinkedHashMap<>();
    private final Map<Path, String> exempt = new LinkedHashMap<>();
    private boolean committed;

    /**
     * Records a file the command reads (null is ignored).
     *
     * @param setting the setting that names it, for messages
     * @param file    the input
     * @return this plan
     */
    public OutputPlan input(String setting, Path file) {
        if (file != null) inputs.put(key(file), setting);
        return this;
    }

    /**
     * Lets the output {@code file} be the input of the same name: a resumed run's checkpoint, which the run
     * continues and so rewrites.
     *
     * @param file the input that the run rewrites on purpose
     * @return this plan
     */
    public OutputPlan rewrites(Path file) {
        if (file != null) exempt.put(key(file), "");
        return this;
    }

    /**
     * Records a file the command will write (null is ignored) and refuses it at once when it cannot be
     * written safely.
     *
     * @param setting the setting that names it ("save", "json", "out", ...)
     * @param file    the output
     * @return this plan
     * @throws InvalidSettingException naming the setting, when the file is an input, another output, a
     *                                 folder, device or link, or in a folder that cannot be written
     */
    public OutputPlan output(String setting, Path file) {
        if (file == null) return this;
        Path k = key(file);
        String other = outputs.get(k);
        if (other != null) {
            throw new InvalidSettingException(setting, file + " is also the run's " + other + " output; give each output a file of its own");
        }
        String in = inputs.get(k);
        if (in != null && !exempt.containsKey(k)) {
            throw new InvalidSettingException(setting, file + " is one of the run's inputs; refusing to replace it");
        }
        if (Files.isSymbolicLink(file)) throw new InvalidSettingException(setting, file + " is a symbolic link; refusing to replace it");
        AtomicFiles.checkTarget(setting, file);
        outputs.put(k, setting);
        return this;
    }

    /**
     * Where to write {@code file}'s content now: a temporary file in its folder, renamed over {@code file}
     * by {@link #commit}. The file must have been planned with {@link #output}.
     *
     * @param file a planned output
     * @return the path to write it to (through any writer: it may itself write atomically)
     */
    public Path stage(Path file) {
        Path k = key(file);
        if (!outputs.containsKey(k)) throw new IllegalStateException(file + " was not planned as an output");
        Path tmp = staged.get(k);
        if (tmp == null) {
            tmp = AtomicFiles.tempFor(file.toAbsolutePath());
            staged.put(k, tmp);
        }
        return tmp;
    }

    /**
     * Renames every staged file over its output, after all were written.
     *
     * @throws InvalidInputException when a rename fails (an output that became a folder, a full disk)
     */
    public void commit() {
        for (Map.Entry<Path, Path> e : staged.entrySet()) {
            if (!Files.isRegularFile(e.getValue(), LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException("staged " + e.getKey() + " was never written");
            }
        }
        for (Map.Entry<Path, Path> e : staged.entrySet()) {
            Path target = e.getKey();
            AtomicFiles.checkReplaceable(target); // a clear message; the rename itself also refuses a folder
            try {
                try {
                    Files.move(e.getValue(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException x) {
                    Files.move(e.getValue(), target, StandardCopyOption.REPLACE_EXISTING);
                }
                AtomicFiles.released(e.getValue());
            } catch (IOException x) {
                throw new InvalidInputException("cannot write " + target + ": " + x.getMessage(), x);
            }
        }
        committed = true;
    }

    /** Removes staged files that were never committed (a run that failed): nothing of it remains. */
    @Override
    public void close() {
        if (committed) return;
        for (Path tmp : staged.values()) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the run's own error is the one to report
            }
            AtomicFiles.released(tmp);
        }
    }

    /** The file a path names, for comparing: absolute, normalized, its folder resolved through links where it exists. */
    static Path key(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        try {
            if (parent != null && Files.exists(parent)) return parent.toRealPath().resolve(Objects.requireNonNull(abs.getFileName()));
        } catch (IOException ignored) {
            // an unresolvable folder is compared as spelled
        }
        return abs;
    }
}
