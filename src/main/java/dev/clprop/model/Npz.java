package dev.clprop.model;

import dev.clprop.AtomicFiles;
import dev.clprop.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy {@code .npz} archives (a zip of {@code .npy} files, format version 1.0),
 * limited to what clprop stores: float32/float64 arrays in C order and unicode strings.
 * {@code numpy.load} reads what this writes. Writes are atomic ({@link AtomicFiles}).
 */
public final class Npz {
    /** One array: its shape and float data, or a string for 0-d unicode arrays. */
    public record Entry(int[] shape, float[] data, String text) {
        public static Entry of(float[] data, int... shape) {
            return new Entry(shape, data, null);
        }

        public static Entry text(String s) {
            return new Entry(new int[0], null, s);
        }

        public String shapeString() {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
            return sb.append(shape.length == 1 ? ",)" : ")").toString();
        }
    }

    private Npz() {
    }

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

    public static Map<String, Entry> read(Path file) {
        Map<String, Entry> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry ze;
            while ((ze = zip.getNextEntry()) != null) {
                String name = ze.getName();
                if (!name.endsWith(".npy")) continue;
                out.put(name.substring(0, name.length() - 4), parseNpy(file, name, zip.readAllBytes()));
            }
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (ZipException e) {
            throw new UserError(file + ": not an .npz archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        if (out.isEmpty()) throw new UserError(file + ": not an .npz archive (no .npy entries)");
        return out;
    }

    static byte[] npy(Entry e) {
        String descr;
        byte[] payload;
        if (e.text() != null) {
            int n = Math.max(1, e.text().codePointCount(0, e.text().length()));
            descr = "<U" + n;
            ByteBuffer bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            e.text().codePoints().forEach(bb::putInt);
            payload = bb.array();
        } else {
            descr = "<f4";
            ByteBuffer bb = ByteBuffer.allocate(4 * e.data().length).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(e.data());
            payload = bb.array();
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
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    static Entry parseNpy(Path file, String name, byte[] b) {
        String where = file + " (" + name + ")";
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || !new String(b, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new UserError(where + ": not a .npy array");
        }
        int major = b[6];
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
            start = 10;
        } else {
            headerLen = ByteBuffer.wrap(b, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            start = 12;
        }
        String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new UserError(where + ": unreadable .npy header: " + header.trim());
        if (f.group(1).equals("True")) throw new UserError(where + ": Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray");
        String[] dims = s.group(1).split(",");
        int count = 1;
        int rank = 0;
        int[] shape = new int[dims.length];
        for (String dim : dims) {
            if (dim.isBlank()) continue;
            shape[rank] = Integer.parseInt(dim.trim());
            count *= shape[rank++];
        }
        shape = java.util.Arrays.copyOf(shape, rank);
        ByteBuffer data = ByteBuffer.wrap(b, start + headerLen, b.length - start - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        String descr = d.group(1);
        switch (descr) {
            case "<f4": {
                checkSize(where, data, 4L * count);
                float[] v = new float[count];
                data.asFloatBuffer().get(v);
                return new Entry(shape, v, null);
            }
            case "<f8": {
                checkSize(where, data, 8L * count);
                float[] v = new float[count];
                for (int i = 0; i < count; i++) v[i] = (float) data.getDouble();
                return new Entry(shape, v, null);
            }
            default:
                if (descr.startsWith("<U")) {
                    int n = Integer.parseInt(descr.substring(2));
                    checkSize(where, data, 4L * n * count);
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        int cp = data.getInt();
                        if (cp == 0) break;
                        sb.appendCodePoint(cp);
                    }
                    return new Entry(shape, null, sb.toString());
                }
                throw new UserError(where + ": unsupported dtype " + descr + " (expected float32 or float64)");
        }
    }

    private static void checkSize(String where, ByteBuffer data, long need) {
        if (data.remaining() < need) throw new UserError(where + ": truncated array data");
    }
}
