package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.BatchNormSpec;
import dev.clprop.model.DenseSpec;
import dev.clprop.model.DropoutSpec;
import dev.clprop.model.LayerNormSpec;
import dev.clprop.model.LayerSpec;

import java.util.List;

/**
 * Where a layer's description becomes its device implementation: a kind that is one class
 * ({@link DeviceLayerKind}) builds its own; this package's older kinds are matched here.
 */
final class Layers {
    private Layers() {
    }

    /**
     * @param params the layer's parameters, named as in its architecture (the caller owns their tensors)
     * @param loss when the layer is the output layer, the loss (its gradient may arrive pre-activation); else null
     */
    static Layer create(Backend b, Architecture arch, int index, List<Param> params, List<Tensor> buffers, int maxBatch, Loss loss) {
        LayerSpec spec = arch.layers().get(index);
        int in = arch.widthBefore(index);
        if (spec instanceof DeviceLayerKind k) return k.create(b, index, in, params, buffers, maxBatch);
        if (spec instanceof DenseSpec d) {
            return new DenseLayer(b, d, index, in, params, maxBatch, loss != null && loss.fusedWithOutputActivation());
        }
        if (spec instanceof DropoutSpec d) return new DropoutLayer(b, d, index, in, maxBatch);
        if (spec instanceof LayerNormSpec n) return new LayerNormLayer(b, n, index, in, params, maxBatch);
        if (spec instanceof BatchNormSpec n) return new BatchNormLayer(b, n, index, in, params, buffers, maxBatch);
        throw new IllegalStateException("no device implementation for " + spec.getClass().getSimpleName());
    }

    /** Floats of batch-sized buffers a layer holds per row of a batch, for the capacity check before allocating. */
    static long floatsPerRow(LayerSpec spec, int inputWidth) {
        int out = spec.outputWidth(inputWidth);
        if (spec instanceof DeviceLayerKind k) return k.floatsPerRow(inputWidth);
        if (spec instanceof DenseSpec d) return (DenseLayer.keepsPreActivation(d) ? 3L : 2L) * out;
        if (spec instanceof LayerNormSpec) return LayerNormLayer.floatsPerRow(out);
        if (spec instanceof BatchNormSpec) return 3L * out + 1; // output, its gradient, xhat, and a share of the 1 × n 1/σ
        return 2L * out;
    }
}
