package dev.clprop.data;

import dev.clprop.UserError;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * What --data names: a CSV file, a folder in MNIST layout, or {@code digits} (bundled in the jar).
 * Pixel data is scaled to [0,1] here (MNIST /255, digits /16), so training and evaluation see the
 * same inputs. Labels stay in the last column; the caller one-hot encodes them.
 */
public final class DataSources {
    public static final String DIGITS = "digits";
    /** digits has no official test split: a fixed 20% is held out, the same whatever --seed is. */
    static final long DIGITS_SPLIT_SEED = 20240229L;
    static final double DIGITS_TEST_FRACTION = 0.2;

    /** Training rows and, where the source defines one, a test set. */
    public record Loaded(String name, Table train, Table test) {
    }

    private DataSources() {
    }

    public static Loaded load(String data, Path testFile) {
        if (data == null || data.equals(DIGITS)) {
            if (testFile != null) throw new UserError("--test applies to CSV data; digits has its own fixed test split");
            return digits();
        }
        Path p = Path.of(data);
        if (Files.isDirectory(p)) {
            if (testFile != null) throw new UserError("--test applies to CSV data; an MNIST folder has its own t10k test files");
            return mnist(p);
        }
        if (!Files.exists(p)) throw new UserError(data + ": no such file (expected a CSV file, an MNIST folder or 'digits')");
        Table train = CsvReader.read(p);
        Table test = testFile == null ? null : CsvReader.read(testFile);
        if (test != null && test.cols() != train.cols()) {
            throw new UserError(testFile + ": has " + test.cols() + " columns but " + data + " has " + train.cols());
        }
        return new Loaded(data, train, test);
    }

    public static Loaded digits() {
        Table all;
        try (InputStream raw = DataSources.class.getResourceAsStream("/datasets/digits.csv.gz")) {
            if (raw == null) throw new UserError("the bundled digits dataset is missing from the jar (a broken build?)");
            all = CsvReader.read("digits", new GZIPInputStream(raw));
        } catch (IOException e) {
            throw new UserError("cannot read the bundled digits dataset: " + e.getMessage());
        }
        float[] v = all.values();
        for (int r = 0; r < all.rows(); r++) {
            for (int c = 0; c < all.cols() - 1; c++) v[r * all.cols() + c] /= 16f;
        }
        int[] perm = permutation(all.rows(), DIGITS_SPLIT_SEED);
        int nTest = (int) Math.round(all.rows() * DIGITS_TEST_FRACTION);
        int[] testIdx = java.util.Arrays.copyOfRange(perm, 0, nTest);
        int[] trainIdx = java.util.Arrays.copyOfRange(perm, nTest, perm.length);
        java.util.Arrays.sort(testIdx);
        java.util.Arrays.sort(trainIdx);
        return new Loaded(DIGITS, rows(all, trainIdx, "digits (train)"), rows(all, testIdx, "digits (test)"));
    }

    /** A folder with train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k pair, raw or .gz. */
    public static Loaded mnist(Path dir) {
        Table train = idxPair(dir, "train");
        Path t10k = find(dir, "t10k-images-idx3-ubyte", false);
        Table test = t10k == null ? null : idxPair(dir, "t10k");
        return new Loaded(dir.toString(), train, test);
    }

    private static Table idxPair(Path dir, String prefix) {
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte", true);
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte", true);
        IdxReader.Images images = IdxReader.readImages(imagesFile);
        byte[] labels = IdxReader.readLabels(labelsFile);
        if (images.count() != labels.length) {
            throw new UserError(imagesFile + " holds " + images.count() + " images but " + labelsFile + " holds " + labels.length + " labels");
        }
        int f = images.height() * images.width();
        int cols = f + 1;
        float[] v = new float[images.count() * cols];
        int[] lines = new int[images.count()];
        byte[] px = images.pixels();
        for (int r = 0; r < images.count(); r++) {
            int src = r * f, dst = r * cols;
            for (int c = 0; c < f; c++) v[dst + c] = (px[src + c] & 0xff) / 255f;
            v[dst + f] = labels[r] & 0xff;
            lines[r] = r + 1;
        }
        // "line" r of an IDX table is item r (1-based), so errors read file:item
        return new Table(labelsFile.toString(), v, images.count(), cols, lines);
    }

    private static Path find(Path dir, String base, boolean required) {
        for (String name : new String[]{base, base + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        if (!required) return null;
        throw new UserError(dir + ": not an MNIST folder: " + base + " (or " + base + ".gz) is missing");
    }

    /** A seeded Fisher–Yates shuffle of 0..n−1 (java.util.Random, so the same on every JVM). */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static Table rows(Table t, int[] idx, String name) {
        float[] v = new float[idx.length * t.cols()];
        int[] lines = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(t.values(), idx[i] * t.cols(), v, i * t.cols(), t.cols());
            lines[i] = t.lines()[idx[i]];
        }
        return new Table(name, v, idx.length, t.cols(), lines);
    }

    /**
     * Splits off the last {@code fraction} of the rows after a seeded shuffle, for validation.
     * Returns {train, validation}.
     */
    public static Dataset[] split(Dataset d, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new UserError("--val-split must be between 0 and 1 (exclusive), got " + fraction);
        int nVal = (int) Math.round(d.rows() * fraction);
        if (nVal < 1 || nVal >= d.rows()) throw new UserError("--val-split " + fraction + " leaves no rows for training or validation (" + d.rows() + " rows)");
        int[] perm = permutation(d.rows(), seed ^ 0x5DEECE66DL);
        int[] tr = java.util.Arrays.copyOfRange(perm, 0, d.rows() - nVal);
        int[] va = java.util.Arrays.copyOfRange(perm, d.rows() - nVal, d.rows());
        java.util.Arrays.sort(tr);
        java.util.Arrays.sort(va);
        return new Dataset[]{d.subset(tr, d.source() + " (train part)"), d.subset(va, d.source() + " (validation part)")};
    }
}
