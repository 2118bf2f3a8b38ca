package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.model.LayerSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * What every layer kind has alike: its description, place and widths, its output and output-gradient
 * buffers of {@code maxBatch} rows, and the buffers it allocates besides ({@link #own}), closed in reverse
 * order. A layer kind adds its parameters and its forward and backward passes.
 */
abstract class BufferedLayer<S extends LayerSpec> implements Layer {
    protected final Backend b;
    protected final S spec;
    private final int index;
    private final int inputWidth;
    private final int outputWidth;
    private final List<Tensor> owned = new ArrayList<>();
    protected final Tensor output;
    protected final Tensor outputGradient;

    BufferedLayer(Backend b, S spec, int index, int inputWidth, int maxBatch) {
        this.b = b;
        this.spec = spec;
        this.index = index;
        this.inputWidth = inputWidth;
        this.outputWidth = spec.outputWidth(inputWidth);
        try {
            output = own(maxBatch, outputWidth);
            outputGradient = own(maxBatch, outputWidth);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A buffer of this layer's, closed with it; a subclass allocating in its constructor closes the layer if that fails. */
    protected final Tensor own(int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        owned.add(t);
        return t;
    }

    @Override
    public S spec() {
        return spec;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public int inputWidth() {
        return inputWidth;
    }

    @Override
    public int outputWidth() {
        return outputWidth;
    }

    @Override
    public Tensor output() {
        return output;
    }

    @Override
    public Tensor outputGradient() {
        return outputGradient;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }
}
