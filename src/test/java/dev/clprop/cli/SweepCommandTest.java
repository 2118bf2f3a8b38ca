package dev.clprop.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** clprop sweep: the cross product of settings, each model its solo train run's, tabulated and charted. */
class SweepCommandTest {
    @TempDir
    Path dir;

    static List<CSVRecord> csv(Path f) throws IOException {
        try (Reader in = Files.newBufferedReader(f)) {
            return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(in).getRecords();
        }
    }

    @Test
    void eachModelOfTheSweepIsItsSoloTrainRun() throws IOException {
        for (String device : List.of("cpu", "opencl:" + OpenClDevices.device().index())) {
          for (boolean sequential : new boolean[]{false, true}) {
            Path out = dir.resolve("sweep-" + device.replace(':', '-') + sequential);
            List<String> args = new java.util.ArrayList<>(List.of("sweep", "--lr", "0.01,0.05", "--seed", "1,2", "--epochs", "2", "--optimizer", "momentum",
                    "--device", device, "--out", out.toString()));
            if (sequential) args.add("--sequential");
            CliRunner s = CliRunner.run(args.toArray(String[]::new));
            assertEquals(0, s.status(), s.err());
            assertTrue(s.out().startsWith("sweep: 4 models"), s.out());
            List<CSVRecord> rows = csv(out.resolve("sweep.csv"));
            assertEquals(4, rows.size());
            assertEquals(SweepCommand.COLUMNS, rows.get(0).getParser().getHeaderNames());
            // seeds vary fastest: model 4 is lr 0.05, seed 2
            assertEquals("model-004.npz", rows.get(3).get("model"));
            assertEquals("0.05", rows.get(3).get("lr"));
            assertEquals("2", rows.get(3).get("seed"));
            assertEquals("0.9", rows.get(3).get("momentum"));
            for (CSVRecord r : rows) {
                double acc = Double.parseDouble(r.get("val_accuracy"));
                assertTrue(acc > 0.5 && acc <= 1, "digits after 2 epochs: " + r);
                assertEquals("2", r.get("epochs"));
            }
            Path solo = dir.resolve("solo-" + device.replace(':', '-') + ".npz");
            CliRunner t = CliRunner.run("train", "--lr", "0.05", "--seed", "2", "--epochs", "2", "--optimizer", "momentum", "--device", device,
                    "--save", solo.toString(), "--quiet");
            assertEquals(0, t.status(), t.err());
            var swept = Model.load(out.resolve("model-004.npz")).parameters();
            var alone = Model.load(solo).parameters();
            if (sequential) {
                assertTrue(swept.bitwiseEquals(alone), "on " + device + " the sequential sweep's model for lr 0.05, seed 2 is the solo run's, bit for bit");
            } else {
                assertTrue(s.out().contains("trained together"), s.out());
                for (var shape : swept.architecture().parameterShapes()) {
                    var rep = new dev.clprop.device.Tolerance(1e-4, 1e-4).compare(swept.get(shape.name()), alone.get(shape.name()));
                    assertTrue(rep.ok(), "on " + device + " the model trained together for lr 0.05, seed 2 is the solo run's: " + shape.name() + " " + rep.describe());
                }
            }
            assertFalse(Model.load(out.resolve("model-003.npz")).parameters().bitwiseEquals(alone), "seed 1 is another model");
            assertTrue(Files.size(out.resolve("sweep.png")) > 0);
          }
        }
    }

    @Test
    void dropoutSetsEveryDropoutLayerAndTheJsonHasEachModelsHistory() throws IOException {
        Path out = dir.resolve("d"), json = dir.resolve("d.json");
        CliRunner s = CliRunner.run("sweep", "--layers", "64,32:relu,dropout:0.1,16:relu,dropout:0.1,10:softmax", "--dropout", "0,0.5",
                "--epochs", "1", "--device", "cpu", "--out", out.toString(), "--json", json.toString());
        assertEquals(0, s.status(), s.err());
        assertEquals("64,32:relu,dropout:0.0,16:relu,dropout:0.0,10:softmax", Model.load(out.resolve("model-001.npz")).architecture().spelling());
        assertEquals("64,32:relu,dropout:0.5,16:relu,dropout:0.5,10:softmax", Model.load(out.resolve("model-002.npz")).architecture().spelling());
        assertEquals("0.5", csv(out.resolve("sweep.csv")).get(1).get("dropout"));
        JsonObject j = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("sweep", j.get("command").getAsString());
        assertEquals(2, j.getAsJsonArray("models").size());
        assertEquals(1, j.getAsJsonArray("models").get(1).getAsJsonObject().getAsJsonArray("history").size());
        assertTrue(s.out().contains("best: model-00"), s.out());
    }

    @Test
    void whatTheSweepCannotDoIsRefusedBeforeAnyModelTrains() {
        String[][] bad = {
                {"sweep", "--lr", "0.1", "--save", "x.npz", "--out", dir.resolve("a").toString()},
                {"sweep", "--dropout", "0.2", "--out", dir.resolve("b").toString()},
                {"sweep", "--dropout", "0.2", "--layers", "64,10:softmax", "--out", dir.resolve("c").toString()},
                {"sweep", "--lr", "0.1", "--epochs", "x", "--out", dir.resolve("d").toString()},
                {"sweep", "--lr", "0.1", "--bogus", "--out", dir.resolve("e").toString()}};
        String[] why = {"--save is the sweep's to set", "--dropout sets the probability of the dropout layers in --layers, and no --layers is given",
                "'64,10:softmax' has none", "--epochs", "Unknown option: '--bogus'"};
        for (int i = 0; i < bad.length; i++) {
            CliRunner r = CliRunner.run(bad[i]);
            assertEquals(Main.EXIT_USAGE, r.status(), String.join(" ", bad[i]) + ": " + r.out());
            assertTrue(r.err().contains(why[i]), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertFalse(Files.exists(dir.resolve(new String[]{"a", "b", "c", "d", "e"}[i])), "nothing written");
        }
    }

    @Test
    void aModelThatFailsStopsTheSweepAndLeavesTheFolderAsItWas() throws IOException {
        Path out = dir.resolve("f");
        Files.createDirectories(out);
        Files.writeString(out.resolve("sweep.csv"), "earlier\n");
        // lr 1e30 diverges at once: the second model fails
        CliRunner r = CliRunner.run("sweep", "--lr", "0.01,1e30", "--epochs", "1", "--device", "cpu", "--out", out.toString());
        assertEquals(Main.EXIT_USAGE, r.status(), r.out());
        assertTrue(r.err().contains("model 2 of 2 (lr 1.0E30) failed"), r.err());
        assertEquals("earlier\n", Files.readString(out.resolve("sweep.csv")));
        assertFalse(Files.exists(out.resolve("model-001.npz")), "no model reaches the folder unless the whole sweep does");
    }

    @Test
    void eachModelGetsALineAndTheBestIsTheLowestValidationLoss() throws IOException {
        Path out = dir.resolve("lines");
        CliRunner s = CliRunner.run("sweep", "--lr", "0.001,0.05", "--epochs", "2", "--device", "cpu", "--out", out.toString());
        assertEquals(0, s.status(), s.err());
        List<String> lines = s.out().lines().toList();
        assertEquals("sweep: 2 models, trained together", lines.get(0));
        assertEquals("device: ejml (CPU reference path), as asked", lines.get(1));
        lines = lines.subList(1, lines.size());
        java.util.regex.Pattern row = java.util.regex.Pattern.compile(
                "  (model-00[12]\\.npz)  lr [0-9.]+ +train loss ([0-9.]+)  val loss ([0-9.]+)  val acc ([0-9.]+)%");
        List<CSVRecord> rows = csv(out.resolve("sweep.csv"));
        for (int k = 0; k < 2; k++) {
            java.util.regex.Matcher m = row.matcher(lines.get(1 + k));
            assertTrue(m.matches(), lines.get(1 + k));
            assertEquals(Double.parseDouble(rows.get(k).get("val_loss")), Double.parseDouble(m.group(3)), 1e-6);
            assertEquals(100 * Double.parseDouble(rows.get(k).get("val_accuracy")), Double.parseDouble(m.group(4)), 0.006);
        }
        int best = Double.parseDouble(rows.get(0).get("val_loss")) < Double.parseDouble(rows.get(1).get("val_loss")) ? 0 : 1;
        assertTrue(lines.get(3).matches("trained 2 models in [0-9.]+ s \\(together\\)"), lines.get(3));
        assertTrue(lines.get(4).startsWith("best: " + rows.get(best).get("model") + " (lr "), lines.get(4));
        assertTrue(lines.get(4).contains("validation loss " + String.format(java.util.Locale.ROOT, "%.6f", Double.parseDouble(rows.get(best).get("val_loss")))), lines.get(4));
        assertEquals("wrote " + out.resolve("sweep.csv") + ", sweep.png and 2 models", lines.get(5));
    }

    @Test
    void withoutValidationRowsTheTableAndChartUseTheTrainingLoss() throws IOException {
        StringBuilder sb = new StringBuilder("x,y\n");
        for (int i = 0; i < 40; i++) sb.append(i / 40.0).append(',').append(2 * i / 40.0 + 1).append('\n');
        Path data = Files.writeString(dir.resolve("line.csv"), sb);
        Path out = dir.resolve("reg");
        CliRunner s = CliRunner.run("sweep", "--data", data.toString(), "--targets", "1", "--layers", "1,4:tanh,1:linear", "--loss", "mse",
                "--seed", "1,2", "--epochs", "2", "--device", "cpu", "--out", out.toString());
        assertEquals(0, s.status(), s.err());
        CSVRecord r = csv(out.resolve("sweep.csv")).get(0);
        assertEquals("", r.get("val_loss"));
        assertEquals("", r.get("val_accuracy"));
        assertTrue(Double.parseDouble(r.get("train_loss")) > 0);
        assertTrue(s.out().contains("val loss -  val acc -"), s.out());
        assertTrue(s.out().contains("), training loss "), s.out());
    }

    @Test
    void theChartShowsValidationLossWhenEveryRunHasIt() {
        JsonObject withVal = JsonParser.parseString("{\"history\": [{\"epoch\": 1, \"train_loss\": 0.9, \"val_loss\": 0.8}, "
                + "{\"epoch\": 2, \"train_loss\": 0.5, \"val_loss\": 0.4}]}").getAsJsonObject();
        JsonObject without = JsonParser.parseString("{\"history\": [{\"epoch\": 1, \"train_loss\": 0.9, \"val_loss\": \"NaN\"}]}").getAsJsonObject();
        SweepCommand.Setting a = new SweepCommand.Setting(0.1f, 1L, null, null, null);
        var both = SweepCommand.chart(List.of(new SweepCommand.Result(1, a, "model-001.npz", withVal), new SweepCommand.Result(2, a, "model-002.npz", withVal)));
        assertEquals("validation loss", both.getStyler() == null ? null : both.getYAxisTitle());
        assertEquals(List.of("model-001 (lr 0.1, seed 1)", "model-002 (lr 0.1, seed 1)"), new java.util.ArrayList<>(both.getSeriesMap().keySet()));
        assertEquals(0.4, both.getSeriesMap().get("model-001 (lr 0.1, seed 1)").getYData()[1], 1e-12);
        var mixed = SweepCommand.chart(List.of(new SweepCommand.Result(1, a, "model-001.npz", withVal), new SweepCommand.Result(2, a, "model-002.npz", without)));
        assertEquals("training loss", mixed.getYAxisTitle());
        assertEquals(0.5, mixed.getSeriesMap().get("model-001 (lr 0.1, seed 1)").getYData()[1], 1e-12);
        assertEquals("train's settings", SweepCommand.describe(new SweepCommand.Setting(null, null, null, null, null)));
        assertEquals("weight decay 0.01, momentum 0.5, dropout 0.2", SweepCommand.describe(new SweepCommand.Setting(null, null, 0.01f, 0.5f, 0.2f)));
    }

    @Test
    void aSweepOfMoreThanAThousandModelsIsRefused() {
        StringBuilder lrs = new StringBuilder(), seeds = new StringBuilder();
        for (int i = 1; i <= 11; i++) lrs.append(i == 1 ? "" : ",").append(0.001 * i);
        for (int i = 1; i <= 100; i++) seeds.append(i == 1 ? "" : ",").append(i);
        CliRunner r = CliRunner.run("sweep", "--lr", lrs.toString(), "--seed", seeds.toString(), "--out", dir.resolve("many").toString());
        assertEquals(Main.EXIT_USAGE, r.status());
        assertEquals("clprop: sweep would train 1100 models, more than the limit of 1000", r.err().strip());
        CliRunner exactly = CliRunner.run("sweep", "--lr", lrs.toString(), "--seed", seeds.substring(0, seeds.lastIndexOf(",91")), "--epochs", "x",
                "--out", dir.resolve("many").toString());
        assertTrue(exactly.err().contains("--epochs"), "990 models pass the limit and reach train's own checks: " + exactly.err());
    }

    @Test
    void aFailingModelSaysWhyInOneLineAndNoTemporaryFilesStay() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before;
        try (var l = Files.list(tmp)) {
            before = l.filter(p -> p.getFileName().toString().startsWith("clprop-sweep")).count();
        }
        CliRunner r = CliRunner.run("sweep", "--lr", "1e30", "--epochs", "1", "--device", "cpu", "--out", dir.resolve("g").toString());
        List<String> err = r.err().lines().toList();
        assertEquals(1, err.size(), r.err());
        assertEquals("clprop: model 1 of 1 (lr 1.0E30) failed: training diverged in epoch 1 (loss NaN); try a smaller learning rate;"
                + " the sweep stops, and DIR is left as it was", err.get(0));
        try (var l = Files.list(tmp)) {
            assertEquals(before, l.filter(p -> p.getFileName().toString().startsWith("clprop-sweep")).count(), "the per-model reports are deleted");
        }
    }
}
