package dev.clprop.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * clprop's parameter names and the keys PyTorch gives the same tensors in the state_dict of the
 * matching {@code nn.Sequential}: each dense layer is an {@code nn.Linear}, followed by its
 * activation module unless it is linear ({@code nn.ReLU}, {@code nn.LeakyReLU}, {@code nn.Sigmoid},
 * {@code nn.Tanh}, {@code nn.Softmax(dim=1)}, {@code nn.GELU}, {@code nn.SiLU}), and each dropout layer an {@code nn.Dropout}. Modules
 * are numbered from 0, so 784,256:relu,dropout:0.2,10:softmax has W1 = {@code 0.weight},
 * b1 = {@code 0.bias}, W2 = {@code 3.weight}. A Linear's weight is (out, in), as clprop's W.
 */
public final class TorchNames {
    private TorchNames() {
    }

    /** clprop name (W1, b1, ...) to state_dict key, in parameter order. */
    public static Map<String, String> of(Architecture a) {
        Map<String, String> out = new LinkedHashMap<>();
        int module = 0, dense = 0;
        for (LayerSpec l : a.layers()) {
            if (l instanceof DenseSpec d) {
                dense++;
                out.put("W" + dense, module + ".weight");
                if (d.bias()) out.put("b" + dense, module + ".bias");
                module += d.activation() == Activation.LINEAR ? 1 : 2;
            } else {
                module++;
            }
        }
        return out;
    }

    /** The modules of the matching nn.Sequential, as Python source (for messages and the README). */
    public static String sequential(Architecture a) {
        StringBuilder sb = new StringBuilder("nn.Sequential(");
        int width = a.inputs();
        List<LayerSpec> layers = a.layers();
        boolean first = true;
        for (LayerSpec l : layers) {
            if (!first) sb.append(", ");
            first = false;
            if (l instanceof DenseSpec d) {
                sb.append("nn.Linear(").append(width).append(", ").append(d.units()).append(d.bias() ? "" : ", bias=False").append(')');
                String act = switch (d.activation()) {
                    case RELU -> "nn.ReLU()";
                    case LEAKY_RELU -> "nn.LeakyReLU(0.01)";
                    case SIGMOID -> "nn.Sigmoid()";
                    case TANH -> "nn.Tanh()";
                    case SOFTMAX -> "nn.Softmax(dim=1)";
                    case GELU -> "nn.GELU()";
                    case SILU -> "nn.SiLU()";
                    case LINEAR -> null;
                };
                if (act != null) sb.append(", ").append(act);
                width = d.units();
            } else if (l instanceof DropoutSpec p) {
                sb.append("nn.Dropout(").append(p.p()).append(')');
            }
        }
        return sb.append(')').toString();
    }
}
