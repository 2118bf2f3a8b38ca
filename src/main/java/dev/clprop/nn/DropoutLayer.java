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
final class DropoutLayer extends BufferedLayer<DropoutSpec> {
    DropoutLayer(Backend b, DropoutSpec spec, int index, int width, int maxBatch) {
        super(b, spec, index, width, maxBatch);
    }

    @Override
    public List<Param> params() {
        return List.of();
    }

    private void apply(Tensor src, Tensor dst, int m, Pass pass) {
        if (pass.training()) {
            long key = DropoutSpec.shift(DropoutSpec.key(pass.seed(), pass.step(), index()), (long) pass.firstRow() * inputWidth());
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
}
