package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.util.Memory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IDX files to the byte, whole-file writes, and run folders. */
class FilesTest {
    @TempDir
    Path dir;

    static byte[] idx(int magic, int[] dims, int payload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        for (int v : dims) d.writeInt(v);
        for (int i = 0; i < payload; i++) d.write(i);
        return b.toByteArray();
    }

    static String imagesError(byte[] b, long size) {
        return assertThrows(InvalidInputException.class, () -> IdxReader.readImages("t", new ByteArrayInputStream(b), size)).getMessage();
    }

    @Test
    void imageHeadersAndSizesToTheByte() throws IOException {
        byte[] exact = idx(0x803, new int[]{2, 2, 3}, 12);
        IdxReader.Images im = IdxReader.readImages("t", new ByteArrayInputStream(exact), exact.length);
        assertEquals(2, im.count());
        assertEquals(2, im.height());
        assertEquals(3, im.width());
        assertEquals(11, im.pixels()[11]);
        assertEquals(0, IdxReader.readImages("t", new ByteArrayInputStream(idx(0x803, new int[]{0, 2, 3}, 0)), 16).count());
        byte[] shortByOne = idx(0x803, new int[]{2, 2, 3}, 11);
        assertEquals("t: truncated: the header promises 12 bytes of images but the file holds 11", imagesError(shortByOne, shortByOne.length));
        assertEquals("t: truncated: the header promises 12 bytes of images but the file ends after 11", imagesError(shortByOne, -1));
        byte[] longByOne = idx(0x803, new int[]{2, 2, 3}, 13);
        assertEquals("t: has more data than the 2 images its header declares (a corrupt file?)", imagesError(longByOne, longByOne.length));
        for (int[] dims : new int[][]{{1, 0, 3}, {1, 3, 0}, {-1, 3, 3}, {65536, 65536, 1}, {2147483647, 1, 2}}) {
            assertTrue(imagesError(idx(0x803, dims, 0), -1).contains("implausible image header"), java.util.Arrays.toString(dims));
        }
        assertEquals("t: wrong IDX magic number 0x00000801 (expected 0x00000803 for images)", imagesError(idx(0x801, new int[]{1, 1, 1}, 1), -1));
        assertEquals("t: truncated (unexpected end of file)", imagesError(new byte[]{0, 0, 8, 3, 0, 0}, -1));
    }

    @Test
    void labelSizesToTheByte() throws IOException {
        byte[] exact = idx(0x801, new int[]{3}, 3);
        assertArrayEquals(new byte[]{0, 1, 2}, IdxReader.readLabels("l", new ByteArrayInputStream(exact), exact.length));
        byte[] extra = idx(0x801, new int[]{3}, 4);
        assertEquals("l: has more data than the 3 labels its header declares (a corrupt file?)",
                assertThrows(InvalidInputException.class, () -> IdxReader.readLabels("l", new ByteArrayInputStream(extra), extra.length)).getMessage());
        byte[] neg = idx(0x801, new int[]{-2}, 0);
        assertEquals("l: implausible label count -2", assertThrows(InvalidInputException.class, () -> IdxReader.readLabels("l", new ByteArrayInputStream(neg), -1)).getMessage());
        assertEquals("l: wrong IDX magic number 0x00000803 (expected 0x00000801 for labels)",
                assertThrows(InvalidInputException.class, () -> IdxReader.readLabels("l", new ByteArrayInputStream(idx(0x803, new int[]{1}, 1)), -1)).getMessage());
    }

    @Test
    void declaredSizesBeyondTheHeapAreRefusedBeforeAllocating() throws IOException {
        byte[] b = idx(0x801, new int[]{1000}, 1000);
        try {
            Memory.pretend(4000);
            assertEquals(1000, IdxReader.readLabels("l", new ByteArrayInputStream(b), -1).length, "a quarter of the free heap is allowed");
            Memory.pretend(3999);
            assertEquals("l: the header promises 1000 bytes of labels, more than the Java heap can hold (a corrupt file, or raise -Xmx)",
                    assertThrows(InvalidInputException.class, () -> IdxReader.readLabels("l", new ByteArrayInputStream(b), -1)).getMessage());
        } finally {
            Memory.measure();
        }
    }

    @Test
    void filesRawOrGzippedAndTheirErrors() throws IOException {
        byte[] labels = idx(0x801, new int[]{3}, 3);
        Path raw = Files.write(dir.resolve("l-idx1-ubyte"), labels);
        Path gz = dir.resolve("l-idx1-ubyte.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(labels);
        }
        assertArrayEquals(IdxReader.readLabels(raw), IdxReader.readLabels(gz));
        Path truncatedRaw = Files.write(dir.resolve("t-idx1-ubyte"), java.util.Arrays.copyOf(labels, 10));
        assertEquals(truncatedRaw + ": truncated: the header promises 3 bytes of labels but the file holds 2",
                assertThrows(InvalidInputException.class, () -> IdxReader.readLabels(truncatedRaw)).getMessage(), "a raw file's size is known before reading");
        Path truncatedGz = dir.resolve("t.gz");
        byte[] whole = Files.readAllBytes(gz);
        Files.write(truncatedGz, java.util.Arrays.copyOf(whole, whole.length - 6));
        String e = assertThrows(InvalidInputException.class, () -> IdxReader.readLabels(truncatedGz)).getMessage();
        assertTrue(e.startsWith(truncatedGz + ": "), e);
        assertEquals(dir.resolve("none") + ": no such file", assertThrows(InvalidInputException.class, () -> IdxReader.readImages(dir.resolve("none"))).getMessage());
        Path notGz = Files.write(dir.resolve("x.gz"), new byte[]{1, 2, 3});
        assertTrue(assertThrows(InvalidInputException.class, () -> IdxReader.readImages(notGz)).getMessage().contains("corrupt gzip stream"));
    }

    @Test
    void checkTargetRefusesInputsFoldersDevicesAndUnwritablePlaces() throws IOException {
        Path input = Files.writeString(dir.resolve("in.csv"), "1,2\n");
        Path target = dir.resolve("out.npz");
        new OutputPlan().input("data", input).input("test", null).output("save", target);
        AtomicFiles.checkTarget("save", dir.resolve("new/deeper/out.npz"));
        assertEquals("save " + input + " is one of the run's inputs; refusing to replace it",
                assertThrows(InvalidSettingException.class, () -> new OutputPlan().input("data", input).output("save", input)).getMessage());
        Path same = dir.resolve("./in.csv");
        assertEquals("save", assertThrows(InvalidSettingException.class, () -> new OutputPlan().input("data", input).output("save", same)).setting(),
                "the same file by another name");
        assertTrue(assertThrows(InvalidSettingException.class, () -> AtomicFiles.checkTarget("save", dir)).getMessage().endsWith("is a folder; refusing to replace it"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> AtomicFiles.checkTarget("save", Path.of("/dev/null")))
                .getMessage().endsWith("is not a regular file; refusing to replace it"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> AtomicFiles.checkTarget("save", Path.of("/proc/1/x.npz")))
                .getMessage().contains("cannot be written (/proc/1 is not a writable folder)"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> AtomicFiles.checkTarget("save", input.resolve("x.npz")))
                .getMessage().contains("is not a writable folder"), "a file is no folder");
    }

    @Test
    void aFailedWriteLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path target = Files.writeString(dir.resolve("keep.txt"), "old");
        assertThrows(InvalidInputException.class, () -> AtomicFiles.write(target, out -> {
            out.write("new, half written".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(target));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
        AtomicFiles.write(target, out -> out.write("new".getBytes()));
        assertEquals("new", Files.readString(target));
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void aRunFolderIsLockedStagedAndCommitted() throws IOException {
        Path run = dir.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("model.npz"), "previous");
        try (RunFolder f = RunFolder.open(run)) {
            assertEquals(run, f.folder());
            assertEquals(run.resolve("model.npz"), f.committed("model.npz"));
            assertEquals(run.resolve("incomplete").resolve("model.npz"), f.staged("model.npz"));
            InvalidSettingException busy = assertThrows(InvalidSettingException.class, () -> RunFolder.open(run));
            assertEquals("out", busy.setting());
            assertTrue(busy.getMessage().contains("is in use by another run in this process"), busy.getMessage());
            Files.writeString(f.staged("model.npz"), "new");
            Files.writeString(f.staged("metrics.csv"), "m");
            assertEquals("previous", Files.readString(run.resolve("model.npz")), "nothing moves before the commit");
            f.commit();
        }
        assertEquals("new", Files.readString(run.resolve("model.npz")));
        assertEquals("m", Files.readString(run.resolve("metrics.csv")));
        assertTrue(!Files.exists(run.resolve("incomplete")));
        assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(run.resolve(".clprop.lock")), "the lock names its holder");
        try (RunFolder again = RunFolder.open(run)) {
            assertTrue(Files.isDirectory(again.staged("x").getParent()), "closing released the lock");
        }
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertEquals("out " + file + " is not a folder", assertThrows(InvalidSettingException.class, () -> RunFolder.open(file)).getMessage());
    }

    @Test
    void aCommitNeverReplacesAFolder() throws IOException {
        Path run = dir.resolve("r2");
        try (RunFolder f = RunFolder.open(run)) {
            Files.createDirectories(run.resolve("model.npz"));
            Files.writeString(f.staged("model.npz"), "new");
            assertThrows(InvalidInputException.class, f::commit);
            assertTrue(Files.isDirectory(run.resolve("model.npz")));
        }
    }
}
