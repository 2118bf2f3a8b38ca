package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;

import java.util.List;

/**
 * The device half of a layer kind that is one class ({@link dev.clprop.model.LayerSpec} and this): it
 * builds its {@link Layer} on a backend and says how much batch-sized memory that holds. Its ops, where
 * the existing ones do not suffice, are {@link dev.clprop.device.KernelOp}s of its own.
 */
public interface DeviceLayerKind {
    /**
     * The layer on {@code b}.
     * @param params its parameters, in {@code parameterShapes} order (the network owns their tensors)
     * @param buffers its non-trainable buffers, likewise
     */
    Layer create(Backend b, int index, int inputWidth, List<Param> params, List<Tensor> buffers, int maxBatch);

    /** Floats of batch-sized buffers the layer holds per row of a batch, for the capacity check before allocating. */
    long floatsPerRow(int inputWidth);
}
