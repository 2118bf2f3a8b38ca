package dev.clprop.cli;

import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MNIST-layout folders made of small generated IDX files, the bundled digits set, and bad data. */
class DataSourcesCliTest {
    @TempDir
    Path dir;

    static byte[] images(int magic, int n, int h, int w, Random rng, int payload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        d.writeInt(n);
        d.writeInt(h);
        d.writeInt(w);
        byte[] px = new byte[payload];
        rng.nextBytes(px);
        d.write(px);
        return b.toByteArray();
    }

    static byte[] labels(int n, int count, Random rng) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x801);
        d.writeInt(n);
        for (int i = 0; i < count; i++) d.writeByte(rng.nextInt(10));
        return b.toByteArray();
    }

    static void write(Path p, byte[] content, boolean gz) throws IOException {
        try (OutputStream out = gz ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            out.write(content);
        }
    }

    /** A valid MNIST folder: 40 training and 12 test images of 28×28. */
    Path mnist(boolean gz) throws IOException {
        Path m = Files.createDirectories(dir.resolve(gz ? "mnist-gz" : "mnist-raw"));
        Random rng = new Random(1);
        String s = gz ? ".gz" : "";
        write(m.resolve("train-images-idx3-ubyte" + s), images(0x803, 40, 28, 28, rng, 40 * 784), gz);
        write(m.resolve("train-labels-idx1-ubyte" + s), labels(40, 40, rng), gz);
        write(m.resolve("t10k-images-idx3-ubyte" + s), images(0x803, 12, 28, 28, rng, 12 * 784), gz);
        write(m.resolve("t10k-labels-idx1-ubyte" + s), labels(12, 12, rng), gz);
        return m;
    }

    CliRunner train(Path data, String... extra) {
        String[] base = {"train", "--data", data.toString(), "--layers", "784,16:relu,10:softmax", "--epochs", "1", "--device", "cpu", "--quiet"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CliRunner.run(all);
    }

    void expectError(CliRunner r, String... parts) {
        assertEquals(2, r.status(), r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertFalse(err.contains("Exception"), err);
        for (String p : parts) assertTrue(err.contains(p), "'" + p + "' missing from: " + err);
    }

    @Test
    void trainsOnAnMnistFolderRawOrGzipped() throws IOException {
        for (boolean gz : new boolean[]{false, true}) {
            CliRunner r = train(mnist(gz));
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("test accuracy") && r.out().contains("(12 rows)"), "evaluated on the 12 t10k images: " + r.out());
        }
    }

    @Test
    void wrongMagicNumber() throws IOException {
        Path m = mnist(false);
        write(m.resolve("train-images-idx3-ubyte"), images(0x802, 40, 28, 28, new Random(2), 40 * 784), false);
        expectError(train(m), "train-images-idx3-ubyte", "wrong IDX magic number 0x00000802", "0x00000803");
    }

    @Test
    void truncatedFile() throws IOException {
        Path m = mnist(false);
        write(m.resolve("train-images-idx3-ubyte"), images(0x803, 40, 28, 28, new Random(2), 39 * 784 + 5), false);
        expectError(train(m), "train-images-idx3-ubyte", "truncated");
    }

    @Test
    void imageAndLabelCountsDiffer() throws IOException {
        Path m = mnist(true);
        write(m.resolve("train-labels-idx1-ubyte.gz"), labels(39, 39, new Random(3)), true);
        expectError(train(m), "40 images", "39 labels");
    }

    @Test
    void corruptGzipStream() throws IOException {
        Path m = mnist(true);
        byte[] good = Files.readAllBytes(m.resolve("train-images-idx3-ubyte.gz"));
        for (int i = good.length / 2; i < good.length / 2 + 40; i++) good[i] ^= 0x5a;
        Files.write(m.resolve("train-images-idx3-ubyte.gz"), good);
        expectError(train(m), "train-images-idx3-ubyte.gz", "gzip");
    }

    @Test
    void missingFileInTheFolder() throws IOException {
        Path m = mnist(false);
        Files.delete(m.resolve("train-labels-idx1-ubyte"));
        expectError(train(m), "train-labels-idx1-ubyte", "missing");
    }

    @Test
    void csvWidthDiffersFromTheModelsInput() throws IOException {
        Path model = dir.resolve("m.npz");
        CliRunner t = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--quiet", "--save", model.toString());
        assertEquals(0, t.status(), t.err());
        Path csv = dir.resolve("narrow.csv");
        Files.writeString(csv, "1,2,3,0\n4,5,6,1\n");
        expectError(CliRunner.run("evaluate", "--model", model.toString(), "--data", csv.toString()), "narrow.csv", "4 column(s)", "takes 64 inputs followed by a label column");
        expectError(CliRunner.run("predict", "--model", model.toString(), "--data", csv.toString()), "narrow.csv", "4 column(s)", "64 inputs (optionally followed by a label column)");
    }

    @Test
    void bundledDigitsHasAFixedTestSplit() {
        DataSplit d = DataSources.digits();
        assertEquals(1797, d.train().rows() + d.test().rows());
        assertEquals(359, d.test().rows());
        assertEquals(64, d.train().featureCount());
        assertEquals(10, d.train().classCount());
        float max = 0;
        for (float v : d.train().featureMatrix()) max = Math.max(max, v);
        assertEquals(1f, max, "pixels are scaled to [0,1]");
        assertEquals(d.test().where(0), DataSources.digits().test().where(0), "the split does not change between loads");
    }
}
