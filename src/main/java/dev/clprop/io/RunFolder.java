package dev.clprop.io;

import dev.clprop.error.InvalidSettingException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A folder that holds one training run's outputs (model, checkpoint, metrics, chart), written so
 * that nothing already there is damaged:
 * <ul>
 *   <li>One run at a time: the folder is locked (an OS file lock, released when the process ends,
 *       however it ends); a second run is refused, naming the process that holds it.</li>
 *   <li>During the run every file goes to {@code incomplete/} inside the folder; only when the run
 *       succeeds does {@link #commit()} move them over the previous run's files, one atomic rename
 *       each. A run that fails, diverges or is interrupted leaves the previous run's files as they
 *       were, and its own checkpoint in {@code incomplete/} to resume from.</li>
 * </ul>
 */
public final class RunFolder implements AutoCloseable {
    /** The subfolder that holds a run's files until it succeeds. */
    public static final String INCOMPLETE = "incomplete";
    /** The lock file's name in the folder. */
    public static final String LOCK = ".clprop.lock";

    private final Path dir;
    private final Path staging;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** What this run staged: only these are moved into place (a stale incomplete/ from another run holds others). */
    private final java.util.Set<String> stagedNames = new java.util.LinkedHashSet<>();

    private RunFolder(Path dir, FileChannel channel, FileLock lock) throws IOException {
        this.dir = dir;
        this.lockChannel = channel;
        this.lock = lock;
        this.staging = Files.createDirectories(dir.resolve(INCOMPLETE));
    }

    /** Creates the folder if needed and takes its lock; refuses a folder another run holds. */
    public static RunFolder open(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new InvalidSettingException("out", dir + " is not a folder");
        // a link inside the folder would lead the run's writes, or its moves, to files it never named
        for (String name : new String[]{LOCK, INCOMPLETE}) {
            if (Files.isSymbolicLink(dir.resolve(name))) {
                throw new InvalidSettingException("out", dir.resolve(name) + " is a symbolic link; refusing to follow it (remove it)");
            }
        }
        if (Files.exists(dir.resolve(INCOMPLETE), java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir.resolve(INCOMPLETE), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidSettingException("out", dir.resolve(INCOMPLETE) + " is not a folder; refusing to use it");
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            FileLock l = ch.tryLock();
            if (l == null) {
                String holder = new String(Files.readAllBytes(dir.resolve(LOCK)), StandardCharsets.UTF_8).trim();
                ch.close();
                throw new InvalidSettingException("out", dir + " is in use by another clprop run" + (holder.isEmpty() ? "" : " (process " + holder + ")")
                        + "; wait for it or choose another folder");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)), 0);
            return new RunFolder(dir, ch, l);
        } catch (IOException e) {
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // the first error is the one to report
            }
            throw new InvalidSettingException("out", dir + ": cannot be used: " + e.getMessage());
        } catch (java.nio.channels.OverlappingFileLockException e) {
            throw new InvalidSettingException("out", dir + " is in use by another run in this process");
        }
    }

    /** The run's folder. */
    public Path folder() {
        return dir;
    }

    /** Where the run writes {@code name} while it runs. */
    public Path staged(String name) {
        stagedNames.add(name);
        return staging.resolve(name);
    }

    /** Where {@code name} ends up once the run has succeeded. */
    public Path committed(String name) {
        return dir.resolve(name);
    }

    /**
     * Moves every file this run staged over its place in the folder, and removes {@code incomplete/} when
     * nothing else is left in it (files an earlier run left there stay where they are).
     */
    public void commit() {
        try {
            for (String name : stagedNames) {
                Path f = staging.resolve(name);
                if (!Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                Path target = dir.resolve(name);
                AtomicFiles.checkReplaceable(target);
                try {
                    Files.move(f, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            AtomicFiles.sweepStale(staging);
            try (var rest = Files.list(staging)) {
                if (rest.findAny().isEmpty()) Files.delete(staging);
            }
        } catch (IOException e) {
            throw new InvalidSettingException("out", dir + ": cannot move the run's files into place: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // the process ending releases the lock anyway
        }
    }
}
