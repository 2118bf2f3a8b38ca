package dev.clprop.io;

import dev.clprop.error.InvalidInputException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a file completely or not at all: into a temporary file in the same folder, then renamed
 * over the target, so a crash or a full disk never leaves a half-written file behind.
 * <ul>
 *   <li>Only a regular file is ever replaced: a target that is a folder, a device or anything else
 *       is refused before anything is written.</li>
 *   <li>Temporary files are named {@code .NAME.PID-N.clprop-tmp}. They are removed when the write fails;
 *       when the JVM exits (also on Ctrl-C) a write in flight is let finish, and one that cannot is
 *       removed; for a process killed outright, the next write into the same folder removes them
 *       once that process is gone.</li>
 * </ul>
 */
public final class AtomicFiles {
    /** What writes the content. */
    public interface Body {
        /** Writes the whole content to {@code out}. */
        void write(OutputStream out) throws IOException;
    }

    static final String SUFFIX = ".clprop-tmp";
    private static final Pattern TEMP = Pattern.compile("^\\..+\\.(\\d+)-\\d+" + Pattern.quote(SUFFIX) + "$");
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();
    private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    /** How long the JVM's exit waits for writes in flight to finish before removing their temporary files. */
    static final long EXIT_GRACE_MILLIS = 60_000;

    static {
        // At exit, writes still in flight (a checkpoint written because Ctrl-C asked the run to stop)
        // are let finish; only the temporary files of writes that do not finish in time are removed.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long deadline = System.currentTimeMillis() + EXIT_GRACE_MILLIS;
            while (!PENDING.isEmpty() && System.currentTimeMillis() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    break;
                }
            }
            for (Path p : PENDING) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // exiting; nothing more to do
                }
            }
        }, "clprop-temp-cleanup"));
    }

    private AtomicFiles() {
    }

    /**
     * Refuses a target that exists and is not a regular file (checked again just before the rename).
     * Callers that must not touch a path at all (an input file) check that themselves.
     */
    public static void checkReplaceable(Path file) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file)) {
            String what = Files.isDirectory(file) ? "a folder" : "not a regular file";
            throw new InvalidInputException(file + ": is " + what + "; refusing to replace it");
        }
    }

    /**
     * Checks, before any work is done, that {@code target} can be written: not a folder or device, in a folder
     * that exists (or can be made) and is writable. Whether it is one of a run's inputs is {@link OutputPlan}'s
     * question.
     */
    public static void checkTarget(String setting, Path target) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target)) {
            throw new dev.clprop.error.InvalidSettingException(setting, target + " is " + (Files.isDirectory(target) ? "a folder" : "not a regular file")
                    + "; refusing to replace it");
        }
        Path dir = target.toAbsolutePath().getParent();
        while (dir != null && !Files.exists(dir)) dir = dir.getParent();
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new dev.clprop.error.InvalidSettingException(setting, target + " cannot be written (" + dir + " is not a writable folder)");
        }
    }

    /** Writes {@code file} through a temporary file and a rename: the old file or the new one, never half of one; only a regular file is replaced. */
    public static void write(Path file, Body body) {
        checkReplaceable(file);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            sweepStale(dir);
            tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + SUFFIX);
            PENDING.add(tmp);
            Files.deleteIfExists(tmp);
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.write(out);
            }
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            checkReplaceable(file);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            PENDING.remove(tmp);
            tmp = null;
        } catch (IOException e) {
            throw new InvalidInputException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write error is the one to report
                }
                PENDING.remove(tmp);
            }
        }
    }

    /**
     * A fresh temporary path beside {@code file}, named as this class names its own (so a crash leaves
     * nothing that the next write into the folder does not sweep), and removed at exit unless
     * {@link #released} first.
     */
    static Path tempFor(Path file) {
        Path dir = file.getParent();
        Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + SUFFIX);
        PENDING.add(tmp);
        return tmp;
    }

    /** Forgets a temporary file that was renamed into place or removed. */
    static void released(Path tmp) {
        PENDING.remove(tmp);
    }

    /** Removes temporary files left in {@code dir} by processes that no longer run. */
    static void sweepStale(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*" + SUFFIX)) {
            for (Path p : ds) {
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).isEmpty()) Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a folder we cannot list still takes the write, or reports its own error
        }
    }
}
