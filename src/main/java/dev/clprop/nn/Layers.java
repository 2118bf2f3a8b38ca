package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.DenseSpec;
import dev.clprop.model.DropoutSpec;
import dev.clprop.model.LayerSpec;

import java.util.List;

/** The one place where a layer's description becomes its device implementation. */
final class Layers {
    private Layers() {
    }

    /**
     * @param params the layer's parameters, named as in its architecture (the caller owns their tensors)
     * @param loss when the layer is the output layer, the loss (its gradient may arrive pre-activation); else null
     */
    static Layer create(Backend b, Architecture arch, int index, List<Param> params, int maxBatch, Loss loss) {
        LayerSpec spec = arch.layers().get(index);
        int in = arch.widthBefore(index);
        if (spec instanceof DenseSpec d) {
            return new DenseLayer(b, d, index, in, params, maxBatch, loss != null && loss.fusedWithOutputActivation());
        }
        if (spec instanceof DropoutSpec d) return new DropoutLayer(b, d, index, in, maxBatch);
        throw new IllegalStateException("no device implementation for " + spec.getClass().getSimpleName());
    }
}
