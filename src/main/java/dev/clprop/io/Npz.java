package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.Quote;
import dev.clprop.util.Memory;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npz} archives: a zip of {@code .npy} arrays (format 1.0 written; 1.0, 2.0 and 3.0
 * read) in C order. Written: float32, int64 and unicode strings (0-d or 1-d); read besides: float64
 * (converted to float32) and int32. {@code numpy.load} reads what this writes. Writes are atomic.
 * <p>Reading is bounded: each array's header is read and checked (dtype, shape, element count against
 * {@link #MAX_ELEMENTS} and the free heap) before its data is allocated, exactly the declared bytes are
 * then read, and data beyond them is refused, so a malformed or hostile file costs no more memory
 * than its declared, plausible arrays.
 */
public final class Npz {
    /** Most elements one array may declare (the limit of a Java array). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Most bytes an .npy header may declare. */
    static final int MAX_HEADER = 1 << 16;

    /** The element types clprop reads and writes. */
    public enum DType {
        /** numpy's {@code <f4}. */
        FLOAT32,
        /** numpy's {@code <f8}. */
        FLOAT64,
        /** numpy's {@code <i4}. */
        INT32,
        /** numpy's {@code <i8}. */
        INT64,
        /** numpy's {@code <U}: unicode strings of a fixed width. */
        TEXT
    }

    /**
     * One array. Exactly one of {@code floats}, {@code ints}, {@code texts} is set, by dtype:
     * floats for FLOAT32 and FLOAT64, ints for INT32 and INT64, texts for TEXT.
     */
    public record Entry(DType dtype, int[] shape, float[] floats, long[] ints, String[] texts) {
        /** A float32 array of this shape. */
        public static Entry floats(float[] data, int... shape) {
            return new Entry(DType.FLOAT32, shape, data, null, null);
        }

        /** A 0-d int64 array (numpy reads it as an integer scalar). */
        public static Entry int64(long value) {
            return new Entry(DType.INT64, new int[0], null, new long[]{value}, null);
        }

        /** A 0-d unicode string. */
        public static Entry text(String s) {
            return new Entry(DType.TEXT, new int[0], null, null, new String[]{s});
        }

        /** A 1-d array of unicode strings. */
        public static Entry texts(List<String> values) {
            return new Entry(DType.TEXT, new int[]{values.size()}, null, null, values.toArray(new String[0]));
        }

        /** Whether the array holds float32 or float64 values. */
        public boolean isFloat() {
            return floats != null;
        }

        /** Whether the array holds int32 or int64 values. */
        public boolean isInt() {
            return ints != null;
        }

        /** Whether the array holds unicode strings. */
        public boolean isText() {
            return texts != null;
        }

        /** The string of a 0-d text array, or null for any other entry. */
        public String text() {
            return texts != null && shape.length == 0 ? texts[0] : null;
        }

        /** Elements: the product of the shape. */
        public long count() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** The shape as numpy prints it, e.g. "(3, 4)". */
        public String shapeString() {
            return shapeString(shape);
        }

        /** A shape as numpy prints it, e.g. "(3, 4)" or "(5,)". */
        public static String shapeString(int[] shape) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
            return sb.append(shape.length == 1 ? ",)" : ")").toString();
        }
    }

    private Npz() {
    }

    /** Writes the arrays as an .npz (a zip of .npy files) that numpy.load reads, atomically. */
    public static void write(Path file, Map<String, Entry> entries) {
        AtomicFiles.write(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                zip.write(npy(e.getValue()));
                zip.closeEntry();
            }
            zip.finish();
        });
    }

    /** Reads every array of a file. */
    public static Map<String, Entry> read(Path file) {
        try (Reader r = open(file)) {
            Map<String, Entry> out = new LinkedHashMap<>();
            for (String name : r.names()) out.put(name, r.read(name));
            return out;
        }
    }

    /** Opens a file for reading arrays one at a time (the caller closes it). */
    public static Reader open(Path file) {
        if (Files.isDirectory(file)) throw new InvalidInputException(file + ": is a folder, not an .npz file");
        try {
            return new Reader(file, new ZipFile(file.toFile()));
        } catch (IllegalArgumentException e) {
            // ZipFile's way of saying an entry name is not valid UTF-8
            throw new InvalidInputException(file + ": not an .npz archive (an entry name is not valid text)");
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (ZipException e) {
            throw new InvalidInputException(file + ": not an .npz archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** An open archive: array names, headers and data, each array read on demand. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final ZipFile zip;
        private final Map<String, ZipEntry> entries = new LinkedHashMap<>();

        Reader(Path file, ZipFile zip) {
            this.file = file;
            this.zip = zip;
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                ZipEntry ze = all.nextElement();
                if (ze.getName().endsWith(".npy") && !ze.isDirectory()) {
                    entries.put(ze.getName().substring(0, ze.getName().length() - 4), ze);
                }
            }
            if (entries.isEmpty()) {
                close();
                throw new InvalidInputException(file + ": not an .npz archive (no .npy entries)");
            }
        }

        /** The file being read. */
        public Path file() {
            return file;
        }

        /** The arrays' names, in the file's order. */
        public List<String> names() {
            return new ArrayList<>(entries.keySet());
        }

        /** Whether the file holds an array called {@code name}. */
        public boolean has(String name) {
            return entries.containsKey(name);
        }

        /** The dtype and shape of an array, reading its header only; null when absent. */
        public Header header(String name) {
            ZipEntry ze = entries.get(name);
            if (ze == null) return null;
            try (InputStream in = zip.getInputStream(ze)) {
                return readHeader(in, where(name));
            } catch (IOException e) {
                throw ioError(name, e);
            }
        }

        /** The whole array; null when absent. */
        public Entry read(String name) {
            ZipEntry ze = entries.get(name);
            if (ze == null) return null;
            String where = where(name);
            try (InputStream in = zip.getInputStream(ze)) {
                Header h = readHeader(in, where);
                Entry e = readData(in, h, where);
                if (in.read() != -1) throw new InvalidInputException(where + ": has more data than its header's shape " + h.shapeString() + " declares");
                return e;
            } catch (IOException e) {
                throw ioError(name, e);
            }
        }

        private String where(String name) {
            return file + " (" + Quote.clean(name) + ".npy)";
        }

        private InvalidInputException ioError(String name, IOException e) {
            if (e instanceof EOFException) return new InvalidInputException(where(name) + ": truncated array data");
            if (e instanceof ZipException) return new InvalidInputException(where(name) + ": corrupt zip data (" + e.getMessage() + ")");
            return new InvalidInputException(where(name) + ": cannot read: " + e.getMessage());
        }

        @Override
        public void close() {
            try {
                zip.close();
            } catch (IOException ignored) {
                // nothing was written; a failed close loses nothing
            }
        }
    }

    /** An array's header: dtype, bytes per element (for text: per string) and shape. */
    public record Header(DType dtype, int itemSize, int[] shape) {
        /** Elements: the product of the shape. */
        public long count() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** The shape as numpy prints it, e.g. "(3, 4)". */
        public String shapeString() {
            return Entry.shapeString(shape);
        }
    }

    static byte[] npy(Entry e) {
        String descr;
        ByteBuffer bb;
        switch (e.dtype()) {
            case FLOAT32 -> {
                descr = "<f4";
                bb = ByteBuffer.allocate(4 * e.floats().length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(e.floats());
            }
            case INT64 -> {
                descr = "<i8";
                bb = ByteBuffer.allocate(8 * e.ints().length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asLongBuffer().put(e.ints());
            }
            case TEXT -> {
                int n = 1;
                for (String s : e.texts()) n = Math.max(n, s.codePointCount(0, s.length()));
                descr = "<U" + n;
                bb = ByteBuffer.allocate(4 * n * e.texts().length).order(ByteOrder.LITTLE_ENDIAN);
                for (String s : e.texts()) {
                    int start = bb.position();
                    s.codePoints().forEach(bb::putInt);
                    bb.position(start + 4 * n);
                }
            }
            default -> throw new IllegalArgumentException("clprop writes float32, int64 and text arrays, not " + e.dtype());
        }
        String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + e.shapeString() + ", }";
        int unpadded = 10 + header.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(0);
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        out.write(h.length & 0xff);
        out.write((h.length >> 8) & 0xff);
        out.writeBytes(h);
        out.writeBytes(bb.array());
        return out.toByteArray();
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    static Header readHeader(InputStream in, String where) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new InvalidInputException(where + ": not a .npy array");
        }
        int major = magic[6];
        long headerLen;
        if (major == 1) {
            byte[] l = in.readNBytes(2);
            if (l.length < 2) throw new EOFException();
            headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] l = in.readNBytes(4);
            if (l.length < 4) throw new EOFException();
            headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        } else {
            throw new InvalidInputException(where + ": unsupported .npy format version " + major);
        }
        if (headerLen > MAX_HEADER) throw new InvalidInputException(where + ": .npy header of " + headerLen + " bytes is implausibly long");
        byte[] hb = in.readNBytes((int) headerLen);
        if (hb.length < headerLen) throw new InvalidInputException(where + ": truncated .npy header");
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new InvalidInputException(where + ": unreadable .npy header " + Quote.of(header.trim()));
        if (f.group(1).equals("True")) {
            throw new InvalidInputException(where + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
        }
        int[] shape = parseShape(s.group(1), where);
        String descr = d.group(1);
        DType dtype;
        int itemSize;
        switch (descr) {
            case "<f4" -> { dtype = DType.FLOAT32; itemSize = 4; }
            case "<f8" -> { dtype = DType.FLOAT64; itemSize = 8; }
            case "<i4" -> { dtype = DType.INT32; itemSize = 4; }
            case "<i8" -> { dtype = DType.INT64; itemSize = 8; }
            default -> {
                if (!descr.startsWith("<U")) {
                    throw new InvalidInputException(where + ": unsupported dtype " + Quote.of(descr) + " (expected float32, float64, int32, int64 or unicode text)");
                }
                int n;
                try {
                    n = Integer.parseInt(descr.substring(2));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException(where + ": unreadable dtype " + Quote.of(descr));
                }
                if (n < 0 || n > MAX_HEADER) throw new InvalidInputException(where + ": implausible string length in dtype " + Quote.of(descr));
                dtype = DType.TEXT;
                itemSize = 4 * n;
            }
        }
        Header h = new Header(dtype, itemSize, shape);
        if (dtype == DType.TEXT && shape.length > 1) throw new InvalidInputException(where + ": text arrays of more than one dimension are not supported");
        checkAllocation(where, h);
        return h;
    }

    private static int[] parseShape(String dims, String where) {
        List<Integer> out = new ArrayList<>();
        long count = 1;
        for (String dim : dims.split(",")) {
            if (dim.isBlank()) continue;
            long v;
            try {
                v = Long.parseLong(dim.trim().replaceFirst("L$", ""));
            } catch (NumberFormatException e) {
                throw new InvalidInputException(where + ": unreadable shape " + Quote.of("(" + dims + ")"));
            }
            if (v < 0 || v > MAX_ELEMENTS) throw new InvalidInputException(where + ": implausible dimension " + v + " in shape " + Quote.of("(" + dims + ")"));
            count *= v;
            if (count > MAX_ELEMENTS) throw new InvalidInputException(where + ": shape " + Quote.of("(" + dims + ")") + " has more than " + MAX_ELEMENTS + " elements");
            out.add((int) v);
        }
        if (out.size() > 32) throw new InvalidInputException(where + ": shape " + Quote.of("(" + dims + ")") + " has more than 32 dimensions");
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Refuses, before allocating, an array whose data could not fit the heap that is left. */
    private static void checkAllocation(String where, Header h) {
        long bytes = Math.multiplyHigh(h.count(), h.itemSize()) != 0 ? Long.MAX_VALUE : h.count() * h.itemSize();
        if (bytes < 0 || bytes > MAX_ELEMENTS) {
            // the data is read into one Java array, which holds at most 2 GiB
            throw new InvalidInputException(where + ": declares " + (bytes < 0 || bytes == Long.MAX_VALUE ? "more than 2^63" : Long.toString(bytes))
                    + " bytes of data (shape " + h.shapeString() + ", " + h.itemSize() + " bytes each); one array holds at most " + MAX_ELEMENTS + " bytes");
        }
        if (!Memory.fits(bytes, 2)) {
            throw new InvalidInputException(where + ": declares " + bytes + " bytes of data (shape " + h.shapeString()
                    + "), more than the Java heap can hold; a corrupt file, or raise -Xmx");
        }
    }

    static Entry readData(InputStream in, Header h, String where) throws IOException {
        int count = (int) h.count();
        byte[] raw = in.readNBytes((int) (h.count() * h.itemSize()));
        if (raw.length < h.count() * h.itemSize()) {
            throw new InvalidInputException(where + ": truncated array data (shape " + h.shapeString() + " needs "
                    + h.count() * h.itemSize() + " bytes, the file holds " + raw.length + ")");
        }
        ByteBuffer data = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        switch (h.dtype()) {
            case FLOAT32: {
                float[] v = new float[count];
                data.asFloatBuffer().get(v);
                return new Entry(DType.FLOAT32, h.shape(), v, null, null);
            }
            case FLOAT64: {
                float[] v = new float[count];
                for (int i = 0; i < count; i++) v[i] = (float) data.getDouble();
                return new Entry(DType.FLOAT64, h.shape(), v, null, null);
            }
            case INT32: {
                long[] v = new long[count];
                for (int i = 0; i < count; i++) v[i] = data.getInt();
                return new Entry(DType.INT32, h.shape(), null, v, null);
            }
            case INT64: {
                long[] v = new long[count];
                data.asLongBuffer().get(v);
                return new Entry(DType.INT64, h.shape(), null, v, null);
            }
            default: {
                int chars = h.itemSize() / 4;
                String[] v = new String[count];
                for (int i = 0; i < count; i++) {
                    StringBuilder sb = new StringBuilder();
                    for (int c = 0; c < chars; c++) {
                        int cp = data.getInt();
                        if (cp == 0) {
                            data.position(data.position() + 4 * (chars - c - 1));
                            break;
                        }
                        if (!Character.isValidCodePoint(cp)) throw new InvalidInputException(where + ": invalid character code " + cp + " in a text array");
                        sb.appendCodePoint(cp);
                    }
                    v[i] = sb.toString();
                }
                return new Entry(DType.TEXT, h.shape(), null, null, v);
            }
        }
    }
}
