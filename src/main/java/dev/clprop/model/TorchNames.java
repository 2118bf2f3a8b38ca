package dev.clprop.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * clprop's parameter names and the keys PyTorch gives the same tensors in the state_dict of the
 * matching {@code nn.Sequential}. Each layer says what it is there ({@link LayerSpec#torchModules},
 * {@link LayerSpec#torchParameters}): a dense layer an {@code nn.Linear} followed by its activation module
 * unless it is linear, dropout an {@code nn.Dropout}, layernorm an {@code nn.LayerNorm}, batchnorm an
 * {@code nn.BatchNorm1d} (whose running statistics are state_dict entries too). Modules are numbered
 * from 0, so 784,256:relu,dropout:0.2,10:softmax has W1 = {@code 0.weight}, b1 = {@code 0.bias},
 * W2 = {@code 3.weight}. A Linear's weight is (out, in), as clprop's W.
 */
public final class TorchNames {
    private TorchNames() {
    }

    /** clprop name (W1, b1, ..., running_mean2) to state_dict key, in {@link Architecture#stateShapes} order. */
    public static Map<String, String> of(Architecture a) {
        Map<String, String> out = new LinkedHashMap<>();
        int module = 0, width = a.inputs(), ordinal = 0;
        for (LayerSpec l : a.layers()) {
            if (l.hasParameters()) ordinal++;
            List<ParamShape> shapes = new ArrayList<>(l.parameterShapes(width, ordinal));
            shapes.addAll(l.bufferShapes(width, ordinal));
            List<String> keys = new ArrayList<>(l.torchParameters());
            keys.addAll(l.torchBuffers());
            for (int i = 0; i < shapes.size(); i++) {
                String[] k = keys.get(i).split("\\.", 2);
                out.put(shapes.get(i).name(), (module + Integer.parseInt(k[0])) + "." + k[1]);
            }
            module += l.torchModules(width).size();
            width = l.outputWidth(width);
        }
        return out;
    }

    /**
     * The state_dict keys PyTorch has that clprop does not keep: a BatchNorm1d's {@code num_batches_tracked}
     * (it counts steps only for momentum=None). Written as 0 on export, ignored on import.
     */
    public static List<String> untracked(Architecture a) {
        List<String> out = new ArrayList<>();
        int module = 0, width = a.inputs();
        for (LayerSpec l : a.layers()) {
            if (l instanceof BatchNormSpec) out.add(module + ".num_batches_tracked");
            module += l.torchModules(width).size();
            width = l.outputWidth(width);
        }
        return out;
    }

    /** The modules of the matching nn.Sequential, as Python source (for messages and the README). */
    public static String sequential(Architecture a) {
        List<String> modules = new ArrayList<>();
        int width = a.inputs();
        for (LayerSpec l : a.layers()) {
            modules.addAll(l.torchModules(width));
            width = l.outputWidth(width);
        }
        return "nn.Sequential(" + String.join(", ", modules) + ")";
    }
}
