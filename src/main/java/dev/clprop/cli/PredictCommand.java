package dev.clprop.cli;

import dev.clprop.UserError;
import dev.clprop.backend.Backend;
import dev.clprop.backend.Backends;
import dev.clprop.data.CsvReader;
import dev.clprop.data.Dataset;
import dev.clprop.data.Standardizer;
import dev.clprop.data.Table;
import dev.clprop.model.Loss;
import dev.clprop.model.ModelFile;
import dev.clprop.model.NetworkSpec;
import dev.clprop.train.Evaluation;
import dev.clprop.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;

@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints one CSV row of model outputs per input row, on stdout.",
                "The CSV holds the input features; a trailing label or target column(s) may be present and is ignored."})
public final class PredictCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.npz")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE.csv")
    Path data;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "default: cpu")
    String device = "cpu";

    @Override
    public void run() {
        ModelFile.Loaded m = ModelFile.load(model);
        NetworkSpec ns = m.parameters().spec();
        Table t = CsvReader.read(data);
        int f = ns.inputs();
        if (t.cols() < f) {
            throw new UserError(data + ": has " + t.cols() + " columns but the model " + ns + " takes " + f + " inputs");
        }
        float[] x = new float[t.rows() * f];
        for (int r = 0; r < t.rows(); r++) System.arraycopy(t.values(), r * t.cols(), x, r * f, f);
        Dataset d = new Dataset(data.toString(), x, new float[t.rows() * ns.outputs()], t.rows(), f, ns.outputs(), null);
        Standardizer st = Standardizer.from(m.entries());
        if (st != null) st.apply(d);
        Loss loss = m.loss() != null ? m.loss() : TrainCommand.defaultLoss(ns.outputActivation());
        PrintWriter out = spec.commandLine().getOut();
        try (Backend b = Backends.open(device, s -> { })) {
            Evaluation ev = Evaluator.evaluate(b, m.parameters(), loss, d, 256);
            float[] o = ev.outputs();
            int n = ns.outputs();
            StringBuilder sb = new StringBuilder();
            for (int r = 0; r < d.rows(); r++) {
                sb.setLength(0);
                for (int j = 0; j < n; j++) sb.append(j > 0 ? "," : "").append(o[r * n + j]);
                out.println(sb);
            }
            out.flush();
        }
    }
}
