package dev.clprop.cli;

import dev.clprop.Model;
import dev.clprop.export.OnnxExport;
import dev.clprop.io.OutputPlan;
import dev.clprop.model.TorchNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes a model for other runtimes: ONNX (opset 13; ONNX Runtime, and through it Java, C#, C++, Python)",
                "and/or its weights under PyTorch's nn.Sequential state_dict keys (0.weight, 0.bias, ...) as .npz."},
        footer = {"", "Examples:",
                "  clprop export --model runs/mnist/model.npz --onnx mnist.onnx",
                "  clprop export --model m.npz --torch-npz m-torch.npz",
                "    then in Python: model.load_state_dict({k: torch.tensor(v) for k, v in np.load('m-torch.npz').items()})"})
public final class ExportCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.npz", description = "A model written by 'clprop train'")
    Path model;

    @Option(names = "--onnx", paramLabel = "FILE.onnx", description = "Write the model as ONNX here (atomically)")
    Path onnx;

    @Option(names = "--torch-npz", paramLabel = "FILE.npz", description = "Write the weights under PyTorch's state_dict keys here (atomically)")
    Path torchNpz;

    @Override
    public void run() {
        if (onnx == null && torchNpz == null) throw new Main.Stopped(Main.EXIT_USAGE, "export needs --onnx FILE and/or --torch-npz FILE (see clprop export --help)");
        try (OutputPlan plan = new OutputPlan().input("model", model).output("onnx", onnx).output("torchNpz", torchNpz)) {
            export(plan);
        }
    }

    private void export(OutputPlan plan) {
        Model m = Model.load(model);
        PrintWriter out = spec.commandLine().getOut();
        if (onnx != null) OnnxExport.write(m, plan.stage(onnx));
        if (torchNpz != null) m.saveTorchWeights(plan.stage(torchNpz));
        plan.commit();
        if (onnx != null) {
            out.printf("wrote %s (%s, ONNX opset 13, %s bytes): input '%s' [batch, %d], output '%s' [batch, %d]%n", onnx, m.architecture(),
                    size(onnx), OnnxExport.INPUT, m.inputs(), OnnxExport.OUTPUT, m.outputs());
        }
        if (torchNpz != null) {
            out.printf("wrote %s: the state_dict of %s%n", torchNpz, TorchNames.sequential(m.architecture()));
            if (m.standardizer() != null) out.println("note: the model standardizes its inputs; apply (x - input_shift) / input_scale from " + model + " first");
        }
    }

    private static String size(Path p) {
        try {
            return String.format("%,d", Files.size(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
