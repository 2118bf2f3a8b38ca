package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import dev.clprop.util.Memory;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format): big-endian magic 2051 for uint8 images (count, rows, cols)
 * and 2049 for uint8 labels (count); raw, or gzip-compressed by the {@code .gz} suffix. Declared
 * sizes are checked against the bytes present (when known) and the heap before anything is
 * allocated, and a file must end where its header says.
 */
public final class IdxReader {
    /** The magic number of an IDX file of images (unsigned bytes, three dimensions). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** The magic number of an IDX file of labels (unsigned bytes, one dimension). */
    public static final int LABELS_MAGIC = 0x00000801;

    /** Images as rows × (height·width) unsigned bytes. */
    public record Images(int count, int height, int width, byte[] pixels) {
    }

    private IdxReader() {
    }

    /** Reads an IDX image file (raw or gzipped), its declared size checked against its bytes. */
    public static Images readImages(Path file) {
        try (InputStream in = open(file)) {
            return readImages(file.toString(), in, knownSize(file));
        } catch (IOException e) {
            throw ioError(file.toString(), e);
        }
    }

    /** Reads an IDX label file (raw or gzipped), its declared size checked against its bytes. */
    public static byte[] readLabels(Path file) {
        try (InputStream in = open(file)) {
            return readLabels(file.toString(), in, knownSize(file));
        } catch (IOException e) {
            throw ioError(file.toString(), e);
        }
    }

    /**
     * Images from a stream (not closed here) of uncompressed IDX data.
     * @param size the stream's length in bytes when known, else -1
     */
    public static Images readImages(String name, InputStream raw, long size) {
        try {
            DataInputStream in = new DataInputStream(raw);
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) throw badMagic(name, magic, IMAGES_MAGIC);
            int n = in.readInt(), h = in.readInt(), w = in.readInt();
            // stepwise, so that the product cannot overflow a long: n·h < 2^62, then ·w only when n·h is small
            if (n < 0 || h <= 0 || w <= 0 || (long) n * h > Integer.MAX_VALUE || (long) n * h * w > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException(name + ": implausible image header (" + n + " images of " + h + "x" + w + "), a corrupt file?");
            }
            byte[] px = new byte[checkedSize(name, (long) n * h * w, size, 16, "images")];
            readFully(in, px, name, "images");
            expectEnd(in, name, n + " images");
            return new Images(n, h, w, px);
        } catch (IOException e) {
            throw ioError(name, e);
        }
    }

    /** Labels from a stream (not closed here) of uncompressed IDX data; {@code size} as for images. */
    public static byte[] readLabels(String name, InputStream raw, long size) {
        try {
            DataInputStream in = new DataInputStream(raw);
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) throw badMagic(name, magic, LABELS_MAGIC);
            int n = in.readInt();
            if (n < 0) throw new InvalidInputException(name + ": implausible label count " + n);
            byte[] labels = new byte[checkedSize(name, n, size, 8, "labels")];
            readFully(in, labels, name, "labels");
            expectEnd(in, name, n + " labels");
            return labels;
        } catch (IOException e) {
            throw ioError(name, e);
        }
    }

    /** The uncompressed length of a raw file; -1 for gzip, whose length is not known before reading. */
    private static long knownSize(Path file) throws IOException {
        return file.toString().endsWith(".gz") ? -1 : Files.size(file);
    }

    /**
     * Refuses, before allocating, a declared size that the data cannot hold (when its length is known)
     * or that would not fit the heap that is left.
     */
    private static int checkedSize(String name, long bytes, long size, int headerBytes, String what) {
        if (size >= 0 && size < headerBytes + bytes) {
            throw new InvalidInputException(name + ": truncated: the header promises " + bytes + " bytes of " + what + " but the file holds "
                    + Math.max(0, size - headerBytes));
        }
        if (!Memory.fits(bytes, 4)) {
            throw new InvalidInputException(name + ": the header promises " + bytes + " bytes of " + what
                    + ", more than the Java heap can hold (a corrupt file, or raise -Xmx)");
        }
        return (int) bytes;
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return file.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    private static void readFully(DataInputStream in, byte[] buf, String name, String what) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int r = in.read(buf, off, buf.length - off);
            if (r < 0) {
                throw new InvalidInputException(name + ": truncated: the header promises " + buf.length + " bytes of " + what + " but the file ends after " + off);
            }
            off += r;
        }
    }

    /** Reading on to the end also makes a gzip stream check its CRC trailer. */
    private static void expectEnd(DataInputStream in, String name, String what) throws IOException {
        if (in.read() != -1) throw new InvalidInputException(name + ": has more data than the " + what + " its header declares (a corrupt file?)");
    }

    private static InvalidInputException badMagic(String name, int got, int want) {
        return new InvalidInputException(String.format("%s: wrong IDX magic number 0x%08x (expected 0x%08x for %s)", name, got, want,
                want == IMAGES_MAGIC ? "images" : "labels"));
    }

    private static InvalidInputException ioError(String name, IOException e) {
        if (e instanceof ZipException) return new InvalidInputException(name + ": corrupt gzip stream (" + e.getMessage() + ")");
        if (e instanceof EOFException) return new InvalidInputException(name + ": truncated (unexpected end of file)");
        if (e instanceof NoSuchFileException) return new InvalidInputException(name + ": no such file");
        return new InvalidInputException(name + ": cannot read: " + e.getMessage());
    }
}
