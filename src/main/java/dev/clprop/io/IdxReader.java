package dev.clprop.io;

import dev.clprop.error.InvalidInputException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format): big-endian magic 2051 for uint8 images (count, rows, cols)
 * and 2049 for uint8 labels (count); raw, or gzip-compressed by the {@code .gz} suffix.
 */
public final class IdxReader {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    /** Images as rows × (height·width) unsigned bytes. */
    public record Images(int count, int height, int width, byte[] pixels) {
    }

    private IdxReader() {
    }

    public static Images readImages(Path file) {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) throw badMagic(file, magic, IMAGES_MAGIC);
            int n = in.readInt(), h = in.readInt(), w = in.readInt();
            if (n < 0 || h <= 0 || w <= 0 || (long) n * h * w > Integer.MAX_VALUE) {
                throw new InvalidInputException(file + ": implausible image header (" + n + " images of " + h + "x" + w + "), a corrupt file?");
            }
            byte[] px = new byte[checkedSize(file, (long) n * h * w, 16, "images")];
            readFully(in, px, file, "images");
            expectEnd(in, file, n + " images");
            return new Images(n, h, w, px);
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    public static byte[] readLabels(Path file) {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) throw badMagic(file, magic, LABELS_MAGIC);
            int n = in.readInt();
            if (n < 0) throw new InvalidInputException(file + ": implausible label count " + n);
            byte[] labels = new byte[checkedSize(file, n, 8, "labels")];
            readFully(in, labels, file, "labels");
            expectEnd(in, file, n + " labels");
            return labels;
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    /**
     * Refuses, before allocating, a declared size that the file cannot hold (a raw file's bytes are
     * known) or that would not fit the heap that is left (a gzip file's are not).
     */
    private static int checkedSize(Path file, long bytes, int headerBytes, String what) throws IOException {
        if (!file.toString().endsWith(".gz") && Files.size(file) < headerBytes + bytes) {
            throw new InvalidInputException(file + ": truncated: the header promises " + bytes + " bytes of " + what + " but the file holds "
                    + Math.max(0, Files.size(file) - headerBytes));
        }
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free / 4) {
            throw new InvalidInputException(file + ": the header promises " + bytes + " bytes of " + what + ", more than the Java heap can hold (a corrupt file, or raise -Xmx)");
        }
        return (int) bytes;
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (file.toString().endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        return new DataInputStream(in);
    }

    private static void readFully(DataInputStream in, byte[] buf, Path file, String what) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int r = in.read(buf, off, buf.length - off);
            if (r < 0) {
                throw new InvalidInputException(file + ": truncated: the header promises " + buf.length + " bytes of " + what + " but the file ends after " + off);
            }
            off += r;
        }
    }

    /** Reading on to the end also makes a gzip stream check its CRC trailer. */
    private static void expectEnd(DataInputStream in, Path file, String what) throws IOException {
        if (in.read() != -1) throw new InvalidInputException(file + ": has more data than the " + what + " its header declares (a corrupt file?)");
    }

    private static InvalidInputException badMagic(Path file, int got, int want) {
        return new InvalidInputException(String.format("%s: wrong IDX magic number 0x%08x (expected 0x%08x for %s)", file, got, want,
                want == IMAGES_MAGIC ? "images" : "labels"));
    }

    private static InvalidInputException ioError(Path file, IOException e) {
        if (e instanceof ZipException) return new InvalidInputException(file + ": corrupt gzip stream (" + e.getMessage() + ")");
        if (e instanceof EOFException) return new InvalidInputException(file + ": truncated (unexpected end of file)");
        if (e instanceof java.nio.file.NoSuchFileException) return new InvalidInputException(file + ": no such file");
        return new InvalidInputException(file + ": cannot read: " + e.getMessage());
    }
}
