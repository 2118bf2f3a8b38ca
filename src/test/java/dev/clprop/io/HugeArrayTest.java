package dev.clprop.io;

import dev.clprop.error.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An .npy header that declares more than one Java array can hold is refused by name, not overflowed into a negative length. */
class HugeArrayTest {
    @TempDir
    Path dir;

    static byte[] npy(String descr, String shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[10 + h.length];
        out[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.US_ASCII), 0, out, 1, 5);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) (h.length & 0xff);
        out[9] = (byte) (h.length >> 8);
        System.arraycopy(h, 0, out, 10, h.length);
        return out;
    }

    @Test
    void countTimesItemSizeBeyondTwoGibIsRefused() throws IOException {
        for (String[] c : new String[][]{{"<f4", "(600000000,)"}, {"<f8", "(300000000,)"}, {"<U64", "(20000000,)"}}) {
            Path f = dir.resolve("huge.npz");
            try (OutputStream os = Files.newOutputStream(f); ZipOutputStream z = new ZipOutputStream(os)) {
                z.putNextEntry(new ZipEntry("W1.npy"));
                z.write(npy(c[0], c[1]));
                z.closeEntry();
            }
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npz.read(f), c[0] + " " + c[1]);
            assertTrue(e.getMessage().contains("one array holds at most") || e.getMessage().contains("more than the Java heap"), e.getMessage());
            assertTrue(!e.getMessage().contains("len < 0"), e.getMessage());
        }
    }
}
