package dev.clprop.data;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import dev.clprop.io.CsvReader;
import dev.clprop.io.IdxReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads the data clprop trains on: a CSV file, a folder in MNIST layout, or the bundled digits set.
 * Pixel data is scaled to [0,1] here (MNIST /255, digits /16), so training, evaluation and
 * prediction see the same inputs.
 */
public final class DataSources {
    /** The name of the bundled data set. */
    public static final String DIGITS = "digits";
    /** digits has no official test split: a fixed 20% is held out, the same whatever the seed. */
    static final long DIGITS_SPLIT_SEED = 20240229L;
    static final double DIGITS_TEST_FRACTION = 0.2;

    private DataSources() {
    }

    /**
     * What a name means: {@code digits} (bundled), a folder in MNIST layout, or a CSV file (with an
     * optional CSV test file, else null).
     */
    public static DataSplit open(String data, Path testFile, CsvOptions csv) {
        return open(data, testFile, null, csv);
    }

    /**
     * As {@link #open(String, Path, CsvOptions)}, with an optional CSV file of validation rows. Test and
     * validation files are read like the training file and must match it: the same feature columns
     * (by name when the files have headers), and only classes the training rows have.
     */
    public static DataSplit open(String data, Path testFile, Path validationFile, CsvOptions csv) {
        if (data == null || data.equals(DIGITS) || Files.isDirectory(Path.of(data))) {
            String own = data == null || data.equals(DIGITS) ? "digits has its own fixed test split" : "an MNIST folder has its own t10k test files";
            if (testFile != null) throw new InvalidInputException("a test file applies to CSV data; " + own);
            if (validationFile != null) throw new InvalidInputException("a validation file applies to CSV data; use a validation split with " + (data == null ? DIGITS : data));
            return data == null || data.equals(DIGITS) ? digits() : mnist(Path.of(data));
        }
        Path p = Path.of(data);
        if (!Files.exists(p)) throw new InvalidInputException(data + ": no such file (expected a CSV file, an MNIST folder or 'digits')");
        Dataset train = csv(p, csv);
        Dataset test = testFile == null ? null : companion(csv(testFile, csv), train);
        Dataset validation = validationFile == null ? null : companion(csv(validationFile, csv), train);
        return new DataSplit(data, train, test, validation);
    }

    /**
     * Rows read to go with {@code train}: their columns matched to train's by name (any order) when both
     * files have headers, else by position; their classes numbered as train's.
     */
    static Dataset companion(Dataset other, Dataset train) {
        Dataset matched = other.withColumnsOf(train.featureNames(), train.targetNames(), train.name());
        if (matched.featureCount() != train.featureCount()) {
            throw new InvalidInputException(other.name() + ": has " + other.featureCount() + " feature columns but " + train.name() + " has " + train.featureCount());
        }
        return matched.withClassesOf(train.classNames());
    }

    /** CSV text from a stream (not closed here); {@code name} is used in messages. */
    public static Dataset csv(String name, InputStream in, CsvOptions options) {
        if (in == null) throw new InvalidInputException("no stream to read " + name + " from was given");
        if (options == null) throw new InvalidInputException(name + ": no CsvOptions were given (CsvOptions.classification() or CsvOptions.regression(n))");
        return toDataset(CsvReader.read(name, in, layout(options)), options);
    }

    /** A CSV file (optionally .gz); see {@link CsvOptions} for which columns are what. */
    public static Dataset csv(Path file, CsvOptions options) {
        if (file == null) throw new InvalidInputException("no CSV file was given");
        if (options == null) throw new InvalidInputException(file + ": no CsvOptions were given (CsvOptions.classification() or CsvOptions.regression(n))");
        return toDataset(CsvReader.read(file, layout(options)), options);
    }

    /** The bundled UCI optical digits (1797 rows of 8×8 pixels, scaled to [0,1]) with a fixed 20% test split. */
    public static DataSplit digits() {
        CsvReader.Result all;
        try (InputStream raw = DataSources.class.getResourceAsStream("/datasets/digits.csv.gz")) {
            if (raw == null) throw new InvalidInputException("the bundled digits dataset is missing from the jar (a broken build?)");
            all = CsvReader.read(DIGITS, new GZIPInputStream(raw), layout(CsvOptions.classification()));
        } catch (IOException e) {
            throw new InvalidInputException("cannot read the bundled digits dataset: " + e.getMessage());
        }
        float[] v = all.features();
        for (int i = 0; i < v.length; i++) v[i] /= 16f;
        Dataset d = toDataset(all, CsvOptions.classification());
        int[] perm = Splits.permutation(d.rows(), DIGITS_SPLIT_SEED);
        int nTest = (int) Math.round(d.rows() * DIGITS_TEST_FRACTION);
        int[] testIdx = Arrays.copyOfRange(perm, 0, nTest);
        int[] trainIdx = Arrays.copyOfRange(perm, nTest, perm.length);
        Arrays.sort(testIdx);
        Arrays.sort(trainIdx);
        return new DataSplit(DIGITS, d.subset(trainIdx, "digits (train)"), d.subset(testIdx, "digits (test)"));
    }

    /** A folder with train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k pair, raw or .gz. */
    public static DataSplit mnist(Path dir) {
        if (dir == null) throw new InvalidInputException("no MNIST folder was given");
        Dataset train = idxPair(dir, "train");
        // the training labels decide the classes; test labels are checked against the model's
        checkClassIds(train);
        Path t10k = find(dir, "t10k-images-idx3-ubyte", false);
        Dataset test = t10k == null ? null : idxPair(dir, "t10k");
        if (test != null && test.featureCount() != train.featureCount()) {
            // the images decide the width: name their file, not the labels' the dataset is called after
            throw new InvalidInputException(t10k + ": its images have " + test.featureCount() + " pixels, the training images "
                    + train.featureCount() + "; the test images must be the same size");
        }
        return new DataSplit(dir.toString(), train, test);
    }

    private static Dataset idxPair(Path dir, String prefix) {
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte", true);
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte", true);
        IdxReader.Images images = IdxReader.readImages(imagesFile);
        byte[] labels = IdxReader.readLabels(labelsFile);
        if (images.count() != labels.length) {
            throw new InvalidInputException(imagesFile + " holds " + images.count() + " images but " + labelsFile + " holds " + labels.length + " labels");
        }
        int f = images.height() * images.width();
        float[] x = new float[images.count() * f];
        int[] y = new int[images.count()];
        int[] lines = new int[images.count()];
        byte[] px = images.pixels();
        for (int r = 0; r < images.count(); r++) {
            for (int c = 0; c < f; c++) x[r * f + c] = (px[r * f + c] & 0xff) / 255f;
            y[r] = labels[r] & 0xff;
            lines[r] = r + 1;
        }
        // "line" r of an IDX data set is item r (1-based), so messages read file:item
        return Dataset.classification(labelsFile.toString(), x, f, y, lines);
    }

    /**
     * IDX labels are class indices 0..K-1. When fewer than half of the ids up to the largest occur, the
     * file is not a K-class label file (a damaged byte of 255 would otherwise make 256 classes, most of
     * them phantoms the network learns never to predict): refused, naming the item.
     */
    static void checkClassIds(Dataset train) {
        int[] counts = train.classCounts();
        int present = 0;
        for (int c : counts) if (c > 0) present++;
        int max = counts.length - 1;
        if (2 * present < counts.length) {
            int at = 0;
            while (train.label(at) != max) at++;
            throw new InvalidInputException(train.where(at) + ": label " + max + ", but only " + present + " of the " + counts.length
                    + " class ids 0.." + max + " occur in the file; IDX labels are class indices from 0 (is the file damaged?)");
        }
    }

    private static Path find(Path dir, String base, boolean required) {
        for (String name : new String[]{base, base + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        if (!required) return null;
        throw new InvalidInputException(dir + ": not an MNIST folder: " + base + " (or " + base + ".gz) is missing");
    }

    /**
     * Which column is what: ignored columns are set aside first; then the label column (named, else the
     * last one left) or the last N columns left as targets; every other column is a feature.
     */
    static CsvReader.Layout layout(CsvOptions options) {
        return (header, cols, source) -> {
            CsvReader.Role[] roles = new CsvReader.Role[cols];
            java.util.Arrays.fill(roles, CsvReader.Role.FEATURE);
            for (String ref : options.ignore()) roles[CsvOptions.resolve(ref, header, cols, "ignore", source)] = CsvReader.Role.IGNORED;
            int left = 0;
            for (CsvReader.Role r : roles) if (r == CsvReader.Role.FEATURE) left++;
            int special = options.isRegression() ? options.targets() : 1;
            if (left <= special) {
                throw new InvalidInputException(source + ": has " + cols + " column(s)" + (left < cols ? ", " + left + " not ignored," : "")
                        + " too few for " + (options.isRegression() ? options.targets() + " target column(s)" : "a label column") + " and at least one feature");
            }
            if (options.label() != null) {
                int c = CsvOptions.resolve(options.label(), header, cols, "label", source);
                if (roles[c] == CsvReader.Role.IGNORED) throw new InvalidSettingException("label", Quote.of(options.label()) + " is also among the ignored columns");
                roles[c] = CsvReader.Role.LABEL;
                return roles;
            }
            CsvReader.Role role = options.isRegression() ? CsvReader.Role.TARGET : CsvReader.Role.LABEL;
            for (int c = cols - 1, n = 0; c >= 0 && n < special; c--) {
                if (roles[c] == CsvReader.Role.FEATURE) {
                    roles[c] = role;
                    n++;
                }
            }
            return roles;
        };
    }

    /**
     * Rows read from a CSV file as a dataset. Labels that are all numbers must be non-negative
     * integers, the class indices; when any label is text, each distinct label is a class, numbered
     * in sorted order, and the dataset keeps the names.
     */
    static Dataset toDataset(CsvReader.Result t, CsvOptions options) {
        return labelled(t, options).withColumnNames(t.names(CsvReader.Role.FEATURE),
                t.names(options.isRegression() ? CsvReader.Role.TARGET : CsvReader.Role.LABEL), t.names(CsvReader.Role.IGNORED));
    }

    static Dataset labelled(CsvReader.Result t, CsvOptions options) {
        if (options.isRegression()) return Dataset.regression(t.source(), t.features(), t.featureCount(), t.targets(), t.targetCount(), t.lines());
        String[] text = t.labels();
        int[] labels = new int[t.rows()];
        boolean numeric = true;
        for (int r = 0; r < t.rows() && numeric; r++) numeric = !Float.isNaN(CsvReader.decimal(text[r]));
        if (numeric) {
            for (int r = 0; r < t.rows(); r++) {
                float v = CsvReader.decimal(text[r]);
                if (v < 0 || v != (int) v) {
                    throw new InvalidInputException(t.source() + ":" + t.lines()[r] + ": class label " + Quote.of(text[r])
                            + " is not a non-negative integer (for real-valued targets read the file as regression)");
                }
                labels[r] = (int) v;
            }
            return Dataset.classification(t.source(), t.features(), t.featureCount(), labels, t.lines());
        }
        java.util.TreeSet<String> names = new java.util.TreeSet<>(Arrays.asList(text));
        if (names.size() > Dataset.MAX_CLASSES) {
            throw new InvalidInputException(t.source() + ": has " + names.size() + " distinct labels, more than the limit of " + Dataset.MAX_CLASSES + " classes");
        }
        java.util.List<String> classes = new java.util.ArrayList<>(names);
        for (int r = 0; r < t.rows(); r++) labels[r] = java.util.Collections.binarySearch(classes, text[r]);
        return Dataset.classification(t.source(), t.features(), t.featureCount(), labels, t.lines()).withClassNames(classes);
    }

}
