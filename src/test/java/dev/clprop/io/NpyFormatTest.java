package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import dev.clprop.util.Memory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The .npy format itself: what numpy requires of what is written, and every header form it reads. */
class NpyFormatTest {
    @TempDir
    Path dir;

    /** numpy aligns the data of format 1.0 at 64 bytes (10 bytes of preamble + header length). */
    @Test
    void writtenHeadersEndOnA64ByteBoundaryWithANewline() {
        for (Npz.Entry e : List.of(Npz.Entry.floats(new float[]{1}, 1), Npz.Entry.floats(new float[6], 2, 3), Npz.Entry.int64(7),
                Npz.Entry.text("x"), Npz.Entry.texts(List.of("setosa", "versicolor")), Npz.Entry.floats(new float[0], 0))) {
            byte[] b = Npz.npy(e);
            int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
            assertEquals(0, (10 + headerLen) % 64, e.shapeString());
            assertEquals('\n', b[10 + headerLen - 1]);
            assertEquals(1, b[6], "format 1.0");
            assertEquals(0, b[7]);
        }
    }

    static byte[] npy(int major, String header, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(major);
        out.write(0);
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        if (major == 1) {
            out.write(h.length & 0xff);
            out.write(h.length >> 8);
        } else {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).array());
        }
        out.writeBytes(h);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    static Npz.Entry read(byte[] b) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(b);
        Npz.Header h = Npz.readHeader(in, "t");
        return Npz.readData(in, h, "t");
    }

    static final byte[] ONE_TWO = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).array();

    @Test
    void headersOfEveryVersionAndOfMoreThan255Bytes() throws IOException {
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        String longH = h + " ".repeat(300) + "\n";
        for (int major : new int[]{1, 2, 3}) {
            for (String header : new String[]{h, longH}) {
                Npz.Entry e = read(npy(major, header, ONE_TWO));
                assertArrayEquals(new float[]{1, 2}, e.floats(), "format " + major + ".0, header of " + header.length());
            }
        }
        assertEquals("t: unsupported .npy format version 4", assertThrows(InvalidInputException.class, () -> read(npy(4, h, ONE_TWO))).getMessage());
    }

    @Test
    void truncatedPreamblesAndHeaders() {
        byte[] good = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", ONE_TWO);
        for (int cut : new int[]{5, 9, 20}) {
            byte[] b = java.util.Arrays.copyOf(good, cut);
            Exception e = assertThrows(Exception.class, () -> read(b));
            assertTrue(e instanceof InvalidInputException || e instanceof java.io.EOFException, cut + ": " + e);
        }
        byte[] v2 = java.util.Arrays.copyOf(npy(2, "{}", new byte[0]), 10);
        assertThrows(java.io.EOFException.class, () -> read(v2));
    }

    @Test
    void headerLengthAtItsLimit() {
        String pad = "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }";
        String atLimit = pad + " ".repeat(Npz.MAX_HEADER - pad.length());
        assertEquals(0, assertDoesNotThrow(() -> read(npy(2, atLimit, new byte[0]))).floats().length);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> read(npy(2, atLimit + " ", new byte[0])));
        assertEquals("t: .npy header of 65537 bytes is implausibly long", e.getMessage());
    }

    static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
    }

    @Test
    void shapesAtTheirLimits() {
        String msg = assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ("
                + "1, ".repeat(33) + "), }", new byte[4]))).getMessage();
        assertTrue(msg.contains("has more than 32 dimensions"), msg);
        Npz.Entry e = assertDoesNotThrow(() -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, ".repeat(32) + "), }", new byte[4])));
        assertEquals(32, e.shape().length);
        String over = assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483640,), }",
                new byte[0]))).getMessage();
        assertTrue(over.contains("implausible dimension 2147483640"), over);
        String product = assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1073741820), }",
                new byte[0]))).getMessage();
        assertTrue(product.contains("has more than 2147483639 elements"), product);
        String atMax = assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483639,), }",
                new byte[0]))).getMessage();
        assertTrue(atMax.contains("one array holds at most 2147483639 bytes"), "the largest count passes the shape check, not the bytes': " + atMax);
        assertEquals(0, assertDoesNotThrow(() -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", new byte[0]))).floats().length);
        assertTrue(assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
                new byte[0]))).getMessage().contains("implausible dimension -1"));
    }

    @Test
    void anArrayOfExactlyHalfTheFreeHeapIsAllowed() {
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }";
        try {
            Memory.pretend(8000);
            assertEquals(1000, assertDoesNotThrow(() -> read(npy(1, h, new byte[4000]))).floats().length, "4000 bytes of 8000 free");
            Memory.pretend(7999);
            String e = assertThrows(InvalidInputException.class, () -> read(npy(1, h, new byte[4000]))).getMessage();
            assertEquals("t: declares 4000 bytes of data (shape (1000,)), more than the Java heap can hold; a corrupt file, or raise -Xmx", e);
        } finally {
            Memory.measure();
        }
    }

    @Test
    void textAndIntegerArrays() throws IOException {
        byte[] u = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt('a').putInt('b').putInt(0).putInt('c').putInt(0).putInt(0).array();
        Npz.Entry t = read(npy(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", u));
        assertArrayEquals(new String[]{"ab", "c"}, t.texts());
        assertEquals(null, t.text(), "a 1-d text array has no single text");
        assertTrue(t.isText() && !t.isFloat() && !t.isInt());
        assertEquals(2, t.count());
        Npz.Entry i8 = read(npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).putLong(1L << 40).array()));
        assertArrayEquals(new long[]{-3, 1L << 40}, i8.ints());
        assertTrue(i8.isInt() && !i8.isFloat() && !i8.isText());
        String bad = assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<U2', 'fortran_order': False, 'shape': (), }",
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x110000).putInt(0).array()))).getMessage();
        assertTrue(bad.contains("invalid character code 1114112"), bad);
        assertTrue(assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<U2', 'fortran_order': False, 'shape': (1, 1), }",
                new byte[8]))).getMessage().contains("more than one dimension"));
        assertTrue(assertThrows(InvalidInputException.class, () -> read(npy(1, "{'descr': '<Ux', 'fortran_order': False, 'shape': (), }",
                new byte[8]))).getMessage().contains("unreadable dtype '<Ux'"));
    }

    @Test
    void shapeStrings() {
        assertEquals("()", Npz.Entry.shapeString(new int[0]));
        assertEquals("(3,)", Npz.Entry.shapeString(new int[]{3}));
        assertEquals("(2, 3)", Npz.Entry.shapeString(new int[]{2, 3}));
        assertEquals(6, Npz.Entry.floats(new float[6], 2, 3).count());
    }

    @Test
    void writtenFilesHoldEveryEntryInItsOwnZipEntry() throws IOException {
        Path p = dir.resolve("w.npz");
        Npz.write(p, Map.of("a", Npz.Entry.int64(1)));
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(p.toFile())) {
            java.util.zip.ZipEntry e = z.getEntry("a.npy");
            assertEquals(Npz.npy(Npz.Entry.int64(1)).length, e.getSize(), "the entry holds exactly the .npy bytes");
        }
    }
}
