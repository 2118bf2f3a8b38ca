package dev.clprop.io;

import dev.clprop.data.CsvOptions;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.error.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a CSV file means, and every way one can be wrong. */
class CsvReaderTest {
    @TempDir
    Path dir;

    Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    Dataset classes(String content) throws IOException {
        return DataSources.csv(file("d.csv", content), CsvOptions.classification());
    }

    String error(String content) {
        return assertThrows(InvalidInputException.class, () -> classes(content)).getMessage();
    }

    @Test
    void aHeaderIsANameAboveANumber() throws IOException {
        Dataset d = classes("a,b,label\n0.1,0.2,0\n0.3,0.4,1\n");
        assertEquals(2, d.rows());
        assertArrayEquals(new float[]{0.1f, 0.2f, 0.3f, 0.4f}, d.featureMatrix());
        assertEquals("d.csv:3", d.where(1).substring(d.where(1).lastIndexOf('/') + 1), "rows keep their file lines");
        Dataset none = classes("0.1,0.2,0\n0.3,0.4,1\n");
        assertEquals(2, none.rows(), "a first row of numbers is data");
    }

    @Test
    void aFirstRowOfInfHexOrSuffixedNumbersIsAnErrorNotAHeader() {
        for (String bad : new String[]{"inf", "-Infinity", "NaN", "0x1p3", "2f", "4d", "1e99999"}) {
            String e = error(bad + ",0.2,0\n0.3,0.4,1\n");
            assertTrue(e.contains("d.csv:1: column 1: '" + bad + "' is not a finite decimal number"), e);
            String later = error("0.3,0.4,1\n" + bad + ",0.2,0\n");
            assertTrue(later.contains("d.csv:2: column 1"), later);
        }
    }

    @Test
    void aByteOrderMarkIsIgnored() throws IOException {
        Dataset d = classes("\uFEFF0.5,0.25,1\n0.3,0.4,0\n");
        assertEquals(2, d.rows(), "the first row is data, not lost as a header");
        assertEquals(0.5f, d.featureMatrix()[0]);
        Path withHeader = file("h.csv", "\uFEFFx,y,label\n1,2,0\n");
        CsvReader.Result r = CsvReader.read(withHeader, (h, cols, src) -> new CsvReader.Role[]{CsvReader.Role.FEATURE, CsvReader.Role.FEATURE, CsvReader.Role.LABEL});
        assertEquals("x", r.header()[0]);
    }

    @Test
    void quotedFieldsAndTextLabels() throws IOException {
        Dataset d = classes("sepal,petal,species\n1.0,2.0,\"virginica, tall\"\n3.0,4.0,setosa\n5,6,setosa\n");
        assertEquals(List.of("setosa", "virginica, tall"), d.classNames());
        assertEquals(1, d.label(0));
        assertEquals(0, d.label(1));
        Dataset headerless = classes("1.0,2.0,yes\n3.0,4.0,no\n");
        assertEquals(2, headerless.rows(), "text labels in a headerless file are not a header");
        assertEquals(List.of("no", "yes"), headerless.classNames());
        Dataset numbers = classes("1,2,3\n4,5,0\n");
        assertNull(numbers.classNames(), "numeric labels are class indices");
        assertEquals(3, numbers.label(0));
        assertEquals(4, numbers.classCount());
    }

    @Test
    void errorsNameFileLineAndColumn() {
        assertTrue(error("a,b,c\n1,2,0\n1,2\n").contains("d.csv:3: has 2 columns, but the header has 3"), error("a,b,c\n1,2,0\n1,2\n"));
        String blank = error("1,2,0\n\n\n1,x,0\n");
        assertTrue(blank.contains("d.csv:4: column 2: 'x' is not a finite decimal number"), "blank lines still count: " + blank);
        assertTrue(error("a,b,c\n1,,0\n").contains("d.csv:2: column 2 ('b'): '' is empty"), error("a,b,c\n1,,0\n"));
        assertTrue(error("1,2,0.5\n").contains("class label '0.5' is not a non-negative integer"), error("1,2,0.5\n"));
        assertTrue(error("1,2,-1\n").contains("class label '-1'"), error("1,2,-1\n"));
        assertTrue(error("1,2,0\n1,\"2,0\n").contains("d.csv"), error("1,2,0\n1,\"2,0\n"));
        assertTrue(error("").contains("no data rows"), error(""));
        assertTrue(error("a,b,c\n").contains("no data rows"), error("a,b,c\n"));
        assertTrue(error("1\n2\n").contains("too few for a label column"), error("1\n2\n"));
        assertTrue(error("1,2,100000\n").contains("beyond the limit of 4096 classes"), error("1,2,100000\n"));
    }

    @Test
    void notUtf8IsAnError() throws IOException {
        Path p = dir.resolve("latin1.csv");
        Files.write(p, new byte[]{'1', ',', (byte) 0xE9, ',', '0', '\n'});
        String e = assertThrows(InvalidInputException.class, () -> DataSources.csv(p, CsvOptions.classification())).getMessage();
        assertTrue(e.contains("not UTF-8"), e);
    }

    @Test
    void anEndlessLineInAGzipBombIsRefusedWithoutFillingTheHeap() throws IOException {
        Path p = dir.resolve("bomb.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            byte[] ones = "1111111111111111111111111111111111111111111111111111111111111111".repeat(1024).getBytes(StandardCharsets.US_ASCII);
            for (long n = 0; n <= CsvReader.MAX_LINE_CHARS / ones.length + 1; n++) out.write(ones);
        }
        assertTrue(Files.size(p) < 200_000, "a small file that inflates to " + CsvReader.MAX_LINE_CHARS + "+ characters");
        String e = assertThrows(InvalidInputException.class, () -> DataSources.csv(p, CsvOptions.classification())).getMessage();
        assertTrue(e.contains("bomb.csv.gz:1: longer than"), e);
    }

    @Test
    void rowsBeyondTheHeapAreRefusedBeforeTheyAreAllocated() {
        dev.clprop.util.Memory.pretend(64 * 1024);
        try {
            StringBuilder sb = new StringBuilder();
            for (int r = 0; r < 5000; r++) sb.append("1,2,3,4,5,6,7,0\n");
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> CsvReader.read("many.csv", new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.US_ASCII)), DataSources_layout()));
            assertTrue(e.getMessage().contains("many.csv: too large") && e.getMessage().contains("Java heap"), e.getMessage());
        } finally {
            dev.clprop.util.Memory.measure();
        }
    }

    static CsvReader.Layout DataSources_layout() {
        return (h, cols, src) -> {
            CsvReader.Role[] r = new CsvReader.Role[cols];
            java.util.Arrays.fill(r, CsvReader.Role.FEATURE);
            return r;
        };
    }

    @Test
    void onlyTheFirstRecordLosesAByteOrderMark() {
        String e = error("1,2,0\n\uFEFF3,4,1\n");
        assertTrue(e.contains("d.csv:2: column 1: '\uFEFF3' is not a finite decimal number"), e);
    }

    @Test
    void rowsOfDifferentWidthsAreNotAHeaderAndTheLayoutSeesTheHeader() throws IOException {
        assertTrue(error("a,b\n1,2,0\n").contains("d.csv:1: column 1: 'a' is not a finite decimal number"), "a row of another width is no header");
        String[][] seen = new String[1][];
        CsvReader.Result r = CsvReader.read(file("h.csv", "x,y,z\n1,2,0\n"), (h, cols, src) -> {
            seen[0] = h;
            return new CsvReader.Role[]{CsvReader.Role.FEATURE, CsvReader.Role.IGNORED, CsvReader.Role.LABEL};
        });
        assertArrayEquals(new String[]{"x", "y", "z"}, seen[0]);
        assertEquals(List.of("x"), r.names(CsvReader.Role.FEATURE));
        assertEquals(List.of("z"), r.names(CsvReader.Role.LABEL));
        assertEquals(List.of(), r.names(CsvReader.Role.TARGET));
        CsvReader.Result none = CsvReader.read(file("n.csv", "1,2,0\n"), (h, cols, src) -> {
            seen[0] = h;
            return new CsvReader.Role[]{CsvReader.Role.FEATURE, CsvReader.Role.TARGET, CsvReader.Role.IGNORED};
        });
        assertNull(seen[0], "no header: the layout is told so");
        assertNull(none.names(CsvReader.Role.FEATURE));
        assertArrayEquals(new float[]{2}, none.targets());
    }

    /** 257 rows outgrow the first 256-row block; the next block of 512 rows of 16 bytes needs half the heap free. */
    @Test
    void growingIsCheckedToTheByte() {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < 257; r++) sb.append("1,a\n");
        byte[] csv = sb.toString().getBytes(StandardCharsets.US_ASCII);
        try {
            dev.clprop.util.Memory.pretend(2 * 512 * 16);
            assertEquals(257, DataSources.csv("g.csv", new ByteArrayInputStream(csv), CsvOptions.classification()).rows());
            dev.clprop.util.Memory.pretend(2 * 512 * 16 - 1);
            assertThrows(InvalidInputException.class, () -> DataSources.csv("g.csv", new ByteArrayInputStream(csv), CsvOptions.classification()));
        } finally {
            dev.clprop.util.Memory.measure();
        }
    }

    @Test
    void corruptGzipIsNamed() throws IOException {
        Path p = dir.resolve("broken.csv.gz");
        Files.write(p, new byte[]{0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3});
        String e = assertThrows(InvalidInputException.class, () -> DataSources.csv(p, CsvOptions.classification())).getMessage();
        assertTrue(e.contains("broken.csv.gz") && e.contains("gzip"), e);
    }
}
