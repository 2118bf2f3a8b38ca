package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.BatchNormSpec;

import java.util.List;

/**
 * {@link BatchNormSpec} on a device: a training pass normalizes with the batch's statistics, keeps xhat and
 * 1/σ per feature for the backward pass and moves the running statistics ({@link Backend#batchNormTrain});
 * an evaluation pass normalizes with the running statistics ({@link Backend#batchNormEval}).
 */
final class BatchNormLayer extends BufferedLayer<BatchNormSpec> {
    private final Param gamma;
    private final Param beta;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor normalized;
    private final Tensor inverseStd;

    /**
     * @param layerParams γ then β (the network owns their tensors)
     * @param buffers the running mean then variance (the network owns them too)
     */
    BatchNormLayer(Backend b, BatchNormSpec spec, int index, int width, List<Param> layerParams, List<Tensor> buffers, int maxBatch) {
        super(b, spec, index, width, maxBatch);
        this.gamma = layerParams.get(0);
        this.beta = layerParams.get(1);
        this.runningMean = buffers.get(0);
        this.runningVar = buffers.get(1);
        try {
            normalized = own(maxBatch, width);
            inverseStd = own(1, width);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public List<Param> params() {
        return List.of(gamma, beta);
    }

    @Override
    public void forward(Tensor input, int m, Pass pass) {
        if (pass.training()) {
            // as nn.BatchNorm1d: one row has no variance to normalize by (PyTorch raises the same)
            if (m < 2) {
                throw new InvalidSettingException("batchSize", "gives a batch of " + m + " row; batchnorm (layer " + (index() + 1)
                        + ") needs at least 2 rows per training batch (choose a batch size that leaves no single row at the end of an epoch)");
            }
            b.batchNormTrain(input, gamma.value(), beta.value(), runningMean, runningVar, normalized, inverseStd, output, m);
        } else {
            b.batchNormEval(input, gamma.value(), beta.value(), runningMean, runningVar, output, m);
        }
    }

    @Override
    public void backward(Tensor input, Tensor inputGradient, int m, Pass pass) {
        b.batchNormBackward(outputGradient, normalized, inverseStd, gamma.value(), inputGradient, gamma.gradient(), beta.gradient(), m);
    }
}
