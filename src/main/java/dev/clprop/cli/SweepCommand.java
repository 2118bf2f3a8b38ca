package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.Sweep;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.DataSources;
import dev.clprop.data.DataSplit;
import dev.clprop.data.Dataset;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Architecture;
import dev.clprop.train.Cancellation;
import dev.clprop.train.Outcome;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.error.Quote;
import dev.clprop.io.AtomicFiles;
import dev.clprop.io.OutputPlan;
import dev.clprop.optim.Optimizer;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains one model per combination of the listed settings (the cross product of --lr, --seed,",
                "--weight-decay, --momentum and --dropout), each as 'clprop train' trains it with that setting, and",
                "tabulates them. Every other option is train's and applies to every model.",
                "The models train together, one launch per op for all of them (up to " + Sweep.MAX_TOGETHER + " at a time); what cannot",
                "(layer kinds other than dense and dropout, --verify-every) trains one model after another, as",
                "--sequential does, and the sweep says why.",
                "Writes DIR/model-NNN.npz per model, DIR/sweep.csv (one row per model) and DIR/sweep.png (the loss curves)."},
        footer = {"", "Examples:",
                "  clprop sweep --lr 0.001,0.003,0.01 --seed 1,2 --optimizer adam --epochs 10 --out sweeps/digits",
                "  clprop sweep --data iris.csv --label species --layers 4,16:relu,dropout:0.1,3:softmax --dropout 0,0.2,0.4 --out sweeps/iris"})
public final class SweepCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--lr", split = ",", paramLabel = "F,...", description = "Learning rates to try (default: the optimizer's)")
    List<Float> lrs;

    @Option(names = "--seed", split = ",", paramLabel = "N,...", description = "Seeds to try (default: train's)")
    List<Long> seeds;

    @Option(names = "--weight-decay", split = ",", paramLabel = "F,...", description = "Weight decays to try (default: the optimizer's)")
    List<Float> weightDecays;

    @Option(names = "--momentum", split = ",", paramLabel = "F,...", description = "Momenta to try, for --optimizer momentum (default: 0.9)")
    List<Float> momenta;

    @Option(names = "--dropout", split = ",", paramLabel = "P,...", description = "Probabilities to try for every dropout layer of --layers")
    List<Float> dropouts;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the models, sweep.csv and sweep.png go")
    Path out;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every model's settings, figures and history here as JSON")
    Path json;

    @Option(names = "--sequential", description = {"Train the models one after another in this process, each by train's own code path, instead of",
            "together (one launch per op for all of them); the baseline that the together mode is checked and timed against"})
    boolean sequential;

    /** train's options, the same for every model. */
    @Unmatched
    List<String> trainArgs = new ArrayList<>();

    /** The most models one sweep trains: a guard against a typo that multiplies lists into thousands of runs. */
    static final int MAX_MODELS = 1000;

    /** One combination of the swept settings; null where the setting is not swept (train's default holds). */
    record Setting(Float lr, Long seed, Float weightDecay, Float momentum, Float dropout) {
    }

    /** One trained model and what its train run reported. */
    record Result(int index, Setting setting, String file, JsonObject report) {
    }

    @Override
    public void run() {
        PrintWriter o = spec.commandLine().getOut();
        for (String refused : List.of("--save", "--out", "--json", "--resume", "--spark", "--quiet")) {
            if (trainArgs.contains(refused)) {
                throw new InvalidSettingException("sweep", refused + " is the sweep's to set (each model's file is DIR/model-NNN.npz); leave it out");
            }
        }
        List<Setting> settings = crossProduct();
        // train's own check of its options, before any model trains
        List<String> probe = new ArrayList<>(trainArgs);
        probe.add(0, "train");
        CommandLine.ParseResult parsed;
        try {
            parsed = new CommandLine(new Main()).parseArgs(probe.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new InvalidSettingException("sweep", e.getMessage());
        }
        TrainCommand defaults = (TrainCommand) parsed.subcommand().commandSpec().userObject();
        if (dropouts != null && (defaults.layers == null || !defaults.layers.contains("dropout:"))) {
            throw new InvalidSettingException("sweep", "--dropout sets the probability of the dropout layers in --layers, and "
                    + (defaults.layers == null ? "no --layers is given" : Quote.of(defaults.layers) + " has none"));
        }

        OutputPlan plan = new OutputPlan();
        if (!defaults.data.equals(dev.clprop.data.DataSources.DIGITS)) plan.input("data", Path.of(defaults.data));
        plan.output("out", out.resolve("sweep.csv")).output("out", out.resolve("sweep.png")).output("json", json);
        for (int k = 1; k <= settings.size(); k++) plan.output("out", out.resolve(modelFile(k)));
        try (plan) {
            List<TrainCommand> commands = new ArrayList<>();
            for (Setting st : settings) commands.add(trainCommand(st));
            DataSplit source = DataSources.open(defaults.data, defaults.test, defaults.val, defaults.columns.csv());
            Dataset train = source.train();
            Architecture first = defaults.architectureFor(train);
            List<Result> results = new ArrayList<>();
            o.printf(Locale.ROOT, "sweep: %d models, %s%n", settings.size(), sequential ? "one after another" : "trained together");
            int together = sequential ? 1 : Math.min(settings.size(), Sweep.MAX_TOGETHER);
            try (Device dev = Device.openForTraining(defaults.device, defaults.gemm.family(), first, defaults.batch * together, o::println)) {
                Cancellation cancellation = new Cancellation();
                List<Trainer> trainers = new ArrayList<>();
                for (TrainCommand c : commands) trainers.add(c.trainerFor(c.architectureFor(train), source).device(dev).cancellation(cancellation).build());
                long t0 = System.nanoTime();
                List<TrainingResult> trained = Sweep.of(trainers).mode(sequential ? Sweep.Mode.SEQUENTIAL : Sweep.Mode.TOGETHER).log(o::println)
                        .fit(train, source.validation());
                seconds = (System.nanoTime() - t0) / 1e9;
                Dataset evalSet = source.test() != null ? source.test() : train;
                String which = source.test() != null ? "test" : "training";
                for (int k = 1; k <= settings.size(); k++) {
                    TrainingResult r = trained.get(k - 1);
                    if (r.outcome() == Outcome.DIVERGED) {
                        throw new Main.Stopped(Main.EXIT_USAGE, "model " + k + " of " + settings.size() + " (" + describe(settings.get(k - 1)) + ") failed: "
                                + r.message() + "; the sweep stops, and DIR is left as it was");
                    }
                    Model model = r.model();
                    model.save(plan.stage(out.resolve(modelFile(k))));
                    Metrics m = model.evaluate(evalSet, dev);
                    JsonObject report = GSON.toJsonTree(commands.get(k - 1).jsonReport(r, which, evalSet, m, model)).getAsJsonObject();
                    results.add(new Result(k, settings.get(k - 1), modelFile(k), report));
                    o.println(line(results.get(results.size() - 1), defaults));
                }
            }
            o.printf(Locale.ROOT, "trained %d models in %.2f s (%s)%n", results.size(), seconds, sequential ? "one after another" : "together");
            writeCsv(plan.stage(out.resolve("sweep.csv")), results, defaults);
            XYChart chart = chart(results);
            AtomicFiles.write(plan.stage(out.resolve("sweep.png")), os -> BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG));
            if (json != null) Reports.writeJson(plan.stage(json), jsonReport(results, defaults));
            plan.commit();
            Result best = null;
            for (Result r : results) if (best == null || figure(r, "val_loss", "train_loss") < figure(best, "val_loss", "train_loss")) best = r;
            o.printf(Locale.ROOT, "best: %s (%s), %s %.6f%n", best.file(), describe(best.setting()), hasValidation(best) ? "validation loss" : "training loss",
                    figure(best, "val_loss", "train_loss"));
            o.println("wrote " + out.resolve("sweep.csv") + ", sweep.png and " + results.size() + " models" + (json != null ? "; " + json : ""));
        }
    }

    /** Seconds the training of all the models took (data loading, evaluation and writing excluded). */
    private double seconds;

    private static final com.google.gson.Gson GSON = new com.google.gson.GsonBuilder().serializeSpecialFloatingPointValues().serializeNulls().create();

    /** train, parsed with this setting's values added to the sweep's train options. */
    private TrainCommand trainCommand(Setting s) {
        List<String> args = new ArrayList<>();
        args.add("train");
        args.addAll(withDropout(trainArgs, s.dropout()));
        if (s.lr() != null) args.addAll(List.of("--lr", Float.toString(s.lr())));
        if (s.seed() != null) args.addAll(List.of("--seed", Long.toString(s.seed())));
        if (s.weightDecay() != null) args.addAll(List.of("--weight-decay", Float.toString(s.weightDecay())));
        if (s.momentum() != null) args.addAll(List.of("--momentum", Float.toString(s.momentum())));
        try {
            return (TrainCommand) new CommandLine(new Main()).parseArgs(args.toArray(String[]::new)).subcommand().commandSpec().userObject();
        } catch (CommandLine.ParameterException e) {
            throw new InvalidSettingException("sweep", e.getMessage());
        }
    }

    /** Every combination, seeds varying fastest; a setting that is not swept stays null. */
    List<Setting> crossProduct() {
        List<Setting> out = new ArrayList<>();
        for (Float lr : orNull(lrs)) {
            for (Float wd : orNull(weightDecays)) {
                for (Float mu : orNull(momenta)) {
                    for (Float p : orNull(dropouts)) {
                        for (Long seed : orNull(seeds)) out.add(new Setting(lr, seed, wd, mu, p));
                    }
                }
            }
        }
        if (out.size() > MAX_MODELS) throw new InvalidSettingException("sweep", "would train " + out.size() + " models, more than the limit of " + MAX_MODELS);
        return out;
    }

    private static <T> List<T> orNull(List<T> values) {
        List<T> out = new ArrayList<>();
        if (values == null || values.isEmpty()) out.add(null);
        else out.addAll(values);
        return out;
    }

    static String modelFile(int k) {
        return String.format(Locale.ROOT, "model-%03d.npz", k);
    }

    /** The arguments with every dropout layer of --layers set to p (unchanged when p is null). */
    static List<String> withDropout(List<String> args, Float p) {
        List<String> out = new ArrayList<>(args);
        if (p == null) return out;
        for (int i = 0; i + 1 < out.size(); i++) {
            if (out.get(i).equals("--layers")) out.set(i + 1, out.get(i + 1).replaceAll("dropout:[^,]*", "dropout:" + p));
        }
        return out;
    }

    static String describe(Setting s) {
        List<String> parts = new ArrayList<>();
        if (s.lr() != null) parts.add("lr " + s.lr());
        if (s.seed() != null) parts.add("seed " + s.seed());
        if (s.weightDecay() != null) parts.add("weight decay " + s.weightDecay());
        if (s.momentum() != null) parts.add("momentum " + s.momentum());
        if (s.dropout() != null) parts.add("dropout " + s.dropout());
        return parts.isEmpty() ? "train's settings" : String.join(", ", parts);
    }

    private static JsonArray history(Result r) {
        return r.report().getAsJsonArray("history");
    }

    private static boolean hasValidation(Result r) {
        JsonArray h = history(r);
        return h.size() > 0 && !Double.isNaN(number(h.get(h.size() - 1).getAsJsonObject().get("val_loss")));
    }

    private static double number(JsonElement e) {
        if (e == null || e.isJsonNull()) return Double.NaN;
        String s = e.getAsString();
        return s.equals("NaN") ? Double.NaN : Double.parseDouble(s);
    }

    /** The last epoch's figure {@code key}, or {@code fallback}'s where the run had no such figure. */
    private static double figure(Result r, String key, String fallback) {
        JsonArray h = history(r);
        if (h.size() == 0) return Double.NaN;
        JsonObject last = h.get(h.size() - 1).getAsJsonObject();
        double v = number(last.get(key));
        return Double.isNaN(v) && fallback != null ? number(last.get(fallback)) : v;
    }

    /** The settings a model trained with: the swept ones, else train's defaults. */
    private static Map<String, Object> settings(Result r, TrainCommand defaults) {
        Setting s = r.setting();
        Optimizer.Kind kind = Optimizer.Kind.parse(defaults.optimizer);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", r.file());
        m.put("lr", s.lr() != null ? s.lr() : defaults.lr != null ? defaults.lr : kind.defaultLearningRate());
        m.put("seed", s.seed() != null ? s.seed() : defaults.seed);
        m.put("weight_decay", s.weightDecay() != null ? s.weightDecay() : defaults.weightDecay != null ? defaults.weightDecay : kind.defaultWeightDecay());
        m.put("momentum", s.momentum() != null ? s.momentum() : defaults.momentum);
        m.put("dropout", s.dropout());
        m.put("train_loss", figure(r, "train_loss", null));
        m.put("val_loss", figure(r, "val_loss", null));
        m.put("val_accuracy", figure(r, "val_accuracy", null));
        m.put("epochs", history(r).size());
        return m;
    }

    private String line(Result r, TrainCommand defaults) {
        Map<String, Object> m = settings(r, defaults);
        return String.format(Locale.ROOT, "  %s  %-40s train loss %.6f  val loss %s  val acc %s", r.file(), describe(r.setting()), (double) m.get("train_loss"),
                fmt((double) m.get("val_loss"), "%.6f"), Double.isNaN((double) m.get("val_accuracy")) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * (double) m.get("val_accuracy")));
    }

    private static String fmt(double v, String f) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, f, v);
    }

    static final List<String> COLUMNS = List.of("model", "lr", "seed", "weight_decay", "momentum", "dropout", "train_loss", "val_loss", "val_accuracy", "epochs");

    private static void writeCsv(Path file, List<Result> results, TrainCommand defaults) {
        AtomicFiles.write(file, os -> {
            Writer w = new OutputStreamWriter(os, StandardCharsets.UTF_8);
            CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setRecordSeparator('\n').setHeader(COLUMNS.toArray(String[]::new)).build());
            for (Result r : results) {
                Map<String, Object> m = settings(r, defaults);
                List<Object> row = new ArrayList<>();
                for (String c : COLUMNS) {
                    Object v = m.get(c);
                    row.add(v == null || (v instanceof Double d && d.isNaN()) ? "" : v);
                }
                csv.printRecord(row);
            }
            csv.flush();
        });
    }

    /** Validation loss per epoch per model (training loss where the runs had no validation rows). */
    static XYChart chart(List<Result> results) {
        boolean validation = results.stream().allMatch(SweepCommand::hasValidation);
        XYChart c = new XYChartBuilder().width(1000).height(600).title("clprop sweep: " + (validation ? "validation" : "training") + " loss per epoch")
                .xAxisTitle("epoch").yAxisTitle(validation ? "validation loss" : "training loss").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (Result r : results) {
            JsonArray h = history(r);
            double[] x = new double[h.size()], y = new double[h.size()];
            for (int i = 0; i < h.size(); i++) {
                JsonObject e = h.get(i).getAsJsonObject();
                x[i] = e.get("epoch").getAsDouble();
                y[i] = number(e.get(validation ? "val_loss" : "train_loss"));
            }
            if (x.length > 0) c.addSeries(r.file().replace(".npz", "") + " (" + describe(r.setting()) + ")", x, y);
        }
        return c;
    }

    private Map<String, Object> jsonReport(List<Result> results, TrainCommand defaults) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("command", "sweep");
        j.put("mode", sequential ? "sequential" : "together");
        j.put("training_seconds", seconds);
        List<Object> models = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = settings(r, defaults);
            m.put("history", new com.google.gson.Gson().fromJson(history(r), List.class));
            m.put("evaluation", new com.google.gson.Gson().fromJson(r.report().get("evaluation"), Map.class));
            models.add(m);
        }
        j.put("models", models);
        return j;
    }
}
