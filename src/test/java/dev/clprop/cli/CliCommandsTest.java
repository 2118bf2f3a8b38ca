package dev.clprop.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.clprop.Model;
import dev.clprop.OpenClDevices;
import dev.clprop.bench.Tuner;
import dev.clprop.device.opencl.DeviceInfo;
import dev.clprop.device.opencl.GemmConfig;
import dev.clprop.device.opencl.TuningCache;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commands that the other CLI tests do not run (devices, import, tune, bench, --version) and the
 * way every command ends (Main's exit statuses), run in-process so that what they print and write is
 * checked where mutation testing sees it.
 */
class CliCommandsTest {
    @TempDir
    Path dir;
    String savedHome;

    @org.junit.jupiter.api.BeforeEach
    void privateTuningCache() {
        // tune writes ~/.cache/clprop/tuning.properties unless CLPROP_CACHE_DIR is set: a home of this test's own
        savedHome = System.getProperty("user.home");
        System.setProperty("user.home", dir.toString());
    }

    @org.junit.jupiter.api.AfterEach
    void restoreHome() {
        System.setProperty("user.home", savedHome);
    }

    // ---- how a command ends

    @Test
    void versionAndBareUsageGoToStandardOutput() {
        CliRunner v = CliRunner.run("--version");
        assertEquals(0, v.status(), v.err());
        String built = Main.class.getPackage().getImplementationVersion();
        assertEquals("clprop " + (built == null ? "(development build)" : built), v.out().strip());
        CliRunner u = CliRunner.run();
        assertEquals(0, u.status(), u.err());
        assertTrue(u.out().contains("Usage: clprop"), u.out());
        assertTrue(u.out().contains("train"), u.out());
    }

    @Test
    void aStandardOutputThatFailsEndsWithExit2AndSaysSo() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[]{"--version"}, new ByteArrayInputStream(new byte[0]), new PrintStream(broken, true),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Main.EXIT_USAGE, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("writing to standard output failed"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void outputWithoutANewlineIsFlushedBeforeTheCommandReturns() {
        // Main owns the writers and flushes them: a command's last print() without a newline must not be lost
        Path m = dir.resolve("m.npz");
        CliRunner t = CliRunner.run("train", "--device", "cpu", "--epochs", "1", "--save", m.toString());
        assertEquals(0, t.status(), t.err());
        // the detailed report ends with the confusion matrix, printed without a trailing println
        assertTrue(t.out().contains("confusion matrix (rows: true class, columns: predicted)"), t.out());
        assertTrue(t.out().stripTrailing().endsWith("saved " + m), t.out());
    }

    @Test
    void everyKindOfFailureEndsAsTheStatusItDeserves() {
        StringWriter text = new StringWriter();
        PrintWriter err = new PrintWriter(text, true);
        assertEquals(7, Main.statusOf(new Main.Stopped(7, "stopped here"), err));
        assertEquals(130, Main.statusOf(new Main.Stopped(130, null), err));
        assertEquals(Main.EXIT_USAGE, Main.statusOf(new dev.clprop.error.InvalidInputException("data.csv:3: not a number\nsecond line"), err));
        assertEquals(Main.EXIT_USAGE, Main.statusOf(new OutOfMemoryError("Java heap space"), err));
        String before = text.toString();
        assertEquals(List.of("clprop: stopped here", "clprop: data.csv:3: not a number", "clprop: " + Main.OUT_OF_MEMORY), before.lines().toList());
        // only a bug gets a stack trace, and exit 1
        assertEquals(1, Main.statusOf(new IllegalStateException("a bug"), err));
        String bug = text.toString().substring(before.length());
        assertTrue(bug.startsWith("clprop: internal error: java.lang.IllegalStateException: a bug"), bug);
        assertTrue(bug.contains("\tat dev.clprop.cli.CliCommandsTest"), bug);
    }

    @Test
    void aSettingIsNamedByItsOption() {
        StringWriter text = new StringWriter();
        Main.statusOf(new dev.clprop.error.InvalidSettingException("batchSize", "must be positive, got 0"), new PrintWriter(text, true));
        assertEquals("clprop: --batch must be positive, got 0", text.toString().strip());
    }

    @Test
    void libraryWarningsBecomeOneLineEach() {
        StringWriter text = new StringWriter();
        PrintWriter err = new PrintWriter(new java.io.BufferedWriter(text), false);
        Main.printLibraryWarnings(err);
        System.getLogger("dev.clprop").log(System.Logger.Level.WARNING, "no libjsig.so");
        System.getLogger("dev.clprop").log(System.Logger.Level.INFO, "not shown");
        for (var h : java.util.logging.Logger.getLogger("dev.clprop").getHandlers()) h.flush();
        assertEquals("clprop: warning: no libjsig.so", text.toString().strip());
    }

    // ---- devices

    @Test
    void devicesListsTheOpenClDeviceTheCpuPathAndSubDevices() {
        OpenClDevices.device();
        dev.clprop.DeviceDescription d = dev.clprop.Device.openClDevices().get(0);
        CliRunner r = CliRunner.run("devices");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("index"), r.out());
        String row = lines.stream().filter(l -> l.startsWith(d.id() + " ")).findFirst().orElseThrow(() -> new AssertionError(r.out()));
        assertTrue(row.contains(DevicesCommand.trim(d.name(), 40)), row);
        double gib = d.globalMemoryBytes() / (double) (1L << 30);
        assertTrue(row.contains(String.format(Locale.ROOT, "%7.1f GiB", gib)), row + " / " + gib);
        assertTrue(lines.contains("cpu       ejml (CPU reference path), always available"), r.out());
        assertTrue(d.maxSubDevices() >= 2, "PoCL and the GPUs' drivers split devices: " + d);
        assertTrue(r.out().contains(d.id() + " splits into up to " + d.maxSubDevices() + " sub-devices: --device " + d.id() + "/2"), r.out());
    }

    @Test
    void longNamesAreCutToTheirColumn() {
        assertEquals("abc", DevicesCommand.trim("abc", 3));
        assertEquals("ab…", DevicesCommand.trim("abcd", 3));
        assertEquals(3, DevicesCommand.trim("abcdefgh", 3).length());
    }

    // ---- import

    @Test
    void importTurnsAPyTorchStateDictBackIntoTheSameModel() throws IOException {
        Path m = dir.resolve("m.npz"), torch = dir.resolve("sd.npz"), back = dir.resolve("back.npz");
        assertEquals(0, CliRunner.run("train", "--device", "cpu", "--epochs", "2", "--save", m.toString(), "--quiet").status());
        assertEquals(0, CliRunner.run("export", "--model", m.toString(), "--torch-npz", torch.toString()).status());
        CliRunner i = CliRunner.run("import", "--weights", torch.toString(), "--layers", "64,128:relu,10:softmax", "--save", back.toString());
        assertEquals(0, i.status(), i.err());
        assertTrue(i.out().startsWith("wrote " + back + ": 64,128:relu,10:softmax (cross-entropy), from " + torch), i.out());
        Model a = Model.load(m), b = Model.load(back);
        assertEquals(a.architecture(), b.architecture());
        assertTrue(a.parameters().bitwiseEquals(b.parameters()), "the imported weights differ from the exported ones");
        // the predictions a user gets from the imported file are the original's
        CliRunner pa = CliRunner.run("predict", "--model", m.toString(), "--data", "digits", "--device", "cpu");
        CliRunner pb = CliRunner.run("predict", "--model", back.toString(), "--data", "digits", "--device", "cpu");
        assertEquals(0, pb.status(), pb.err());
        assertEquals(pa.out(), pb.out());

        CliRunner loss = CliRunner.run("import", "--weights", torch.toString(), "--layers", "64,128:relu,10:softmax", "--loss", "mse", "--save", dir.resolve("mse.npz").toString());
        assertEquals(0, loss.status(), loss.err());
        assertEquals("mse", Model.load(dir.resolve("mse.npz")).loss().toString());
    }

    @Test
    void importRefusesWeightsOfAnotherShapeAndWritesNothing() {
        Path m = dir.resolve("m.npz"), out = dir.resolve("out.npz");
        assertEquals(0, CliRunner.run("train", "--device", "cpu", "--epochs", "1", "--save", m.toString(), "--quiet").status());
        CliRunner i = CliRunner.run("import", "--weights", m.toString(), "--layers", "64,32:relu,10:softmax", "--save", out.toString());
        assertEquals(Main.EXIT_USAGE, i.status(), i.out());
        assertEquals(1, i.err().lines().count(), i.err());
        assertFalse(Files.exists(out));
        CliRunner same = CliRunner.run("import", "--weights", m.toString(), "--layers", "64,128:relu,10:softmax", "--save", m.toString());
        assertEquals(Main.EXIT_USAGE, same.status(), same.out());
    }

    // ---- tune

    @Test
    void tuneMeasuresCandidatesAndCachesTheBestThatMatchesEjml() throws IOException {
        DeviceInfo d = OpenClDevices.device();
        Path cache = TuningCache.file();
        assertTrue(cache.startsWith(dir), "the cache must be this test's own (CLPROP_CACHE_DIR set?): " + cache);
        {
            CliRunner r = CliRunner.run("tune", "--device", "opencl:" + d.index(), "--layers", "7,5:relu,3:softmax", "--batch", "4",
                    "--square", "17", "--reps", "1", "--quick");
            assertEquals(0, r.status(), r.err());
            int workloads = Tuner.workloads(new int[]{7, 5, 3}, 4, 17).size();
            assertTrue(workloads > Tuner.workloads(new int[]{7, 5, 3}, 4, 0).size());
            assertTrue(r.out().startsWith(String.format(Locale.ROOT, "tuning %s: 2 candidates, %d workloads (7,5:relu,3:softmax at batch 4, 17³)",
                    d.describe(), workloads)), r.out());
            Matcher best = Pattern.compile("best (\\S+): ([0-9.]+) ms for the workload \\(default (\\S+): ([0-9.]+) ms\\); cached in (.+)").matcher(r.out());
            assertTrue(best.find(), r.out());
            assertTrue(Double.parseDouble(best.group(2)) > 0 && Double.parseDouble(best.group(2)) < 60_000, best.group());
            assertTrue(Double.parseDouble(best.group(4)) >= Double.parseDouble(best.group(2)), best.group());
            assertEquals(GemmConfig.defaultFor(d).toString(), best.group(3));
            assertEquals(cache.toString(), best.group(5).strip());
            assertEquals(best.group(1), String.valueOf(TuningCache.lookup(d)));
        }
    }

    // ---- bench

    @Test
    void benchMeasuresEachSectionChecksEveryGemmAndWritesItsFiles() throws IOException {
        DeviceInfo d = OpenClDevices.device();
        Path out = dir.resolve("bench");
        String device = "opencl:" + d.index();
        CliRunner r = CliRunner.run("bench", "--device", device, "--layers", "7,5:relu,3:softmax", "--sizes", "17", "--batches", "1,4",
                "--rows", "16", "--reps", "1", "--warmup", "0", "--profile-batch", "4", "--optimizers", "sgd", "--data-parallel", device + "/2",
                "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        String text = r.out();
        assertTrue(text.contains("GEMM: GFLOP/s, median of 1 after 1 warm-up"), text);
        String cl = text.lines().filter(l -> l.contains(" forward ") && l.contains("    17     17     17")).findFirst().orElseThrow(() -> new AssertionError(text));
        assertFalse(cl.contains(" - "), "the GEMM failed its check against EJML: " + cl);
        // the square size and the network's three weight shapes at the profile batch, in each of three forms
        List<String> gemmRows = text.lines().filter(l -> l.matches("\\S+\\s+(forward|backward_data|weight_grad)\\s+\\d+.*")).toList();
        assertEquals(3 * 3, gemmRows.size(), text);
        assertTrue(gemmRows.stream().anyMatch(l -> l.matches(".*\\s4\\s+5\\s+7\\s.*")), text);
        assertTrue(text.contains("Kernels per training step on " + d.describe()), text);
        assertTrue(text.contains("total device time"), text);
        assertTrue(text.contains("Training 7,5:relu,3:softmax, 16 synthetic rows per epoch"), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("backend") && l.contains("batch 1") && l.contains("batch 4")), text);
        assertTrue(text.contains("Data-parallel training 7,5:relu,3:softmax on 2 devices (" + device + "/2)"), text);
        assertTrue(text.contains("sub-devices share one device's cores and memory"), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("sgd\\s+4\\s+\\d+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+%")), text);
        assertTrue(text.contains("wrote " + out.resolve("results.csv") + ", results.json, gemm.png, training.png"), text);

        List<CSVRecord> rows;
        try (Reader in = Files.newBufferedReader(out.resolve("results.csv"))) {
            rows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(in).getRecords();
        }
        assertEquals(9, rows.stream().filter(x -> x.get("section").equals("gemm")).count());
        assertTrue(rows.stream().filter(x -> x.get("section").equals("gemm")).allMatch(x -> Double.parseDouble(x.get("median")) > 0));
        assertEquals(2, rows.stream().filter(x -> x.get("section").equals("training")).count());
        assertEquals(3 * 2, rows.stream().filter(x -> x.get("section").equals("data-parallel")).count());
        assertTrue(rows.stream().anyMatch(x -> x.get("section").equals("kernels")));
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        assertTrue(json.getAsJsonObject("machine").get("command").getAsString().startsWith("clprop bench --device " + device), json.toString());
        assertTrue(Files.size(out.resolve("gemm.png")) > 0 && Files.size(out.resolve("training.png")) > 0);
    }

    @Test
    void benchOnTheCpuPathAloneNamesOnlyTheFilesItWrote() {
        Path out = dir.resolve("cpu");
        CliRunner r = CliRunner.run("bench", "--device", "cpu", "--only", "training", "--layers", "7,5:relu,3:softmax", "--batches", "2",
                "--rows", "8", "--reps", "1", "--optimizers", "adam", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("ejml adam ")), r.out());
        assertFalse(r.out().contains("GEMM"), r.out());
        assertTrue(r.out().contains("wrote " + out.resolve("results.csv") + ", results.json, training.png"), r.out());
        assertFalse(r.out().contains("gemm.png"), r.out());
        assertFalse(Files.exists(out.resolve("gemm.png")));
    }

    @Test
    void benchRefusesDataParallelOnOneDevice() {
        DeviceInfo d = OpenClDevices.device();
        CliRunner r = CliRunner.run("bench", "--device", "cpu", "--only", "training", "--layers", "7,3:softmax", "--batches", "2", "--rows", "8",
                "--reps", "1", "--data-parallel", "opencl:" + d.index(), "--out", dir.resolve("x").toString());
        assertEquals(Main.EXIT_USAGE, r.status(), r.out());
        assertTrue(r.err().contains("names one device; data parallelism needs two or more"), r.err());
        assertFalse(Files.exists(dir.resolve("x").resolve("results.csv")));
    }

    @Test
    void theCrossoverIsTheFirstBatchWhereTheDeviceIsFaster() {
        int[] batches = {1, 8, 32};
        assertEquals(8, BenchCommand.crossover(batches, new double[]{10, 10, 10}, new double[]{5, 11, 20}));
        assertEquals(1, BenchCommand.crossover(batches, new double[]{10, 10, 10}, new double[]{11, 1, 1}));
        assertNull(BenchCommand.crossover(batches, new double[]{10, 10, 10}, new double[]{10, 10, 10}), "equal is not faster");
        assertNull(BenchCommand.crossover(batches, new double[]{10, 10, 10}, new double[]{1, 2, 3}));
        assertNotNull(BenchCommand.crossover(new int[]{4}, new double[]{1}, new double[]{2}));
        assertEquals("[1, 8, 32]", Arrays.toString(batches));
    }

    @Test
    void backendsAreShownByTheirFirstWord() {
        try (dev.clprop.device.opencl.OpenClBackend b = OpenClDevices.backend()) {
            assertTrue(b.name().contains(" "), b.name());
            assertEquals(b.name().substring(0, b.name().indexOf(' ')), BenchCommand.shortName(b));
        }
    }

    // ---- what train reports

    /** y = 150 + 40·x1 − 25·x2 + noise: far from 0, so that without target scaling R² is negative after a short run. */
    private Path regressionCsv(String name, int rows, long seed) throws IOException {
        java.util.Random rng = new java.util.Random(seed);
        StringBuilder sb = new StringBuilder("x1,x2,y\n");
        for (int i = 0; i < rows; i++) {
            double a = rng.nextGaussian(), b = rng.nextGaussian();
            sb.append(String.format(Locale.ROOT, "%.5f,%.5f,%.4f%n", a, b, 150 + 40 * a - 25 * b + 5 * rng.nextGaussian()));
        }
        Path f = dir.resolve(name);
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void aRegressionWorseThanTheMeanIsWarnedAboutOnceWithTheLikelyCure() throws IOException {
        Path train = regressionCsv("train.csv", 300, 1), test = regressionCsv("test.csv", 100, 2);
        CliRunner raw = CliRunner.run("train", "--data", train.toString(), "--test", test.toString(), "--targets", "1", "--layers", "2,8:tanh,1:linear",
                "--epochs", "3", "--device", "cpu", "--quiet");
        assertEquals(0, raw.status(), raw.err());
        List<String> warnings = raw.err().lines().filter(l -> l.startsWith("clprop: warning: R² is ")).toList();
        assertEquals(1, warnings.size(), raw.err());
        assertTrue(warnings.get(0).contains("on the test rows") && warnings.get(0).endsWith("try --standardize-targets (and --standardize)"), warnings.get(0));
        assertTrue(raw.out().contains("test MSE "), raw.out());

        CliRunner scaled = CliRunner.run("train", "--data", train.toString(), "--test", test.toString(), "--targets", "1", "--layers", "2,8:tanh,1:linear",
                "--epochs", "40", "--standardize-targets", "--device", "cpu", "--quiet");
        assertEquals(0, scaled.status(), scaled.err());
        assertFalse(scaled.err().contains("R²"), scaled.err());

        CliRunner classifier = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--quiet");
        assertEquals(0, classifier.status(), classifier.err());
        assertFalse(classifier.err().contains("R²"), classifier.err());
    }

    @Test
    void trainNamesEveryFileItWroteAndTheFolderHoldsThem() throws IOException {
        Path out = dir.resolve("run"), json = dir.resolve("r.json"), save = dir.resolve("m.npz");
        CliRunner r = CliRunner.run("train", "--epochs", "2", "--device", "cpu", "--out", out.toString(), "--json", json.toString(), "--save", save.toString(), "--quiet");
        assertEquals(0, r.status(), r.err());
        List<String> tail = r.out().lines().toList();
        int n = tail.size();
        assertEquals("saved " + save, tail.get(n - 3), r.out());
        assertEquals("wrote " + json, tail.get(n - 2), r.out());
        assertEquals("outputs in " + out + ": model.npz, checkpoint.npz, metrics.csv, loss.png, confusion.png", tail.get(n - 1), r.out());
        for (String f : List.of("model.npz", "checkpoint.npz", "metrics.csv", "loss.png", "confusion.png")) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        JsonObject j = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("train", j.get("command").getAsString());
        assertEquals("completed", j.get("outcome").getAsString());
        assertEquals(2, j.getAsJsonArray("history").size());
        assertEquals("test", j.getAsJsonObject("evaluation").get("set").getAsString());
        assertEquals(2, j.getAsJsonObject("options").get("--epochs").getAsInt());
        // quiet: the brief report only
        assertFalse(r.out().contains("confusion matrix"), r.out());

        Path reg = regressionCsv("reg.csv", 60, 3), regOut = dir.resolve("reg");
        CliRunner rr = CliRunner.run("train", "--data", reg.toString(), "--targets", "1", "--layers", "2,4:tanh,1:linear", "--epochs", "1",
                "--device", "cpu", "--out", regOut.toString(), "--quiet");
        assertEquals(0, rr.status(), rr.err());
        assertTrue(rr.out().contains("outputs in " + regOut + ": model.npz, checkpoint.npz, metrics.csv, loss.png\n"), rr.out());
        assertFalse(Files.exists(regOut.resolve("confusion.png")), "a regression has no confusion matrix");
        assertTrue(rr.out().contains("training MSE"), "no test file: the report is on the training rows: " + rr.out());
    }

    @Test
    void earlyStoppingSaysWhyTheRunEnded() {
        CliRunner r = CliRunner.run("train", "--epochs", "200", "--early-stop", "1", "--lr", "0.5", "--device", "cpu");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("stopped early")), r.out());
    }

    @Test
    void classWeightsAreNumbersOrBalanced() {
        CliRunner bad = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--class-weights", "1,2,x,1,1,1,1,1,1,1", "--quiet");
        assertEquals(Main.EXIT_USAGE, bad.status());
        assertEquals("clprop: --class-weights 'x' is not a number (expected w0,w1,... or balanced)", bad.err().strip());
        CliRunner given = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--class-weights", "1,1,1,1,1,1,1,1,1,1", "--quiet");
        CliRunner plain = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--quiet");
        assertEquals(0, given.status(), given.err());
        assertEquals(plain.out(), given.out(), "weights of 1 are no weights");
        CliRunner heavy = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--class-weights", "9,1,1,1,1,1,1,1,1,1", "--quiet");
        assertFalse(plain.out().equals(heavy.out()), "class 0 weighted 9 changes the model");
        CliRunner balanced = CliRunner.run("train", "--epochs", "1", "--device", "cpu", "--class-weights", " Balanced ", "--quiet");
        assertEquals(0, balanced.status(), balanced.err());
    }

    @Test
    void aMistypedOptionPointsToTheRightHelp() {
        CliRunner top = CliRunner.run("--bogus");
        assertEquals(Main.EXIT_USAGE, top.status());
        assertTrue(top.err().strip().endsWith("(see 'clprop --help')"), top.err());
        CliRunner sub = CliRunner.run("train", "--bogus");
        assertEquals(Main.EXIT_USAGE, sub.status());
        assertTrue(sub.err().strip().endsWith("(see 'clprop train --help')"), sub.err());
    }

    @Test
    void benchAcceptsEveryBoundaryValueAndRefusesOneBeyond() {
        String[] base = {"bench", "--device", "cpu", "--only", "training", "--layers", "7,3:softmax", "--optimizers", "sgd", "--reps", "1"};
        java.util.function.Function<String[], CliRunner> bench = extra -> {
            String[] a = Arrays.copyOf(base, base.length + extra.length + 2);
            System.arraycopy(extra, 0, a, base.length, extra.length);
            a[a.length - 2] = "--out";
            a[a.length - 1] = dir.resolve("b" + Arrays.hashCode(extra)).toString();
            return CliRunner.run(a);
        };
        // the smallest and largest values each option allows (sizes are checked even when the GEMM section does not run)
        CliRunner edge = bench.apply(new String[]{"--sizes", "1,8192", "--batches", "1,4", "--rows", "4", "--warmup", "0", "--profile-batch", "4"});
        assertEquals(0, edge.status(), edge.err());
        assertTrue(edge.out().contains("Training 7,3:softmax, 4 synthetic rows per epoch: samples/s, median of 1 epochs"), edge.out());
        String[][] bad = {{"--sizes", "8193"}, {"--sizes", "0"}, {"--batches", "5", "--rows", "4"}, {"--batches", "0"}, {"--rows", "0"},
                {"--warmup", "-1"}, {"--only", "training,bogus"}};
        String[] why = {"--sizes 8193: a GEMM size must be in 1..8192", "--sizes 0: a GEMM size must be in 1..8192",
                "--batches 5: a batch must be in 1..--rows (4)", "--batches 0: a batch must be in 1..--rows (8192)",
                "--reps and --rows must be positive, --warmup >= 0", "--reps and --rows must be positive, --warmup >= 0",
                "--only: unknown section 'bogus' (gemm, kernels, training)"};
        for (int i = 0; i < bad.length; i++) {
            CliRunner r = bench.apply(bad[i]);
            assertEquals(Main.EXIT_USAGE, r.status(), String.join(" ", bad[i]) + ": " + r.out());
            assertEquals("clprop: " + why[i], r.err().strip());
        }
        // the profile batch matters where the kernels or the GEMMs are measured
        String[] profiled = {"bench", "--device", "cpu", "--only", "gemm", "--sizes", "1", "--layers", "7,3:softmax", "--reps", "1", "--rows", "4"};
        CliRunner reps = CliRunner.run(concat(profiled, "--reps", "0", "--out", dir.resolve("r0").toString()));
        assertEquals("clprop: option '--reps' (N) should be specified only once (see 'clprop bench --help')", reps.err().strip(), "a repeated option");
        CliRunner noReps = CliRunner.run("bench", "--device", "cpu", "--only", "gemm", "--sizes", "1", "--reps", "0", "--out", dir.resolve("r1").toString());
        assertEquals("clprop: --reps and --rows must be positive, --warmup >= 0", noReps.err().strip());
        CliRunner at = CliRunner.run(concat(profiled, "--profile-batch", "4", "--out", dir.resolve("p4").toString()));
        assertEquals(0, at.status(), at.err());
        CliRunner beyond = CliRunner.run(concat(profiled, "--profile-batch", "5", "--out", dir.resolve("p5").toString()));
        assertEquals(Main.EXIT_USAGE, beyond.status(), beyond.out());
        assertTrue(beyond.err().contains("--profile-batch 5: must be in 1..--rows (4)"), beyond.err());
        CliRunner zero = CliRunner.run(concat(profiled, "--profile-batch", "0", "--out", dir.resolve("p0").toString()));
        assertEquals("clprop: --profile-batch 0: must be in 1..--rows (4)", zero.err().strip());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void quickBenchUsesSmallSizesUnlessGivenOthers() throws IOException {
        Path out = dir.resolve("quick");
        CliRunner q = CliRunner.run("bench", "--quick", "--device", "cpu", "--only", "training", "--layers", "7,3:softmax", "--optimizers", "sgd",
                "--out", out.toString());
        assertEquals(0, q.status(), q.err());
        assertTrue(q.out().contains("Training 7,3:softmax, 1024 synthetic rows per epoch: samples/s, median of 2 epochs"), q.out());
        assertTrue(q.out().lines().anyMatch(l -> l.startsWith("backend") && l.contains("batch 16") && l.contains("batch 128")), q.out());
        CliRunner given = CliRunner.run("bench", "--quick", "--device", "cpu", "--only", "training", "--layers", "7,3:softmax", "--optimizers", "sgd",
                "--batches", "4", "--rows", "64", "--reps", "1", "--out", dir.resolve("given").toString());
        assertEquals(0, given.status(), given.err());
        assertTrue(given.out().contains("Training 7,3:softmax, 64 synthetic rows per epoch: samples/s, median of 1 epochs"), given.out());
        assertTrue(given.out().lines().anyMatch(l -> l.startsWith("backend") && l.contains("batch 4") && !l.contains("batch 16")), given.out());
    }

    @Test
    void tuneWithoutASquareGemmAndItsLimits() {
        DeviceInfo d = OpenClDevices.device();
        assertTrue(TuningCache.file().startsWith(dir), "the cache must be this test's own (CLPROP_CACHE_DIR set?): " + TuningCache.file());
        {
            CliRunner r = CliRunner.run("tune", "--device", "opencl:" + d.index(), "--layers", "7,3:softmax", "--batch", "1", "--square", "0", "--reps", "1", "--quick");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("(7,3:softmax at batch 1)"), r.out());
            // the search reports each candidate between the first line and the last
            assertTrue(r.out().lines().count() > 2, r.out());
        }
        for (String[] bad : new String[][]{{"--batch", "0"}, {"--reps", "0"}, {"--square", "-1"}}) {
            CliRunner r = CliRunner.run(concat(new String[]{"tune", "--device", "opencl:" + d.index(), "--quick"}, bad));
            assertEquals(Main.EXIT_USAGE, r.status(), String.join(" ", bad) + ": " + r.out());
            assertEquals("clprop: --batch and --reps must be positive, --square >= 0", r.err().strip());
        }
        CliRunner big = CliRunner.run("tune", "--device", "opencl:" + d.index(), "--quick", "--square", "8193");
        assertEquals("clprop: --square 8193: at most 8192", big.err().strip());
    }

    @Test
    void aTwoClassFileTrainsAClassifierOfItsOwn() throws IOException {
        StringBuilder sb = new StringBuilder("a,b,label\n");
        java.util.Random rng = new java.util.Random(5);
        for (int i = 0; i < 60; i++) {
            double a = rng.nextGaussian(), b = rng.nextGaussian();
            sb.append(String.format(Locale.ROOT, "%.4f,%.4f,%s%n", a, b, a + b > 0 ? "yes" : "no"));
        }
        Path f = dir.resolve("two.csv");
        Files.writeString(f, sb);
        CliRunner r = CliRunner.run("train", "--data", f.toString(), "--epochs", "30", "--device", "cpu", "--quiet");
        assertEquals(0, r.status(), r.err());
        assertTrue(CliRunner.accuracy(r.out()) > 80, r.out());
    }

    @Test
    void exportToPyTorchSaysWhenTheInputsMustBeStandardizedFirst() {
        Path m = dir.resolve("s.npz"), t = dir.resolve("t.npz");
        assertEquals(0, CliRunner.run("train", "--device", "cpu", "--epochs", "1", "--standardize", "--save", m.toString(), "--quiet").status());
        CliRunner e = CliRunner.run("export", "--model", m.toString(), "--torch-npz", t.toString());
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("note: the model standardizes its inputs; apply (x - input_shift) / input_scale from " + m + " first"), e.out());
    }

    @Test
    void exportNamesTheFileSizeItWrote() throws IOException {
        Path m = dir.resolve("m.npz"), onnx = dir.resolve("m.onnx");
        assertEquals(0, CliRunner.run("train", "--device", "cpu", "--epochs", "1", "--save", m.toString(), "--quiet").status());
        CliRunner e = CliRunner.run("export", "--model", m.toString(), "--onnx", onnx.toString());
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains(String.format("ONNX opset 13, %,d bytes", Files.size(onnx))), e.out());
        assertEquals(1, e.out().lines().count(), "only the ONNX file was asked for: " + e.out());
    }

    @Test
    void evaluateReportsWhatItWroteAndRefusesAPlotOfARegression() throws IOException {
        Path m = dir.resolve("m.npz"), json = dir.resolve("e.json"), plot = dir.resolve("e.png");
        assertEquals(0, CliRunner.run("train", "--device", "cpu", "--epochs", "1", "--save", m.toString(), "--quiet").status());
        CliRunner e = CliRunner.run("evaluate", "--model", m.toString(), "--data", "digits", "--json", json.toString(), "--plot", plot.toString(), "--device", "cpu");
        assertEquals(0, e.status(), e.err());
        List<String> lines = e.out().lines().toList();
        assertEquals("wrote " + json, lines.get(lines.size() - 2));
        assertEquals("wrote " + plot, lines.get(lines.size() - 1));
        assertTrue(lines.get(0).startsWith("model " + m + " (64,128:relu,10:softmax), data digits"), lines.get(0));
        JsonObject j = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(m.toString(), j.get("model").getAsString());
        assertTrue(Files.size(plot) > 0);
        CliRunner plain = CliRunner.run("evaluate", "--model", m.toString(), "--data", "digits", "--device", "cpu");
        assertEquals(0, plain.status(), plain.err());
        assertFalse(plain.out().contains("wrote"), plain.out());
        assertFalse(Files.exists(dir.resolve("digits")), "the bundled set is no file to plan around");

        Path reg = regressionCsv("reg.csv", 40, 7), rm = dir.resolve("r.npz");
        assertEquals(0, CliRunner.run("train", "--data", reg.toString(), "--targets", "1", "--layers", "2,4:tanh,1:linear", "--epochs", "1",
                "--device", "cpu", "--save", rm.toString(), "--quiet").status());
        CliRunner noPlot = CliRunner.run("evaluate", "--model", rm.toString(), "--data", reg.toString(), "--plot", dir.resolve("r.png").toString(), "--device", "cpu");
        assertEquals(Main.EXIT_USAGE, noPlot.status());
        assertTrue(noPlot.err().contains("--plot draws a confusion matrix; this is a regression model"), noPlot.err());
        CliRunner columns = CliRunner.run("evaluate", "--model", m.toString(), "--data", "digits", "--label", "x", "--device", "cpu");
        assertEquals(Main.EXIT_USAGE, columns.status());
        assertTrue(columns.err().contains("--label, --ignore and --targets apply to CSV data, not digits"), columns.err());
        CliRunner predictColumns = CliRunner.run("predict", "--model", m.toString(), "--data", "digits", "--ignore", "x", "--device", "cpu");
        assertEquals(Main.EXIT_USAGE, predictColumns.status());
        assertTrue(predictColumns.err().contains("--label, --ignore and --targets apply to CSV data, not digits"), predictColumns.err());
        // --targets is for clprop 0.1's files, which did not record their task
        CliRunner targets = CliRunner.run("evaluate", "--model", rm.toString(), "--data", reg.toString(), "--targets", "1", "--device", "cpu");
        assertEquals(Main.EXIT_USAGE, targets.status());
        assertTrue(targets.err().contains("--targets is only for models from clprop 0.1; this model records that it is a regression model"), targets.err());
    }

    @Test
    void targetsOnAClprop01ModelMustMatchItsOutputs() throws Exception {
        Path legacy = Path.of(CliCommandsTest.class.getResource("/legacy-0.1/adam-final.npz").toURI());
        Path iris = Path.of(CliCommandsTest.class.getResource("/iris.csv").toURI());
        CliRunner wrong = CliRunner.run("predict", "--model", legacy.toString(), "--data", iris.toString(), "--targets", "2", "--device", "cpu");
        assertEquals(Main.EXIT_USAGE, wrong.status(), wrong.out());
        assertEquals("clprop: --targets is 2 but the model has 3 outputs", wrong.err().strip());
        CliRunner plain = CliRunner.run("predict", "--model", legacy.toString(), "--data", iris.toString(), "--device", "cpu");
        assertEquals(0, plain.status(), plain.err());
        assertEquals(151, plain.out().lines().count(), "a header and 150 rows");
    }

    @Test
    void sparkSettingsWithoutSparkAreRefused() {
        CliRunner r = CliRunner.run("train", "--spark-sync", "5", "--device", "cpu", "--epochs", "1");
        assertEquals(Main.EXIT_USAGE, r.status(), r.out());
        assertEquals("clprop: --spark-sync applies to training on Spark only (give --spark MASTER)", r.err().strip());
        CliRunner p = CliRunner.run("train", "--spark-partitions", "2", "--device", "cpu", "--epochs", "1");
        assertEquals("clprop: --spark-partitions applies to training on Spark only (give --spark MASTER)", p.err().strip());
    }
}
