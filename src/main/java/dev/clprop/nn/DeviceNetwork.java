package dev.clprop.nn;

import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.OptimizerState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A network living on one backend: its layers (which own parameters, gradients and batch-sized
 * buffers), the optimizer's state per parameter and slot, and a device-side loss sum, all allocated
 * once. A training step is a fixed sequence of backend ops with no host round trip; the same code
 * drives EJML and OpenCL, so the two paths differ only in their ops. Not thread-safe.
 */
public final class DeviceNetwork implements AutoCloseable {
    private final Backend backend;
    private final Architecture architecture;
    private final Loss loss;
    private Optimizer optimizer;
    private final int maxBatch;
    private final long seed;
    private final List<Layer> layers = new ArrayList<>();
    private final List<Param> params = new ArrayList<>();
    /** The layers' non-trainable buffers (batchnorm's running statistics), by name: moved by their layers, never by the optimizer. */
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    /** The parameters' values and gradients, in {@link #params} order. */
    private List<Tensor> values, gradients;
    /** Per optimizer slot: one tensor per parameter, in {@link #params} order. */
    private final List<List<Tensor>> slots = new ArrayList<>();
    /** Momentum's buffer of each parameter (its first slot), for layers that step during the backward pass; else null. */
    private Map<Param, Tensor> velocities;
    /** Kept between {@link #trainStep}s: the parameters the layers stepped in the backward pass, and the rest's values, gradients and velocities. */
    private final Set<Param> stepped = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Tensor> restValues = new ArrayList<>(), restGradients = new ArrayList<>(), restMomentum = new ArrayList<>();
    private final List<Tensor> owned = new ArrayList<>();
    private final Tensor lossSum;
    private long step;
    /** Gradient clipping: the global norm's limit (0: off), partial sums of squares, the factor, each parameter's first partial. */
    private float clipNorm;
    private Tensor partials, clipCoef;
    private int[] partialOffsets;
    private int partialCount;
    /** Cross-entropy class weights on the device, or null. */
    private Tensor classWeights;

    /**
     * @param optimizer null for a network that only runs forward (evaluation, prediction)
     * @param seed keys the randomness of layers that have some, so every backend draws the same
     */
    public DeviceNetwork(Backend backend, Architecture architecture, Loss loss, Optimizer optimizer, int maxBatch, long seed) {
        loss.checkOutput(architecture.outputActivation());
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch " + maxBatch);
        this.backend = backend;
        this.architecture = architecture;
        this.loss = loss;
        this.optimizer = optimizer;
        this.maxBatch = maxBatch;
        this.seed = seed;
        checkCapacity(backend, architecture, optimizer, maxBatch);
        try {
            // values, gradients and each optimizer slot are one allocation apiece where the backend can,
            // so that the update of every parameter is one launch
            List<ParamShape> shapes = architecture.parameterShapes();
            List<int[]> dims = new ArrayList<>();
            for (ParamShape s : shapes) dims.add(new int[]{s.rows(), s.cols()});
            List<Tensor> values = ownAll(dims), grads = ownAll(dims);
            for (int i = 0; i < shapes.size(); i++) params.add(new Param(shapes.get(i), values.get(i), grads.get(i)));
            int next = 0, ordinal = 0;
            for (int i = 0; i < architecture.layers().size(); i++) {
                dev.clprop.model.LayerSpec spec = architecture.layers().get(i);
                if (spec.hasParameters()) ordinal++;
                int count = spec.parameterShapes(architecture.widthBefore(i), 1).size();
                List<Tensor> layerBuffers = new ArrayList<>();
                for (ParamShape b : spec.bufferShapes(architecture.widthBefore(i), ordinal)) {
                    Tensor t = own(b.rows(), b.cols());
                    buffers.put(b.name(), t);
                    layerBuffers.add(t);
                }
                boolean last = i == architecture.layers().size() - 1;
                layers.add(Layers.create(backend, architecture, i, params.subList(next, next + count), layerBuffers, maxBatch, last ? loss : null));
                next += count;
            }
            // a dense layer on a dense layer applies the lower one's derivative as it passes the gradient back
            for (int i = 1; i < layers.size(); i++) {
                if (layers.get(i) instanceof DenseLayer above && layers.get(i - 1) instanceof DenseLayer below) above.takeDerivativeOf(below);
            }
            this.values = values;
            this.gradients = grads;
            int nSlots = optimizer == null ? 0 : optimizer.kind().slots().size();
            for (int k = 0; k < nSlots; k++) slots.add(ownAll(dims));
            if (optimizer != null && optimizer.kind() == Optimizer.Kind.MOMENTUM) {
                velocities = new IdentityHashMap<>();
                for (int i = 0; i < params.size(); i++) velocities.put(params.get(i), slots.get(0).get(i));
            }
            lossSum = own(1, 1);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Refuses, before allocating anything, a network the backend cannot hold: parameters, gradients and
     * optimizer state, each layer's batch-sized buffers ({@link Layers#floatsPerRow}), and the GEMMs' own
     * working memory.
     */
    static void checkCapacity(Backend b, Architecture a, Optimizer opt, int maxBatch) {
        int copies = 2 + (opt == null ? 0 : opt.kind().slots().size());
        Backend.GemmWorkspace gemm = b.gemmWorkspace(maxBatch, a.parameterShapes().stream().filter(p -> !p.vector()).toList());
        long bytes = 4L * copies * a.parameterCount() + gemm.bytes();
        long largest = gemm.largestBufferBytes();
        for (ParamShape p : a.parameterShapes()) largest = Math.max(largest, 4L * p.size());
        for (int i = 0; i < a.layers().size(); i++) {
            long t = 4L * maxBatch * a.widthAfter(i);
            bytes += 4L * maxBatch * Layers.floatsPerRow(a.layers().get(i), a.widthBefore(i));
            largest = Math.max(largest, t);
        }
        if (largest > b.maxTensorBytes() || bytes > b.capacityBytes()) {
            throw new dev.clprop.error.InvalidSettingException("architecture", "'" + a + "' needs " + (bytes >> 20) + " MiB on " + b.name()
                    + (largest > b.maxTensorBytes() ? ", with one buffer of " + (largest >> 20) + " MiB where the largest possible is " + (b.maxTensorBytes() >> 20) + " MiB"
                    : ", which has " + (b.capacityBytes() >> 20) + " MiB") + "; use fewer units or a smaller batch");
        }
    }

    private List<Tensor> ownAll(List<int[]> dims) {
        List<Tensor> t = backend.allocateAll(dims);
        owned.addAll(t);
        return t;
    }

    private Tensor own(int rows, int cols) {
        Tensor t = backend.allocate(rows, cols);
        owned.add(t);
        return t;
    }

    /** The backend the network lives on. */
    public Backend backend() {
        return backend;
    }

    /** The network's architecture. */
    public Architecture architecture() {
        return architecture;
    }

    /** The loss it trains with. */
    public Loss loss() {
        return loss;
    }

    /** The optimizer it updates with, or null for inference only. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The largest batch its buffers hold. */
    public int maxBatch() {
        return maxBatch;
    }

    /** The layers on the device, in order. */
    public List<Layer> layers() {
        return layers;
    }

    /** The learning rate of the next updates (a schedule changes it step by step). */
    public void setLearningRate(float learningRate) {
        if (learningRate != optimizer.learningRate()) optimizer = optimizer.withLearningRate(learningRate);
    }

    /**
     * Clips the gradients before each update so that their global L2 norm over every parameter is at
     * most {@code maxNorm} (torch.nn.utils.clip_grad_norm_), computed on the device; 0 turns it off.
     */
    public void setClipNorm(float maxNorm) {
        if (!(maxNorm >= 0) || !Float.isFinite(maxNorm)) throw new dev.clprop.error.InvalidSettingException("clipNorm", "must be a number >= 0, got " + maxNorm);
        clipNorm = maxNorm;
        if (maxNorm == 0 || partials != null) return;
        partialOffsets = new int[params.size()];
        for (int i = 0; i < params.size(); i++) {
            partialOffsets[i] = partialCount;
            partialCount += (params.get(i).shape().size() + Backend.SQUARES_CHUNK - 1) / Backend.SQUARES_CHUNK;
        }
        partials = own(1, partialCount);
        clipCoef = own(1, 1);
    }

    /** Weights the cross-entropy of each class (torch.nn.CrossEntropyLoss(weight=w)); null for none. */
    public void setClassWeights(float[] weights) {
        if (weights == null) {
            classWeights = null;
            return;
        }
        if (loss != Loss.CROSS_ENTROPY) throw new dev.clprop.error.InvalidSettingException("classWeights", "apply to cross-entropy only, not " + loss);
        if (weights.length != architecture.outputs()) {
            throw new dev.clprop.error.InvalidSettingException("classWeights", "has " + weights.length + " weights for " + architecture.outputs() + " classes");
        }
        if (classWeights == null) classWeights = own(1, weights.length);
        backend.upload(classWeights, weights);
    }

    /** Optimizer steps taken so far (Adam's t). */
    public long step() {
        return step;
    }

    /** Sets the optimizer step counter (for a resumed run). */
    public void setStep(long step) {
        this.step = step;
    }

    /** Forward pass over the first m rows of x (maxBatch × inputs); the result is {@link #output()}. */
    public void forward(Tensor x, int m, Pass pass) {
        checkBatch(m);
        Tensor in = x;
        for (Layer l : layers) {
            l.forward(in, m, pass);
            in = l.output();
        }
    }

    /**
     * Backward pass after a training {@link #forward}: fills every gradient and adds the batch loss to
     * the device-side loss sum (read with {@link #takeLossSum()}).
     */
    public void backward(Tensor x, Tensor y, int m, Pass pass) {
        backward(x, y, m, pass, null);
    }

    /** {@link #backward}, with layers taking SGD's step where they can ({@code sgd} not null), the parameters they stepped in {@link #stepped}. */
    private void backward(Tensor x, Tensor y, int m, Pass pass, Optimizer sgd) {
        checkBatch(m);
        Layer last = layers.get(layers.size() - 1);
        if (classWeights != null) backend.weightedLossGradient(last.output(), y, classWeights, m, last.outputGradient(), lossSum);
        else backend.lossGradient(loss, last.output(), y, m, last.outputGradient(), lossSum);
        stepped.clear();
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            Tensor input = i == 0 ? x : layers.get(i - 1).output(), inputGradient = i == 0 ? null : layers.get(i - 1).outputGradient();
            if (sgd == null) l.backward(input, inputGradient, m, pass);
            else stepped.addAll(l.backwardAndStep(input, inputGradient, m, pass, sgd, velocities));
        }
    }

    /** One optimizer update of every parameter from the current gradients (clipped first when asked). */
    public void update() {
        if (clipNorm > 0) {
            for (int i = 0; i < params.size(); i++) backend.sumOfSquares(params.get(i).gradient(), partials, partialOffsets[i]);
            backend.clipCoefficient(partials, partialCount, clipNorm, clipCoef);
            for (Param p : params) backend.scale(p.gradient(), clipCoef);
        }
        step++;
        backend.optimizerStepAll(optimizer, step, values, gradients, slots.size() > 0 ? slots.get(0) : null, slots.size() > 1 ? slots.get(1) : null);
    }

    /**
     * forward, backward and update on the first m rows of x and y, as optimizer step {@link #step()} + 1.
     * With SGD (plain or with momentum) and no clipping, layers that can take their parameters' step as
     * they form the gradients do ({@link Layer#backwardAndStep}): a dense layer's gradients are then not kept.
     */
    public void trainStep(Tensor x, Tensor y, int m) {
        if ((optimizer.kind() != Optimizer.Kind.SGD && optimizer.kind() != Optimizer.Kind.MOMENTUM) || clipNorm > 0) {
            computeGradients(x, y, m, 0);
            update();
            return;
        }
        Pass pass = Pass.training(seed, step + 1);
        forward(x, m, pass);
        backward(x, y, m, pass, optimizer);
        step++;
        List<Tensor> momentum = slots.isEmpty() ? null : slots.get(0);
        if (stepped.isEmpty()) {
            backend.optimizerStepAll(optimizer, step, values, gradients, momentum, null);
            return;
        }
        restValues.clear();
        restGradients.clear();
        restMomentum.clear();
        for (int i = 0; i < params.size(); i++) {
            if (stepped.contains(params.get(i))) continue;
            restValues.add(values.get(i));
            restGradients.add(gradients.get(i));
            if (momentum != null) restMomentum.add(momentum.get(i));
        }
        if (!restValues.isEmpty()) backend.optimizerStepAll(optimizer, step, restValues, restGradients, momentum == null ? null : restMomentum, null);
    }

    /**
     * forward and backward, no update, on the first m rows of x and y, which are rows
     * {@code firstRow}.. of optimizer step {@link #step()} + 1's batch (what a replica in data-parallel
     * training computes: its share of the batch, with that share's dropout masks).
     */
    public void computeGradients(Tensor x, Tensor y, int m, int firstRow) {
        Pass pass = Pass.training(seed, step + 1).fromRow(firstRow);
        forward(x, m, pass);
        backward(x, y, m, pass);
    }

    /** Copies every gradient, in {@link #parameterShapes()} order, into {@code into} (one array per parameter). */
    public void readGradients(float[][] into) {
        backend.downloadAll(gradients, into);
    }

    /** Replaces every gradient, in {@link #parameterShapes()} order (e.g. by gradients combined across replicas). */
    public void writeGradients(float[][] from) {
        backend.uploadAll(gradients, from);
    }

    /** The names of the layers' non-trainable buffers (batchnorm's running statistics), in the order they are read and written. */
    public List<String> bufferNames() {
        return List.copyOf(buffers.keySet());
    }

    /** Copies every buffer, in {@link #bufferNames()} order, into {@code into}. */
    public void readBuffers(float[][] into) {
        int i = 0;
        for (Tensor t : buffers.values()) backend.download(t, into[i++]);
    }

    /** Replaces every buffer, in {@link #bufferNames()} order (e.g. by running statistics combined across replicas). */
    public void writeBuffers(float[][] from) {
        int i = 0;
        for (Tensor t : buffers.values()) backend.upload(t, from[i++]);
    }

    /** The shapes of the parameters, in the order gradients are read and written. */
    public List<ParamShape> parameterShapes() {
        List<ParamShape> out = new ArrayList<>();
        for (Param p : params) out.add(p.shape());
        return out;
    }

    /** The output layer's activations after the last forward pass (maxBatch × outputs). */
    public Tensor output() {
        return layers.get(layers.size() - 1).output();
    }

    /** Output of layer i (0-based) after the last forward pass. */
    public Tensor layerOutput(int i) {
        return layers.get(i).output();
    }

    /** Reads the loss accumulated since the last call and resets it (one small device read). */
    public float takeLossSum() {
        float[] v = new float[1];
        backend.download(lossSum, v);
        backend.zero(lossSum);
        return v[0];
    }

    /** Uploads the parameters and the layers' buffers. */
    public void setParameters(Parameters p) {
        if (!p.architecture().equals(architecture)) throw new IllegalArgumentException("parameters for " + p.architecture() + ", network is " + architecture);
        for (Param q : params) backend.upload(q.value(), p.get(q.name()));
        buffers.forEach((name, t) -> backend.upload(t, p.get(name)));
    }

    /** Downloads the parameters and the layers' buffers. */
    public Parameters parameters() {
        return collect(false);
    }

    /**
     * The last computed gradients ({@link #backward}), named as the parameters (a buffer's, which nothing trains,
     * is zero). Not after {@link #trainStep} with SGD or momentum, which may take steps without keeping them.
     */
    public Parameters gradients() {
        return collect(true);
    }

    private Parameters collect(boolean gradients) {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (Param q : params) {
            float[] a = new float[q.shape().size()];
            backend.download(gradients ? q.gradient() : q.value(), a);
            v.put(q.name(), a);
        }
        buffers.forEach((name, t) -> {
            float[] a = new float[t.size()];
            if (!gradients) backend.download(t, a);
            v.put(name, a);
        });
        // in the architecture's order, parameters and buffers layer by layer
        Map<String, float[]> ordered = new LinkedHashMap<>();
        for (ParamShape s : architecture.stateShapes()) ordered.put(s.name(), v.get(s.name()));
        return new Parameters(architecture, ordered);
    }

    /** The optimizer's step count and state, downloaded. */
    public OptimizerState optimizerState() {
        Map<String, float[][]> m = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            float[][] a = new float[slots.size()][];
            for (int k = 0; k < a.length; k++) {
                a[k] = new float[params.get(i).shape().size()];
                backend.download(slots.get(k).get(i), a[k]);
            }
            m.put(params.get(i).name(), a);
        }
        return new OptimizerState(optimizer.kind(), step, m);
    }

    /** Uploads the optimizer state and its step. */
    public void setOptimizerState(OptimizerState state) {
        if (state.kind() != optimizer.kind()) throw new IllegalArgumentException("state of " + state.kind() + " for a " + optimizer.kind() + " network");
        for (int i = 0; i < params.size(); i++) {
            float[][] a = state.slots().get(params.get(i).name());
            for (int k = 0; k < slots.size(); k++) backend.upload(slots.get(k).get(i), a[k]);
        }
        step = state.step();
    }

    private void checkBatch(int m) {
        if (m < 1 || m > maxBatch) throw new IllegalArgumentException("batch of " + m + " rows, buffers hold " + maxBatch);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
        for (int i = layers.size() - 1; i >= 0; i--) layers.get(i).close();
        layers.clear();
    }
}
