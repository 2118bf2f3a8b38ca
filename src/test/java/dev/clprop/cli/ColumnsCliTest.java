package dev.clprop.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CSV as people have them: a header, quoted names, an ID column, text labels (one with a comma in
 * it), trained and used by name through the command line.
 */
class ColumnsCliTest {
    @TempDir
    static Path dir;
    static Path train, test, model, json, out;
    static List<String> testSpecies = new ArrayList<>();
    static CliRunner trained;

    static final String[] SPECIES = {"north", "south", "east, west"};
    static final String HEADER = "id,\"width (cm)\",\"height (cm)\",depth,species\n";

    /** Three well separated blobs: anything that learns at all gets nearly all rows right. */
    static String rows(Random rnd, int n, String prefix, List<String> labels) {
        StringBuilder sb = new StringBuilder();
        double[][] centre = {{0, 0, 0}, {3, 3, 0}, {0, 3, 3}};
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            sb.append(prefix).append(i);
            for (int j = 0; j < 3; j++) sb.append(',').append(String.format(Locale.ROOT, "%.3f", centre[c][j] + 0.6 * rnd.nextGaussian()));
            sb.append(",\"").append(SPECIES[c]).append("\"\n");
            if (labels != null) labels.add(SPECIES[c]);
        }
        return sb.toString();
    }

    @BeforeAll
    static void trainOnce() throws IOException {
        Random rnd = new Random(7);
        train = Files.writeString(dir.resolve("train.csv"), HEADER + rows(rnd, 150, "a", null));
        test = Files.writeString(dir.resolve("test.csv"), HEADER + rows(rnd, 60, "b", testSpecies));
        model = dir.resolve("m.npz");
        json = dir.resolve("run.json");
        out = dir.resolve("run");
        trained = CliRunner.run("train", "--data", train.toString(), "--test", test.toString(), "--label", "species", "--ignore", "id",
                "--standardize", "--epochs", "40", "--lr", "0.01", "--device", "cpu", "--save", model.toString(), "--json", json.toString(),
                "--out", out.toString());
    }

    @Test
    void trainsOnNamedColumnsAndReportsByClassName() {
        assertEquals(0, trained.status(), trained.err());
        assertTrue(CliRunner.accuracy(trained.out()) >= 95, trained.out());
        // the report names the classes as the file does
        assertTrue(trained.out().lines().anyMatch(l -> l.trim().startsWith("east, west ")), trained.out());
        assertTrue(trained.out().contains("macro avg"), trained.out());
    }

    @Test
    void jsonHoldsTheReportedFiguresAndSettings() throws IOException {
        assertEquals(0, trained.status(), trained.err());
        JsonObject j = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonObject e = j.getAsJsonObject("evaluation");
        assertEquals("test", e.get("set").getAsString());
        assertEquals(60, e.get("rows").getAsInt());
        assertEquals(CliRunner.accuracy(trained.out()), 100 * e.get("accuracy").getAsDouble(), 0.005);
        assertEquals("east, west", e.getAsJsonArray("classes").get(0).getAsJsonObject().get("name").getAsString());
        assertEquals(40, j.get("epochs").getAsInt());
        assertEquals(40, j.getAsJsonArray("history").size());
        assertEquals("species", j.getAsJsonObject("options").get("--label").getAsString());
        assertEquals(3, e.getAsJsonArray("confusion_matrix").size());
        long total = 0;
        for (var row : e.getAsJsonArray("confusion_matrix")) for (var c : row.getAsJsonArray()) total += c.getAsLong();
        assertEquals(60, total);
    }

    @Test
    void runFolderHasAConfusionChart() throws IOException {
        assertEquals(0, trained.status(), trained.err());
        byte[] png = Files.readAllBytes(out.resolve(RunOutputs.CONFUSION));
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
    }

    @Test
    void predictPrintsClassNamesForAFileAndForStandardInput() {
        assertEquals(0, trained.status(), trained.err());
        CliRunner p = CliRunner.run("predict", "--model", model.toString(), "--data", test.toString(), "--output", "class");
        assertEquals(0, p.status(), p.err());
        List<String> lines = parse(p.out());
        assertEquals("species", lines.get(0));
        List<String> predicted = lines.subList(1, lines.size());
        assertEquals(testSpecies.size(), predicted.size());
        int right = 0;
        for (int i = 0; i < predicted.size(); i++) if (predicted.get(i).equals(testSpecies.get(i))) right++;
        assertTrue(right >= 57, right + " of 60 right");

        // the same rows, columns in another order and no label, piped in
        StringBuilder csv = new StringBuilder("depth,\"height (cm)\",\"width (cm)\",id\n");
        try {
            for (String l : Files.readAllLines(test).subList(1, 61)) {
                String[] c = l.split(",");
                csv.append(c[3]).append(',').append(c[2]).append(',').append(c[1]).append(',').append(c[0]).append('\n');
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = Main.run(new String[]{"predict", "--model", model.toString(), "--data", "-", "--output", "class"},
                new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)),
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, status, e.toString(StandardCharsets.UTF_8));
        assertEquals(lines, parse(o.toString(StandardCharsets.UTF_8)));
    }

    /** Unquotes one-column CSV output. */
    private static List<String> parse(String out) {
        return out.lines().map(l -> l.startsWith("\"") ? l.substring(1, l.length() - 1).replace("\"\"", "\"") : l).toList();
    }

    @Test
    void probabilitiesHaveANamedHeaderAndSumToOne() {
        assertEquals(0, trained.status(), trained.err());
        CliRunner p = CliRunner.run("predict", "--model", model.toString(), "--data", test.toString());
        assertEquals(0, p.status(), p.err());
        List<String> lines = p.out().lines().toList();
        assertEquals("\"p_east, west\",p_north,p_south", lines.get(0));
        for (String l : lines.subList(1, lines.size())) {
            double sum = 0;
            for (String c : l.split(",")) sum += Double.parseDouble(c);
            assertEquals(1, sum, 1e-5, l);
        }
    }

    @Test
    void evaluateReadsTheColumnsFromTheModelAndAgreesWithTraining() throws IOException {
        assertEquals(0, trained.status(), trained.err());
        Path ej = dir.resolve("eval.json"), plot = dir.resolve("eval.png");
        CliRunner e = CliRunner.run("evaluate", "--model", model.toString(), "--data", test.toString(), "--json", ej.toString(), "--plot", plot.toString());
        assertEquals(0, e.status(), e.err());
        assertEquals(CliRunner.accuracy(trained.out()), CliRunner.accuracy(e.out()));
        assertTrue(Files.size(plot) > 1000);
        JsonObject j = JsonParser.parseString(Files.readString(ej)).getAsJsonObject();
        assertEquals("classification", j.get("task").getAsString());
    }

    /** The same rows with the columns in another order: label first, features reversed, the ID among them. */
    static Path reordered(Path from, String name) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var parser = org.apache.commons.csv.CSVFormat.RFC4180.parse(Files.newBufferedReader(from));
             var printer = new org.apache.commons.csv.CSVPrinter(sb, org.apache.commons.csv.CSVFormat.RFC4180.builder().setRecordSeparator("\n").build())) {
            for (var r : parser) printer.printRecord(r.get(4), r.get(3), r.get(0), r.get(2), r.get(1));
        }
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    @Test
    void columnsInAnotherOrderGiveTheInOrderResultEverywhere() throws IOException {
        assertEquals(0, trained.status(), trained.err());
        Path shuffled = reordered(test, "test-reordered.csv");
        // train --test: the same figures as with the file in order
        CliRunner t = CliRunner.run("train", "--data", train.toString(), "--test", shuffled.toString(), "--label", "species", "--ignore", "id",
                "--standardize", "--epochs", "40", "--lr", "0.01", "--device", "cpu", "--quiet");
        assertEquals(0, t.status(), t.err());
        assertEquals(CliRunner.accuracy(trained.out()), CliRunner.accuracy(t.out()));
        // evaluate through the command line, and through the library as a Java user reads a CSV
        CliRunner e = CliRunner.run("evaluate", "--model", model.toString(), "--data", shuffled.toString());
        assertEquals(0, e.status(), e.err());
        assertEquals(CliRunner.accuracy(trained.out()), CliRunner.accuracy(e.out()));
        dev.clprop.Model m = dev.clprop.Model.load(model);
        dev.clprop.data.CsvOptions opts = dev.clprop.data.CsvOptions.classification().label("species").ignore(List.of("id"));
        double inOrder = m.evaluate(dev.clprop.data.DataSources.csv(test, opts)).accuracy();
        double outOfOrder = m.evaluate(dev.clprop.data.DataSources.csv(shuffled, opts)).accuracy();
        assertEquals(CliRunner.accuracy(trained.out()) / 100, inOrder, 1e-9);
        assertEquals(inOrder, outOfOrder, 0.0, "columns are matched by name, not position");
        // a column the model does not know is named, not read by position
        Path renamed = Files.writeString(dir.resolve("renamed.csv"), Files.readString(test).replaceFirst("depth", "thickness"));
        var error = org.junit.jupiter.api.Assertions.assertThrows(dev.clprop.error.InvalidInputException.class,
                () -> m.evaluate(dev.clprop.data.DataSources.csv(renamed, opts)));
        assertTrue(error.getMessage().contains("'thickness' is not one of the model's"), error.getMessage());
        CliRunner r = CliRunner.run("train", "--data", train.toString(), "--test", renamed.toString(), "--label", "species", "--ignore", "id",
                "--epochs", "1", "--quiet");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("'thickness' is not one of " + train + "'s"), r.err());
    }

    @Test
    void anUnknownColumnAndAnUnseenClassAreOneLineErrors() throws IOException {
        assertEquals(0, trained.status(), trained.err());
        Path extra = Files.writeString(dir.resolve("extra.csv"), "id,\"width (cm)\",\"height (cm)\",depth,colour\nz1,1,2,3,red\n");
        CliRunner p = CliRunner.run("predict", "--model", model.toString(), "--data", extra.toString());
        assertEquals(2, p.status());
        assertEquals("clprop: " + extra + ": column 'colour' is not one the model was trained on (its features: width (cm), height (cm), depth); set it aside with --ignore colour",
                p.err().trim());
        assertEquals(0, CliRunner.run("predict", "--model", model.toString(), "--data", extra.toString(), "--ignore", "colour").status());

        Path odd = Files.writeString(dir.resolve("odd.csv"), HEADER + "c1,0,0,0,north\nc2,1,1,1,up\n");
        CliRunner t = CliRunner.run("train", "--data", train.toString(), "--test", odd.toString(), "--label", "species", "--ignore", "id", "--epochs", "1", "--quiet");
        assertEquals(2, t.status());
        assertEquals("clprop: " + odd + ":3: class 'up' is not one of the classes east, west, north, south", t.err().trim());
        CliRunner v = CliRunner.run("evaluate", "--model", model.toString(), "--data", odd.toString());
        assertEquals(2, v.status());
        assertTrue(v.err().startsWith("clprop: " + odd + ":3: class 'up'"), v.err());
    }

    @Test
    void regressionModelsNeedNoTargetsOptionToBeEvaluated() throws IOException {
        StringBuilder sb = new StringBuilder("x1,x2,y\n");
        Random rnd = new Random(3);
        for (int i = 0; i < 80; i++) {
            double a = rnd.nextDouble(), b = rnd.nextDouble();
            sb.append(String.format(Locale.ROOT, "%.4f,%.4f,%.4f%n", a, b, 2 * a - b));
        }
        Path f = Files.writeString(dir.resolve("reg.csv"), sb.toString());
        Path m = dir.resolve("reg.npz");
        CliRunner t = CliRunner.run("train", "--data", f.toString(), "--targets", "1", "--layers", "2,1:linear", "--optimizer", "sgd", "--lr", "0.1",
                "--epochs", "60", "--save", m.toString(), "--quiet");
        assertEquals(0, t.status(), t.err());
        CliRunner e = CliRunner.run("evaluate", "--model", m.toString(), "--data", f.toString());
        assertEquals(0, e.status(), e.err());
        Matcher r2 = Pattern.compile("(?m)^\\s*y\\s+\\S+\\s+\\S+\\s+\\S+\\s+([0-9.]+)").matcher(e.out());
        assertTrue(r2.find(), e.out());
        assertTrue(Double.parseDouble(r2.group(1)) > 0.99, e.out());
        CliRunner bad = CliRunner.run("evaluate", "--model", m.toString(), "--data", f.toString(), "--targets", "1");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--targets is only for models from clprop 0.1"), bad.err());
        CliRunner pc = CliRunner.run("predict", "--model", m.toString(), "--data", f.toString(), "--output", "class");
        assertEquals(2, pc.status());
        assertTrue(pc.err().contains("--output class applies to classifiers"), pc.err());
        CliRunner pv = CliRunner.run("predict", "--model", m.toString(), "--data", f.toString());
        assertEquals("y", pv.out().lines().findFirst().orElseThrow());
    }
}
