package dev.clprop.nn;

import dev.clprop.device.Tensor;
import dev.clprop.model.LayerSpec;
import dev.clprop.optim.Optimizer;

import java.util.List;
import java.util.Map;

/**
 * A layer on a device: it owns its parameters, their gradients and its batch-sized buffers, and
 * computes its forward and backward pass through {@link dev.clprop.device.Backend} ops. Buffers hold
 * {@code maxBatch} rows; a pass works on the first {@code m}.
 * <p>Gradients flow through {@link #outputGradient()}: the loss, or the next layer's backward pass,
 * writes ∂L/∂output there; this layer's backward turns it into parameter gradients and writes
 * ∂L/∂input into the previous layer's output gradient.
 */
public interface Layer extends AutoCloseable {
    /** What the layer is. */
    LayerSpec spec();

    /** Index of the layer in its network (0-based). */
    int index();

    /** Width of the layer's input. */
    int inputWidth();

    /** Width of the layer's output. */
    int outputWidth();

    /** The output of the last forward pass (maxBatch × outputWidth). */
    Tensor output();

    /** ∂L/∂output, written by the loss or the next layer (maxBatch × outputWidth). May be modified by {@link #backward}. */
    Tensor outputGradient();

    /** The parameters in order (empty for a layer without any). */
    List<Param> params();

    /** Computes {@link #output()} from the first m rows of {@code input}. */
    void forward(Tensor input, int m, Pass pass);

    /**
     * After a training forward pass and with {@link #outputGradient()} filled: writes every parameter
     * gradient and, unless {@code inputGradient} is null (the first layer), ∂L/∂input into it.
     */
    void backward(Tensor input, Tensor inputGradient, int m, Pass pass);

    /**
     * {@link #backward}, where the network trains with SGD ({@code sgd}, plain or with momentum): a layer may
     * take the step of some of its parameters as it forms their gradients, which it then does not keep (a
     * dense layer on a backend that {@link dev.clprop.device.DeviceOps#foldsSgdStep folds} it). Returns the
     * parameters it stepped; the network steps the others after the whole backward pass. By default none.
     * @param velocities each parameter's momentum buffer (null for plain SGD)
     */
    default List<Param> backwardAndStep(Tensor input, Tensor inputGradient, int m, Pass pass, Optimizer sgd, Map<Param, Tensor> velocities) {
        backward(input, inputGradient, m, pass);
        return List.of();
    }

    @Override
    void close();
}
