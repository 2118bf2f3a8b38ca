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
            Path out = dir.resolve("sweep-" + device.replace(':', '-'));
            CliRunner s = CliRunner.run("sweep", "--lr", "0.01,0.05", "--seed", "1,2", "--epochs", "2", "--optimizer", "momentum", "--device", device,
                    "--out", out.toString());
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
            assertTrue(Model.load(out.resolve("model-004.npz")).parameters().bitwiseEquals(Model.load(solo).parameters()),
                    "on " + device + " the sweep's model for lr 0.05, seed 2 is the solo run's, bit for bit");
            assertFalse(Model.load(out.resolve("model-003.npz")).parameters().bitwiseEquals(Model.load(solo).parameters()), "seed 1 is another model");
            assertTrue(Files.size(out.resolve("sweep.png")) > 0);
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
}
