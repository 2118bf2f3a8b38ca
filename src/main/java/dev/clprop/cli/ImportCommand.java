package dev.clprop.cli;

import dev.clprop.Model;
import dev.clprop.io.OutputPlan;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.TorchNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Makes a clprop model file from weights saved elsewhere: a PyTorch nn.Sequential's state_dict",
                "saved with numpy.savez (keys 0.weight, 0.bias, ...), or any .npz with clprop's W1, b1, ... arrays."},
        footer = {"", "Example (Python side: np.savez('sd.npz', **{k: v.numpy() for k, v in model.state_dict().items()})):",
                "  clprop import --weights sd.npz --layers 64,128:relu,10:softmax --save m.npz"})
public final class ImportCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE.npz", description = "The weights")
    Path weights;

    @Option(names = "--layers", required = true, paramLabel = "SPEC", description = "The architecture they belong to")
    String layers;

    @Option(names = "--loss", paramLabel = "NAME", description = "The loss it was trained with (default: from the output activation)")
    String loss;

    @Option(names = "--save", required = true, paramLabel = "FILE.npz", description = "Where to write the clprop model (atomically)")
    Path save;

    @Override
    public void run() {
        try (OutputPlan plan = new OutputPlan().input("weights", weights).output("save", save)) {
            Architecture arch = Architecture.parse(layers);
            Model w = Model.loadWeights(weights, arch);
            Loss l = loss != null ? Loss.parse(loss) : Loss.defaultFor(arch.outputActivation());
            Model.of(w.parameters(), l, w.standardizer(), null).save(plan.stage(save));
            plan.commit();
        }
        Architecture arch = Architecture.parse(layers);
        Loss l = loss != null ? Loss.parse(loss) : Loss.defaultFor(arch.outputActivation());
        spec.commandLine().getOut().printf("wrote %s: %s (%s), from %s; in PyTorch terms %s%n", save, arch, l, weights, TorchNames.sequential(arch));
    }
}
