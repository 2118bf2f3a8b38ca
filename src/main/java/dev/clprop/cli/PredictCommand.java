package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.Model;
import dev.clprop.data.DataSources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;

@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints one CSV row of model outputs per input row, on stdout.",
                "Each input row holds the model's input features, optionally followed by a label column or the target columns, which are ignored."})
public final class PredictCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.npz")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE.csv")
    Path data;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl[:N]|NAME", description = "default: ${DEFAULT-VALUE}")
    String device = "cpu";

    @Override
    public void run() {
        Model m = Model.load(model);
        int f = m.inputs();
        float[][] rows = DataSources.inputs(data, f, m.outputs());
        PrintWriter out = spec.commandLine().getOut();
        try (Device dev = Device.open(device)) {
            float[][] o = m.predict(rows, dev);
            StringBuilder sb = new StringBuilder();
            for (float[] row : o) {
                sb.setLength(0);
                for (int j = 0; j < row.length; j++) sb.append(j > 0 ? "," : "").append(row[j]);
                out.println(sb);
            }
            out.flush();
        }
    }
}
