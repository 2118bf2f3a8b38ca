package dev.clprop.model;

import java.util.List;
import java.util.Random;

/**
 * One layer of an {@link Architecture}, as described (no device, no numbers). A layer kind is a
 * record implementing this interface, which reads its element of the architecture string, names its
 * tensors (in clprop's files, PyTorch's state_dict and ONNX) and describes its ONNX graph; its device
 * implementation is in {@code dev.clprop.nn}.
 */
public interface LayerSpec {
    /**
     * Every layer kind's reader of its architecture-string element (null for an element not its own), tried
     * in order: the kinds of this package, then every kind registered as a {@code java.util.ServiceLoader}
     * provider of {@code LayerSpec} ({@link #read}), and dense, whose element starts with a number, last.
     * A kind registered so is one class: its description here and, in {@code dev.clprop.nn}, its device
     * implementation ({@code DeviceLayerKind}).
     */
    List<java.util.function.Function<SpecElement, LayerSpec>> KINDS = LayerKinds.readers();

    /**
     * How a kind registered as a service provider reads its element: this is called on the instance its
     * public no-argument constructor made, and returns the layer, or null for an element not its own.
     */
    default LayerSpec read(SpecElement element) {
        return null;
    }

    /** One instance of every kind registered as a service provider (the device self-test builds a network of each). */
    static List<LayerSpec> registeredKinds() {
        return LayerKinds.registered();
    }

    /** Its element in an architecture string, e.g. {@code 128:relu} or {@code dropout:0.2}. */
    String spelling();

    /** The width of the layer's output for an input of {@code inputWidth}; by default the same (a layer that keeps the width). */
    default int outputWidth(int inputWidth) {
        return inputWidth;
    }

    /**
     * The parameter tensors the layer owns, in order; empty for a layer without parameters.
     * {@code ordinal} numbers the layers that have parameters (1, 2, ...), which names them (W1, b1).
     */
    List<ParamShape> parameterShapes(int inputWidth, int ordinal);

    /**
     * The layer's non-trainable tensors (batchnorm's running statistics), named like its parameters: saved
     * with the model and moved by the layer itself, never by the optimizer. Empty for most layers.
     */
    default List<ParamShape> bufferShapes(int inputWidth, int ordinal) {
        return List.of();
    }

    /** Sets freshly allocated buffers (same order as {@link #bufferShapes}) to their starting values. */
    default void initialiseBuffers(List<float[]> buffers) {
    }

    /** Each buffer's state_dict key, as {@link #torchParameters} does for the parameters. */
    default List<String> torchBuffers() {
        return List.of();
    }

    /** Whether the layer has trainable parameters. */
    default boolean hasParameters() {
        return !parameterShapes(1, 1).isEmpty();
    }

    /** Fills freshly allocated parameter arrays (same order as {@link #parameterShapes}) from {@code rng}. */
    void initialise(List<float[]> parameters, int inputWidth, Random rng);

    /**
     * The layer's modules in PyTorch's matching {@code nn.Sequential}, as Python source, e.g.
     * {@code nn.Linear(4, 8)} then {@code nn.ReLU()}; they take that many module indices.
     */
    List<String> torchModules(int inputWidth);

    /**
     * The layer's training-mode function in float64, by its definition alone: the reference the float64
     * gradient check differentiates numerically (dropout, whose mask is random, passes through).
     * @param a the input, {@code rows × inputWidth} row-major
     * @param parameters the layer's parameters in {@link #parameterShapes} order
     * @return the output, {@code rows × outputWidth(inputWidth)}
     */
    double[] exactForward(double[] a, int rows, int inputWidth, List<double[]> parameters);

    /**
     * The layer in evaluation mode as ONNX nodes ({@link OnnxNode}: its parameters and buffers referenced
     * by name), from an input of {@code inputWidth} features; empty for the identity. ONNX export knows no
     * layer kind but through this.
     * @param parameters and {@code buffers}: the layer's, as {@link #parameterShapes} and {@link #bufferShapes} name them
     */
    List<OnnxNode> onnxNodes(int inputWidth, List<ParamShape> parameters, List<ParamShape> buffers);

    /**
     * Each parameter's key in that {@code nn.Sequential}'s state_dict, in {@link #parameterShapes} order,
     * relative to the layer's first module: {@code 0.weight} is the first module's weight.
     */
    List<String> torchParameters();
}
