package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.model.DropoutSpec;

import java.util.List;

/**
 * Inverted dropout ({@link DropoutSpec}): in a training pass each element survives or not by the
 * mask of (seed, step, layer) and survivors are scaled by 1/(1−p); the backward pass applies the
 * same mask, regenerated from the same key, to the gradient. Outside training it copies its input.
 */
final class DropoutLayer implements Layer {
    private final Backend b;
    private final DropoutSpec spec;
    private final int index;
    private final int width;
    private final Tensor output;
    private final Tensor outputGradient;

    DropoutLayer(Backend b, DropoutSpec spec, int index, int width, int maxBatch) {
        this.b = b;
        this.spec = spec;
        this.index = index;
        this.width = width;
        output = b.allocate(maxBatch, width);
        try {
            outputGradient = b.allocate(maxBatch, width);
        } catch (RuntimeException e) {
            output.close();
            throw e;
        }
    }

    @Override
    public DropoutSpec spec() {
        return spec;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public int inputWidth() {
        return width;
    }

    @Override
    public int outputWidth() {
        return width;
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
    public List<Param> params() {
        return List.of();
    }

    private void apply(Tensor src, Tensor dst, int m, Pass pass) {
        if (pass.training()) {
            long key = DropoutSpec.shift(DropoutSpec.key(pass.seed(), pass.step(), index), (long) pass.firstRow() * width);
            b.dropout(src, dst, key, spec.threshold(), spec.scale(), m);
        }
        else {
            b.dropout(src, dst, 0, 0, 1f, m);
        }
    }

    @Override
    public void forward(Tensor input, int m, Pass pass) {
        apply(input, output, m, pass);
    }

    @Override
    public void backward(Tensor input, Tensor inputGradient, int m, Pass pass) {
        if (inputGradient != null) apply(outputGradient, inputGradient, m, pass);
    }

    @Override
    public void close() {
        outputGradient.close();
        output.close();
    }
}
