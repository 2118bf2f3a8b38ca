package dev.clprop.train;

import dev.clprop.backend.Backend;
import dev.clprop.backend.Tensor;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.Loss;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Optimizer;
import dev.clprop.model.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * A multilayer perceptron living on one backend: parameters, gradients, optimizer state and
 * batch-sized activation buffers, all allocated once. A training step is a fixed sequence of
 * backend ops with no host round trip; the same code drives EJML and OpenCL, so the two paths
 * differ only in their ops.
 */
public final class Network implements AutoCloseable {
    private final Backend backend;
    private final NetworkSpec spec;
    private final Loss loss;
    private final Optimizer optimizer;
    private final int maxBatch;
    private final int depth;

    private final Tensor[] weights, biases, weightGrads, biasGrads;
    private final Tensor[] weightState1, weightState2, biasState1, biasState2;
    /** acts[l]: output of layer l (maxBatch × out); grads[l]: ∂L/∂z of layer l. */
    private final Tensor[] acts, grads;
    private final Tensor lossSum;
    private final List<Tensor> owned = new ArrayList<>();
    private int step;

    public Network(Backend backend, NetworkSpec spec, Loss loss, Optimizer optimizer, int maxBatch) {
        loss.checkOutput(spec.outputActivation());
        this.backend = backend;
        this.spec = spec;
        this.loss = loss;
        this.optimizer = optimizer;
        this.maxBatch = maxBatch;
        this.depth = spec.depth();
        weights = new Tensor[depth];
        biases = new Tensor[depth];
        weightGrads = new Tensor[depth];
        biasGrads = new Tensor[depth];
        weightState1 = new Tensor[depth];
        weightState2 = new Tensor[depth];
        biasState1 = new Tensor[depth];
        biasState2 = new Tensor[depth];
        acts = new Tensor[depth];
        grads = new Tensor[depth];
        int states = optimizer == null ? 0 : optimizer.kind().stateTensors();
        try {
            for (int l = 0; l < depth; l++) {
                LayerSpec ls = spec.layer(l);
                weights[l] = own(ls.out(), ls.in());
                weightGrads[l] = own(ls.out(), ls.in());
                if (states >= 1) weightState1[l] = own(ls.out(), ls.in());
                if (states >= 2) weightState2[l] = own(ls.out(), ls.in());
                if (ls.bias()) {
                    biases[l] = own(1, ls.out());
                    biasGrads[l] = own(1, ls.out());
                    if (states >= 1) biasState1[l] = own(1, ls.out());
                    if (states >= 2) biasState2[l] = own(1, ls.out());
                }
                acts[l] = own(maxBatch, ls.out());
                grads[l] = own(maxBatch, ls.out());
            }
            lossSum = own(1, 1);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Tensor own(int rows, int cols) {
        Tensor t = backend.allocate(rows, cols);
        owned.add(t);
        return t;
    }

    public Backend backend() {
        return backend;
    }

    public NetworkSpec spec() {
        return spec;
    }

    public Loss loss() {
        return loss;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** Optimizer steps taken so far (Adam's t). */
    public int step() {
        return step;
    }

    public void setStep(int step) {
        this.step = step;
    }

    /** Forward pass over the first m rows of x (maxBatch × inputs); the result is {@link #output()}. */
    public void forward(Tensor x, int m) {
        checkBatch(m);
        Tensor in = x;
        for (int l = 0; l < depth; l++) {
            LayerSpec ls = spec.layer(l);
            backend.gemmForward(in, weights[l], acts[l], m);
            backend.biasActivation(acts[l], biases[l], ls.activation(), m);
            in = acts[l];
        }
    }

    /**
     * Backward pass after {@link #forward}: fills every gradient and adds the batch loss to the
     * device-side loss sum (read with {@link #takeLossSum()}).
     */
    public void backward(Tensor x, Tensor y, int m) {
        checkBatch(m);
        int last = depth - 1;
        backend.lossGradient(loss, acts[last], y, m, grads[last], lossSum);
        if (!loss.fusedWithOutputActivation()) {
            backend.activationBackward(grads[last], acts[last], spec.layer(last).activation(), m);
        }
        for (int l = last; l >= 0; l--) {
            Tensor input = l == 0 ? x : acts[l - 1];
            backend.gemmWeightGrad(grads[l], input, weightGrads[l], m);
            if (biases[l] != null) backend.columnSums(grads[l], biasGrads[l], m);
            if (l > 0) {
                backend.gemmBackwardData(grads[l], weights[l], grads[l - 1], m);
                backend.activationBackward(grads[l - 1], acts[l - 1], spec.layer(l - 1).activation(), m);
            }
        }
    }

    /** One optimizer update of every parameter from the current gradients. */
    public void update() {
        step++;
        for (int l = 0; l < depth; l++) {
            backend.optimizerStep(optimizer, step, weights[l], weightGrads[l], weightState1[l], weightState2[l]);
            if (biases[l] != null) backend.optimizerStep(optimizer, step, biases[l], biasGrads[l], biasState1[l], biasState2[l]);
        }
    }

    /** forward, backward, update on the first m rows of x and y. */
    public void trainStep(Tensor x, Tensor y, int m) {
        forward(x, m);
        backward(x, y, m);
        update();
    }

    /** The output layer's activations after the last forward pass (maxBatch × outputs). */
    public Tensor output() {
        return acts[depth - 1];
    }

    /** Output of layer l (0-based) after the last forward pass (maxBatch × units). */
    public Tensor layerOutput(int l) {
        return acts[l];
    }

    /** Reads the loss accumulated since the last call and resets it (one small device read). */
    public float takeLossSum() {
        float[] v = new float[1];
        backend.download(lossSum, v);
        backend.zero(lossSum);
        return v[0];
    }

    public void setParameters(Parameters p) {
        if (!p.spec().equals(spec)) throw new IllegalArgumentException("parameters for " + p.spec() + ", network is " + spec);
        for (int l = 0; l < depth; l++) {
            backend.upload(weights[l], p.weights(l));
            if (biases[l] != null) backend.upload(biases[l], p.bias(l));
        }
    }

    public Parameters parameters() {
        Parameters p = Parameters.zeros(spec);
        for (int l = 0; l < depth; l++) {
            backend.download(weights[l], p.weights(l));
            if (biases[l] != null) backend.download(biases[l], p.bias(l));
        }
        return p;
    }

    /** The last computed gradients, in the layout of {@link Parameters}. */
    public Parameters gradients() {
        Parameters p = Parameters.zeros(spec);
        for (int l = 0; l < depth; l++) {
            backend.download(weightGrads[l], p.weights(l));
            if (biases[l] != null) backend.download(biasGrads[l], p.bias(l));
        }
        return p;
    }

    /** Optimizer state k (0 or 1) in the layout of {@link Parameters}; null when the optimizer keeps none. */
    public Parameters optimizerState(int k) {
        Tensor[] w = k == 0 ? weightState1 : weightState2;
        Tensor[] b = k == 0 ? biasState1 : biasState2;
        if (depth == 0 || w[0] == null) return null;
        Parameters p = Parameters.zeros(spec);
        for (int l = 0; l < depth; l++) {
            backend.download(w[l], p.weights(l));
            if (b[l] != null) backend.download(b[l], p.bias(l));
        }
        return p;
    }

    public void setOptimizerState(int k, Parameters state) {
        Tensor[] w = k == 0 ? weightState1 : weightState2;
        Tensor[] b = k == 0 ? biasState1 : biasState2;
        for (int l = 0; l < depth; l++) {
            backend.upload(w[l], state.weights(l));
            if (b[l] != null) backend.upload(b[l], state.bias(l));
        }
    }

    private void checkBatch(int m) {
        if (m < 1 || m > maxBatch) throw new IllegalArgumentException("batch of " + m + " rows, buffers hold " + maxBatch);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }
}
