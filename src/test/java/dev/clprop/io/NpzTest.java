package dev.clprop.io;

import dev.clprop.Model;
import dev.clprop.error.ClpropException;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.error.InvalidInputException;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** .npz files as numpy writes them, and as an attacker or a broken disk would. */
class NpzTest {
    @TempDir
    Path dir;

    /** An .npy of format 1.0 with this header dictionary and raw payload. */
    static byte[] npy(String header, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(0);
        byte[] h = (header + "\n").getBytes(StandardCharsets.US_ASCII);
        out.write(h.length & 0xff);
        out.write(h.length >> 8);
        out.writeBytes(h);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) b.putDouble(d);
        return b.array();
    }

    static byte[] f4(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float d : v) b.putFloat(d);
        return b.array();
    }

    Path zip(String name, Map<String, byte[]> entries) throws IOException {
        Path p = dir.resolve(name);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return p;
    }

    String error(Path p) {
        ClpropException e = assertThrows(ClpropException.class, () -> Npz.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void whatItWritesReadsBackAndIsAWellFormedZip() throws IOException {
        Path p = dir.resolve("a.npz");
        Map<String, Npz.Entry> in = new LinkedHashMap<>();
        in.put("W1", Npz.Entry.floats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        in.put("n", Npz.Entry.int64(-7));
        in.put("s", Npz.Entry.text("héllo 🌍"));
        in.put("names", Npz.Entry.texts(List.of("setosa", "virginica", "")));
        Npz.write(p, in);
        try (ZipFile z = new ZipFile(p.toFile())) {
            List<String> names = new ArrayList<>();
            Collections.list(z.entries()).forEach(e -> names.add(e.getName()));
            assertEquals(List.of("W1.npy", "n.npy", "s.npy", "names.npy"), names, "the central directory lists every array");
        }
        Map<String, Npz.Entry> out = Npz.read(p);
        assertArrayEquals(new int[]{2, 3}, out.get("W1").shape());
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, out.get("W1").floats());
        assertEquals(-7, out.get("n").ints()[0]);
        assertEquals(Npz.DType.INT64, out.get("n").dtype());
        assertEquals("héllo 🌍", out.get("s").text());
        assertArrayEquals(new String[]{"setosa", "virginica", ""}, out.get("names").texts());
    }

    @Test
    void numpysFloat64AndInt32AreRead() throws IOException {
        Path p = zip("np.npz", Map.of(
                "W1.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f8(0.5, -1.25, 3, 1e-3)),
                "k.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (), }", new byte[]{42, 0, 0, 0})));
        Map<String, Npz.Entry> e = Npz.read(p);
        assertEquals(Npz.DType.FLOAT64, e.get("W1").dtype());
        assertArrayEquals(new float[]{0.5f, -1.25f, 3f, 1e-3f}, e.get("W1").floats());
        assertEquals(42, e.get("k").ints()[0]);
    }

    @Test
    void aFloat64InitFileGivesTheWeights() throws IOException {
        Path p = zip("init.npz", Map.of(
                "W1.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f8(0.25, -0.5)),
                "b1.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f8(0.125))));
        Model m = Model.loadWeights(p, Architecture.parse("2,1:linear"));
        assertArrayEquals(new float[]{0.25f, -0.5f}, m.parameters().get("W1"));
        assertEquals(0.25f * 2 - 0.5f * 4 + 0.125f, m.predict(new float[]{2, 4})[0], 1e-6);
    }

    @Test
    void hostileHeadersAreRefusedBeforeAllocating() throws IOException {
        String[] headers = {
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (30000, 30000), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }",
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                "{'descr': '<U99999999', 'fortran_order': False, 'shape': (), }",
                "{'shape': (2,), }",
        };
        String[] expect = {"implausible dimension", "one array holds at most", "implausible dimension", "unreadable shape", "Fortran",
                "unsupported dtype", "implausible string length", "unreadable .npy header"};
        for (int i = 0; i < headers.length; i++) {
            String e = error(zip("h" + i + ".npz", Map.of("a.npy", npy(headers[i], new byte[16]))));
            assertTrue(e.contains(expect[i]), headers[i] + " -> " + e);
        }
        // format 2.0 with a header length of 0x7fffffff
        byte[] v2 = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, '{'};
        assertTrue(error(zip("v2.npz", Map.of("a.npy", v2))).contains("implausibly long"));
        assertTrue(error(zip("magic.npz", Map.of("a.npy", "not an array".getBytes(StandardCharsets.US_ASCII)))).contains("not a .npy array"));
    }

    @Test
    void truncatedOrOverlongDataIsRefused() throws IOException {
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
        assertTrue(error(zip("short.npz", Map.of("a.npy", npy(h, f4(1, 2, 3))))).contains("truncated array data"));
        assertTrue(error(zip("long.npz", Map.of("a.npy", npy(h, f4(1, 2, 3, 4, 5))))).contains("more data than its header"));
    }

    @Test
    void anEntryThatInflatesToHundredsOfMegabytesIsNotInflated() throws IOException {
        Path p = dir.resolve("bomb.npz");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("W1.npy"));
            z.write(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f4(1, 2, 3, 4)));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) z.write(zeros);
            z.closeEntry();
        }
        assertTrue(Files.size(p) < 2_000_000, "256 MB of zeros compress to a small file");
        long t0 = System.nanoTime();
        assertTrue(error(p).contains("more data than its header"));
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "reading stops after the declared data");
    }

    @Test
    void notAZipAFolderOrNothing() throws IOException {
        Path text = dir.resolve("t.npz");
        Files.writeString(text, "hello");
        assertTrue(error(text).contains("not an .npz archive"));
        assertTrue(error(dir).contains("is a folder"));
        assertTrue(error(dir.resolve("missing.npz")).contains("no such file"));
        assertTrue(error(zip("empty.npz", Map.of("readme.txt", new byte[]{1}))).contains("no .npy entries"));
    }

    @Test
    void modelFilesWithNonFiniteOrMisshapenEntriesAreRefused() throws IOException {
        Architecture a = Architecture.parse("2,1:linear");
        String w = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }";
        String b = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
        String spec = "{'descr': '<U10', 'fortran_order': False, 'shape': (), }";
        byte[] specBytes = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt('2').putInt(',').putInt('1').putInt(':')
                .putInt('l').putInt('i').putInt('n').putInt('e').putInt('a').putInt('r').array();
        Path nan = zip("nan.npz", Map.of("W1.npy", npy(w, f4(1, Float.NaN)), "b1.npy", npy(b, f4(0)), "spec.npy", npy(spec, specBytes)));
        String e = assertThrows(InvalidInputException.class, () -> Model.load(nan)).getMessage();
        assertTrue(e.contains("W1 holds NaN at index 1"), e);
        String vec = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        Path shift = zip("shift.npz", Map.of("W1.npy", npy(w, f4(1, 2)), "b1.npy", npy(b, f4(0)), "spec.npy", npy(spec, specBytes),
                "input_shift.npy", npy(vec, f4(0, 0, 0)), "input_scale.npy", npy(vec, f4(1, 1, 1))));
        e = assertThrows(IncompatibleModelException.class, () -> Model.load(shift)).getMessage();
        assertTrue(e.contains("input_shift has shape (3,)") && e.contains("2 inputs"), e);
        Path zeroScale = zip("scale.npz", Map.of("W1.npy", npy(w, f4(1, 2)), "b1.npy", npy(b, f4(0)), "spec.npy", npy(spec, specBytes),
                "input_shift.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4(0, 0)),
                "input_scale.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4(1, 0))));
        e = assertThrows(InvalidInputException.class, () -> Model.load(zeroScale)).getMessage();
        assertTrue(e.contains("feature 2 has an unusable standardization"), e);
        Path extra = zip("extra.npz", Map.of("W1.npy", npy(w, f4(1, 2)), "b1.npy", npy(b, f4(0)), "W2.npy", npy(w, f4(1, 2))));
        e = assertThrows(IncompatibleModelException.class, () -> Model.loadWeights(extra, a)).getMessage();
        assertTrue(e.contains("has W2"), e);
        Parameters p = Model.loadWeights(zip("ok.npz", Map.of("W1.npy", npy(w, f4(1, 2)), "b1.npy", npy(b, f4(3)))), a).parameters();
        assertArrayEquals(new float[]{3}, p.get("b1"));
    }

    @Test
    void writingNeverReplacesAFolderOrAnythingButARegularFile() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("model.npz"));
        String e = assertThrows(InvalidInputException.class, () -> Npz.write(folder, Map.of("a", Npz.Entry.int64(1)))).getMessage();
        assertTrue(e.contains("is a folder; refusing to replace it"), e);
        assertTrue(Files.isDirectory(folder));
        Path dev = Path.of("/dev/null");
        e = assertThrows(InvalidInputException.class, () -> Npz.write(dev, Map.of("a", Npz.Entry.int64(1)))).getMessage();
        assertTrue(e.contains("not a regular file"), e);
    }

    @Test
    void temporaryFilesOfAKilledProcessAreSweptByTheNextWrite() throws IOException {
        Path stale = dir.resolve(".model.npz.2147483646-1" + AtomicFiles.SUFFIX);
        Files.write(stale, new byte[1000]);
        Path mine = dir.resolve(".other.npz." + ProcessHandle.current().pid() + "-999" + AtomicFiles.SUFFIX);
        Files.write(mine, new byte[10]);
        Npz.write(dir.resolve("model.npz"), Map.of("a", Npz.Entry.int64(1)));
        assertTrue(!Files.exists(stale), "pid 2147483646 does not run: its temporary file is removed");
        assertTrue(Files.exists(mine), "a live process's temporary file is left alone");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(".other.npz." + ProcessHandle.current().pid() + "-999" + AtomicFiles.SUFFIX, "model.npz"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "no temporary file of this write is left");
        }
    }

}
