package dev.clprop.data;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.Standardizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Datasets and data sources, value by value and message by message. */
class DatasetTest {
    @TempDir
    Path dir;

    static String error(Runnable r) {
        return assertThrows(InvalidInputException.class, r::run).getMessage();
    }

    @Test
    void nonFiniteValuesAreNamedByRowAndColumn() {
        float[][] x = {{1, 2, 3}, {4, 5, Float.POSITIVE_INFINITY}};
        assertEquals("data row 2: feature 3 is Infinity, not a finite number", error(() -> Dataset.classification(x, new int[2])));
        float[][] y = {{0, 0}, {0, 0}, {1, Float.NaN}};
        assertEquals("data row 3: target 2 is NaN, not a finite number", error(() -> Dataset.regression(new float[3][1], y)));
    }

    @Test
    void labelsFromZeroToTheLimit() {
        assertEquals(Dataset.MAX_CLASSES, Dataset.classification(new float[1][1], new int[]{Dataset.MAX_CLASSES - 1}).classCount());
        assertEquals("data row 1: class label 4096 is beyond the limit of 4096 classes",
                error(() -> Dataset.classification(new float[1][1], new int[]{Dataset.MAX_CLASSES})));
        assertEquals("data row 2: class label -1 is negative", error(() -> Dataset.classification(new float[2][1], new int[]{0, -1})));
        assertEquals(1, Dataset.classification(new float[1][1], new int[]{0}).classCount());
    }

    @Test
    void shapesMustAgree() {
        assertEquals("x: 5 feature values do not form 2 rows of 2", error(() -> Dataset.classification("x", new float[5], 2, new int[2], null)));
        assertEquals("x: 4 feature values do not form 1 rows of 2", error(() -> Dataset.regression("x", new float[4], 2, new float[3], 3, null)));
        assertEquals("x: targets do not form rows of 2", error(() -> Dataset.regression("x", new float[4], 2, new float[3], 2, null)));
        assertEquals("row 1 of the features has no values, row 0 has 2", error(() -> Dataset.classification(new float[][]{{1, 2}, null}, new int[2])));
        assertEquals("row 1 of the targets has 3 values, row 0 has 1",
                error(() -> Dataset.regression(new float[2][1], new float[][]{{1}, {1, 2, 3}})));
        assertEquals("there are 2 rows of features but 3 labels", error(() -> Dataset.classification(new float[2][1], new int[3])));
        assertTrue(error(() -> Dataset.classification(new float[0][0], new int[0])).contains("has no rows"));
    }

    @Test
    void emptyClassesAreListedAsRanges() {
        assertNull(Dataset.classification(new float[3][1], new int[]{0, 1, 2}).emptyClasses());
        assertEquals("1..2, 4..6", Dataset.classification(new float[4][1], new int[]{0, 3, 3, 7}).emptyClasses());
        assertEquals("0, 2", Dataset.classification(new float[2][1], new int[]{1, 3}).emptyClasses());
        assertNull(Dataset.regression(new float[1][1], new float[1][1]).emptyClasses());
        assertArrayEquals(new int[]{1, 0, 0, 2, 0, 0, 0, 1}, Dataset.classification(new float[4][1], new int[]{0, 3, 3, 7}).classCounts());
    }

    @Test
    void targetMatrixOneHotsToTheOutputWidth() {
        Dataset d = Dataset.classification(new float[2][1], new int[]{2, 0});
        assertArrayEquals(new float[]{0, 0, 1, 1, 0, 0}, d.targetMatrix(3));
        assertArrayEquals(new float[]{0, 0, 1, 0, 1, 0, 0, 0}, d.targetMatrix(4));
        assertEquals("data row 1: class label 2 is outside 0..1 (the network has 2 outputs)", error(() -> d.targetMatrix(2)));
        Dataset r = Dataset.regression(new float[1][1], new float[][]{{1, 2}});
        assertEquals("data: has 2 target column(s) but the network has 3 output(s)", error(() -> r.targetMatrix(3)));
    }

    @Test
    void subsetsKeepTargetsLabelsLinesAndNames() {
        Dataset r = Dataset.regression("r", new float[]{1, 2, 3}, 1, new float[]{10, 11, 20, 21, 30, 31}, 2, new int[]{5, 6, 9});
        Dataset s = r.subset(new int[]{2, 0}, "s");
        assertArrayEquals(new float[]{3, 1}, s.featureMatrix());
        assertArrayEquals(new float[]{30, 31, 10, 11}, s.targetMatrix(2));
        assertEquals("s:9", s.where(0));
        assertEquals("s (2 rows, 1 features, 2 targets)", s.toString());
        Dataset c = Dataset.classification("c", new float[]{1, 2, 3}, 1, new int[]{0, 1, 1}, null).withClassNames(List.of("no", "yes"));
        Dataset cs = c.subset(new int[]{1}, "cs");
        assertEquals(List.of("no", "yes"), cs.classNames());
        assertEquals(2, cs.classCount(), "a subset keeps the classes of its names");
        assertEquals("cs (1 rows, 1 features, 2 classes)", cs.toString());
        assertEquals(List.of("no", "yes"), c.standardized(new Standardizer(new float[]{0}, new float[]{1})).classNames());
        assertTrue(error(() -> r.withClassNames(List.of("a"))).contains("regression data has no classes"));
        assertTrue(error(() -> c.withClassNames(List.of("a"))).contains("1 class names for 2 classes"));
        assertTrue(error(() -> c.standardized(new Standardizer(new float[2], new float[]{1, 1}))).contains("standardization is for 2"));
    }

    @Test
    void csvOptions() {
        assertEquals("targets", assertThrows(InvalidSettingException.class, () -> CsvOptions.regression(0)).setting());
        assertEquals(1, CsvOptions.regression(1).targets());
        assertTrue(CsvOptions.regression(1).isRegression());
        assertEquals(0, CsvOptions.classification().targets());
    }

    @Test
    void digitsKeepsFileOrderInBothParts() {
        DataSplit d = DataSources.digits();
        for (Dataset part : new Dataset[]{d.train(), d.test()}) {
            int last = 0;
            for (int r = 0; r < part.rows(); r++) {
                int line = Integer.parseInt(part.where(r).substring(part.where(r).lastIndexOf(':') + 1));
                assertTrue(line > last, part.name() + " rows are in file order");
                last = line;
            }
        }
        assertEquals(0.1, d.defaultValidationFraction());
        assertEquals(0.0, new DataSplit("x", d.train(), null).defaultValidationFraction());
    }

    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        for (int v : dims) d.writeInt(v);
        d.write(data);
        return b.toByteArray();
    }

    @Test
    void mnistRowsAreImagesInOrderScaledToTheUnitInterval() throws IOException {
        Path m = Files.createDirectories(dir.resolve("m"));
        Files.write(m.resolve("train-images-idx3-ubyte"), idx(0x803, new int[]{2, 1, 3}, new byte[]{0, 51, (byte) 255, 102, 0, 1}));
        Files.write(m.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[]{2}, new byte[]{1, 0}));
        DataSplit s = DataSources.mnist(m);
        assertArrayEquals(new float[]{0, 0.2f, 1, 0.4f, 0, 1 / 255f}, s.train().featureMatrix());
        assertEquals(1, s.train().label(0));
        assertEquals(0, s.train().label(1));
        assertTrue(s.train().where(1).endsWith("train-labels-idx1-ubyte:2"), s.train().where(1));
        assertNull(s.test(), "no t10k files: no test set");
    }

    @Test
    void idxLabelsThatNumberMostlyAbsentClassesAreRefusedByItem() throws IOException {
        Path m = Files.createDirectories(dir.resolve("m"));
        byte[] pixels = new byte[12];
        Files.write(m.resolve("train-images-idx3-ubyte"), idx(0x803, new int[]{12, 1, 1}, pixels));
        byte[] labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, (byte) 255, 3};
        Files.write(m.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[]{12}, labels));
        assertEquals(m.resolve("train-labels-idx1-ubyte") + ":11: label 255, but only 11 of the 256 class ids 0..255 occur in the file;"
                + " IDX labels are class indices from 0 (is the file damaged?)", error(() -> DataSources.mnist(m)));
        // half the ids present (a K-class file whose small sample lacks some classes) is accepted; fewer is not
        for (int i = 0; i < 9; i++) labels[i] = (byte) (2 * i);
        labels[9] = 19;
        labels[10] = 0;
        labels[11] = 2;
        Files.write(m.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[]{12}, labels));
        assertEquals(20, DataSources.mnist(m).train().classCount(), "10 of the 20 ids occur");
        labels[9] = 20;
        Files.write(m.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[]{12}, labels));
        assertTrue(error(() -> DataSources.mnist(m)).contains(":10: label 20, but only 10 of the 21 class ids 0..20 occur"), error(() -> DataSources.mnist(m)));
    }

    @Test
    void aTestFileMustHaveTheTrainingFilesWidth() throws IOException {
        Path train = Files.writeString(dir.resolve("a.csv"), "1,2,0\n3,4,1\n");
        Path test = Files.writeString(dir.resolve("b.csv"), "1,2,3,0\n");
        assertEquals(test + ": has 3 feature columns but " + train + " has 2",
                error(() -> DataSources.open(train.toString(), test, CsvOptions.classification())));
        assertEquals(2, DataSources.open(train.toString(), train, CsvOptions.classification()).test().featureCount());
        assertTrue(error(() -> DataSources.open("digits", test, CsvOptions.classification())).contains("digits has its own fixed test split"));
        assertTrue(error(() -> DataSources.open(dir.resolve("nope.csv").toString(), null, CsvOptions.classification())).contains("no such file"));
    }

    @Test
    void tooManyTextClassesAreRefused() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i <= Dataset.MAX_CLASSES; i++) sb.append("1,c").append(i).append('\n');
        String e = error(() -> DataSources.csv("many.csv", new java.io.ByteArrayInputStream(sb.toString().getBytes()), CsvOptions.classification()));
        assertEquals("many.csv: has 4097 distinct labels, more than the limit of 4096 classes", e);
        StringBuilder ok = new StringBuilder();
        for (int i = 0; i < Dataset.MAX_CLASSES; i++) ok.append("1,c").append(i).append('\n');
        assertEquals(Dataset.MAX_CLASSES, DataSources.csv("ok.csv", new java.io.ByteArrayInputStream(ok.toString().getBytes()), CsvOptions.classification()).classCount());
    }
}
