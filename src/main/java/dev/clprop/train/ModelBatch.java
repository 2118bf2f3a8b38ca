package dev.clprop.train;

import dev.clprop.data.Dataset;
import dev.clprop.device.Backend;
import dev.clprop.device.Tensor;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.DenseSpec;
import dev.clprop.model.DropoutSpec;
import dev.clprop.model.LayerSpec;
import dev.clprop.model.ParamShape;
import dev.clprop.model.Parameters;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.OptimizerState;
import dev.clprop.spi.RunConfig;
import dev.clprop.spi.StepRunner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * K models of one shape trained together on one device, each launch of {@link ModelBatchOps} covering
 * all of them: a sweep of learning rates, seeds, weight decays, momenta and dropout probabilities, or the
 * members of an ensemble. Each model has its own {@link StepRunner} ({@link #lane}), which its own
 * {@link TrainingLoop} drives on its own thread, so every model keeps the whole of a solo run's semantics
 * (its data order from its seed, its schedule, validation, early stopping, divergence). A lane's
 * {@code trainBatch} waits until every lane still training has asked for the same batch; the last to ask
 * runs the step for all. A lane that stops (early, or diverged) leaves the batch; its model's rows are
 * still computed but no longer read. Models with different data (a validation split drawn from each
 * seed) keep their own copies on the device; models with equal data share one.
 * What a batch cannot train yet ({@link #unsupported}) trains one model at a time instead.
 */
public final class ModelBatch implements AutoCloseable {
    /** Row numbers travel to the device as floats, exact up to here. */
    static final int MAX_ROWS = 1 << 24;

    private final Backend b;
    private final List<RunConfig> cfgs;
    private final int models, cap, trainRows, validationRows, outputs, stride;
    private final Loss loss;
    private final Optimizer.Kind kind;
    private final float clipNorm;
    private final boolean weighted;
    private final List<Stage> stages = new ArrayList<>();
    private final List<ParamShape> shapes;
    private final int[] offsets;
    private final int[] trainBase, validationBase;
    private final List<Tensor> owned = new ArrayList<>();
    private final Tensor x, y, vx, order, vorder, bx, by, params, grads, state1, state2, hyper, classWeights, coef, lossSum;
    private final float[] hyperHost, orderHost, paramsHost, classWeightsHost;
    private boolean hyperDirty = true, orderDirty = true, paramsDirty = true, classWeightsDirty = true;
    private final double[] banked;
    private final Lane[] lanes;
    /** Steps run (volatile: a lane reads it without the monitor, between steps, when no step can run). */
    private volatile long step;
    private int active, arrived;
    /** Times the rendezvous has run a step (or failed to); a parked lane watches it change (volatile: read without the monitor). */
    private volatile long generation;
    private volatile RuntimeException failure;
    private long cachedParamsStep = -1, cachedValidationStep = -1, bankedAtStep = -1;
    private float[] cachedParams;
    private float[][] cachedValidation;

    /** One layer of the plan: a dense layer or a dropout layer, its tensors for all K models. */
    private record Stage(int index, ModelBatchOps.DenseShape dense, Activation act, boolean lossFused, int dropoutField,
                         Tensor out, Tensor grad, Tensor pre) {
        /** What the activation's derivative is taken from: z where the layer keeps it (gelu, silu), else its output. */
        Tensor derivativeInput() {
            return pre != null ? pre : out;
        }
    }

    /**
     * Why these runs cannot train as one batch, or null when they can: one shape of dense and dropout
     * layers (dropout probabilities may differ), one loss, optimizer kind and β's, batch size, clipping,
     * class weighting, and as many training (and validation) rows each; no lockstep verification, no
     * checkpoint file.
     */
    public static String unsupported(List<RunConfig> cfgs, List<Dataset> trains, List<Dataset> validations) {
        RunConfig first = cfgs.get(0);
        Architecture a = first.architecture();
        List<LayerSpec> layers = a.layers();
        for (int i = 0; i < layers.size(); i++) {
            LayerSpec l = layers.get(i);
            if (!(l instanceof DenseSpec || l instanceof DropoutSpec)) return "layer " + (i + 1) + " ('" + l + "') is not one a model batch trains yet (dense and dropout are)";
            if (l instanceof DenseSpec d && d.activation() == Activation.SOFTMAX && (i != layers.size() - 1 || first.loss() != Loss.CROSS_ENTROPY)) {
                return "softmax is trained together only as the output of cross-entropy";
            }
        }
        if (!(layers.get(layers.size() - 1) instanceof DenseSpec)) return "the network does not end with a dense layer";
        long rows = 0;
        for (int k = 0; k < cfgs.size(); k++) {
            RunConfig c = cfgs.get(k);
            if (!sameShape(a, c.architecture())) return "the models' layers differ (" + a + ", " + c.architecture() + ")";
            if (c.loss() != first.loss()) return "the models' losses differ";
            Optimizer o = c.optimizer(), o0 = first.optimizer();
            if (o.kind() != o0.kind() || o.beta1() != o0.beta1() || o.beta2() != o0.beta2()) return "the models' optimizers differ in kind or betas";
            if (c.batch() != first.batch()) return "the models' batch sizes differ";
            if (c.clipNorm() != first.clipNorm()) return "the models' gradient clipping differs";
            if ((c.classWeights() == null) != (first.classWeights() == null)) return "some models weight classes and some do not";
            if (c.verifyEvery() > 0) return "lockstep verification (verifyEvery) checks one model at a time";
            if (c.checkpoint() != null) return "a checkpoint file is written for one model at a time";
            if (trains.get(k).rows() != trains.get(0).rows()) return "the models' training sets differ in size";
            Dataset v = validations == null ? null : validations.get(k), v0 = validations == null ? null : validations.get(0);
            if ((v == null) != (v0 == null) || (v != null && v.rows() != v0.rows())) return "the models' validation sets differ in size";
            rows += trains.get(k).rows() + (v == null ? 0 : v.rows());
        }
        if (rows >= MAX_ROWS) return "the models' rows together exceed " + MAX_ROWS;
        return null;
    }

    private static boolean sameShape(Architecture a, Architecture b) {
        if (a.inputs() != b.inputs() || a.layers().size() != b.layers().size()) return false;
        for (int i = 0; i < a.layers().size(); i++) {
            LayerSpec p = a.layers().get(i), q = b.layers().get(i);
            if (!(p instanceof DropoutSpec && q instanceof DropoutSpec) && !p.equals(q)) return false;
        }
        return true;
    }

    /**
     * Allocates the batch on {@code backend}: model k trains on {@code trains.get(k)} with
     * {@code cfgs.get(k)}, in batches of {@code batch} rows, watching {@code validations.get(k)} (the
     * list, or its elements, may be null). Throws IllegalArgumentException where {@link #unsupported} names a reason.
     */
    public ModelBatch(Backend backend, List<RunConfig> cfgs, List<Dataset> trains, List<Dataset> validations, int batch) {
        String why = unsupported(cfgs, trains, validations);
        if (why != null) throw new IllegalArgumentException(why);
        this.b = backend;
        this.cfgs = List.copyOf(cfgs);
        models = cfgs.size();
        cap = batch;
        RunConfig first = cfgs.get(0);
        Architecture arch = first.architecture();
        outputs = arch.outputs();
        loss = first.loss();
        kind = first.optimizer().kind();
        clipNorm = first.clipNorm();
        weighted = first.classWeights() != null;
        trainRows = trains.get(0).rows();
        boolean hasValidation = validations != null && validations.get(0) != null;
        validationRows = hasValidation ? validations.get(0).rows() : 0;
        shapes = arch.parameterShapes();
        offsets = new int[shapes.size()];
        int p = 0;
        for (int i = 0; i < shapes.size(); i++) {
            offsets[i] = p;
            p += shapes.get(i).size();
        }
        stride = p;
        banked = new double[models];
        lanes = new Lane[models];
        for (int k = 0; k < models; k++) lanes[k] = new Lane(k);
        active = models;
        trainBase = new int[models];
        validationBase = new int[models];
        try {
            // the distinct training sets, and validation sets, each once
            List<Dataset> distinct = distinct(trains, trainBase);
            x = upload(concat(distinct, true), rowsOf(distinct), arch.inputs());
            y = upload(concat(distinct, false), rowsOf(distinct), outputs);
            if (hasValidation) {
                List<Dataset> vd = distinct(validations, validationBase);
                vx = upload(concat(vd, true), rowsOf(vd), arch.inputs());
                vorder = own(models, validationRows);
                float[] vorderHost = new float[models * validationRows];
                for (int k = 0; k < models; k++) for (int i = 0; i < validationRows; i++) vorderHost[k * validationRows + i] = validationBase[k] + i;
                b.upload(vorder, vorderHost);
            } else {
                vx = null;
                vorder = null;
            }
            order = own(models, trainRows);
            orderHost = new float[models * trainRows]; // each lane sets its order before its first step
            bx = own(models * cap, arch.inputs());
            by = own(models * cap, outputs);
            params = own(models, stride);
            paramsHost = new float[models * stride];
            grads = zeros(models, stride);
            int slots = kind.slots().size();
            state1 = slots > 0 ? zeros(models, stride) : null;
            state2 = slots > 1 ? zeros(models, stride) : null;
            int dropouts = 0;
            for (LayerSpec l : arch.layers()) if (l instanceof DropoutSpec) dropouts++;
            int hyperCols = ModelBatchOps.Hyper.fixedColumns() + 2 * dropouts;
            hyper = own(models, hyperCols);
            hyperHost = new float[models * hyperCols];
            classWeights = weighted ? own(models, outputs) : null;
            classWeightsHost = weighted ? new float[models * outputs] : null;
            coef = clipNorm > 0 ? zeros(models, 1) : null;
            lossSum = zeros(models, 1);
            planStages(arch);
            for (int k = 0; k < models; k++) writeHyper(k, cfgs.get(k).optimizer());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void planStages(Architecture arch) {
        int param = 0, dropout = 0;
        List<LayerSpec> layers = arch.layers();
        for (int i = 0; i < layers.size(); i++) {
            int in = arch.widthBefore(i), n = arch.widthAfter(i);
            boolean last = i == layers.size() - 1;
            if (layers.get(i) instanceof DenseSpec d) {
                int w = param++;
                int bias = d.bias() ? param++ : -1;
                var shape = new ModelBatchOps.DenseShape(in, n, stride, offsets[w], bias < 0 ? -1 : offsets[bias]);
                stages.add(new Stage(i, shape, d.activation(), last && loss.fusedWithOutputActivation(), -1,
                        own(models * cap, n), own(models * cap, n), d.activation().derivativeNeedsInput() ? own(models * cap, n) : null));
            } else {
                int field = ModelBatchOps.Hyper.fixedColumns() + 2 * dropout++;
                stages.add(new Stage(i, null, null, false, field, own(models * cap, n), own(models * cap, n), null));
            }
        }
    }

    /** Model k's settings into its hyper row: its optimizer's now, its seed, its dropout layers' draws. */
    private void writeHyper(int k, Optimizer o) {
        int h = hyper.cols(), at = k * h;
        hyperHost[at + ModelBatchOps.Hyper.LR.column()] = o.learningRate();
        hyperHost[at + ModelBatchOps.Hyper.MOMENTUM.column()] = o.momentum();
        hyperHost[at + ModelBatchOps.Hyper.BETA1.column()] = o.beta1();
        hyperHost[at + ModelBatchOps.Hyper.BETA2.column()] = o.beta2();
        hyperHost[at + ModelBatchOps.Hyper.EPSILON.column()] = o.epsilon();
        hyperHost[at + ModelBatchOps.Hyper.GRADIENT_DECAY.column()] = o.gradientDecay();
        hyperHost[at + ModelBatchOps.Hyper.PARAMETER_DECAY.column()] = o.parameterDecay();
        ModelBatchOps.putU64(hyperHost, at + ModelBatchOps.Hyper.SEED.column(), cfgs.get(k).seed());
        List<LayerSpec> layers = cfgs.get(k).architecture().layers();
        for (Stage s : stages) {
            if (s.dense != null) continue;
            DropoutSpec d = (DropoutSpec) layers.get(s.index);
            hyperHost[at + s.dropoutField] = d.threshold();
            hyperHost[at + s.dropoutField + 1] = d.scale();
        }
        hyperDirty = true;
    }

    private static List<Dataset> distinct(List<Dataset> sets, int[] base) {
        List<Dataset> out = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        int next = 0;
        for (int k = 0; k < sets.size(); k++) {
            Dataset d = sets.get(k);
            int found = -1;
            for (int j = 0; j < out.size() && found < 0; j++) if (sameRows(out.get(j), d)) found = j;
            if (found < 0) {
                out.add(d);
                starts.add(next);
                next += d.rows();
                found = out.size() - 1;
            }
            base[k] = starts.get(found);
        }
        return out;
    }

    private static boolean sameRows(Dataset a, Dataset b) {
        if (a == b) return true;
        if (a.rows() != b.rows() || a.isClassification() != b.isClassification()) return false;
        if (!Arrays.equals(a.featureMatrix(), b.featureMatrix())) return false;
        if (a.isClassification()) {
            for (int r = 0; r < a.rows(); r++) if (a.label(r) != b.label(r)) return false;
            return true;
        }
        return Arrays.equals(a.targetValues(), b.targetValues());
    }

    private float[] concat(List<Dataset> sets, boolean features) {
        int n = 0;
        List<float[]> parts = new ArrayList<>();
        for (Dataset d : sets) {
            float[] part = features ? d.featureMatrix() : d.targetMatrix(outputs);
            parts.add(part);
            n += part.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private static int rowsOf(List<Dataset> sets) {
        int n = 0;
        for (Dataset d : sets) n += d.rows();
        return n;
    }

    private Tensor upload(float[] values, int rows, int cols) {
        Tensor t = own(rows, cols);
        b.upload(t, values);
        return t;
    }

    private Tensor own(int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        owned.add(t);
        return t;
    }

    private Tensor zeros(int rows, int cols) {
        return upload(new float[rows * cols], rows, cols);
    }

    /** The runner of model k, for its own {@link TrainingLoop}; close it when the loop returns. */
    public StepRunner lane(int k) {
        return lanes[k];
    }

    /** How many models train together. */
    public int models() {
        return models;
    }

    /** Training rows held on the device: equal training sets are stored once. */
    int storedTrainingRows() {
        return x.rows();
    }

    private void flush() {
        if (paramsDirty) b.upload(params, paramsHost);
        if (orderDirty) b.upload(order, orderHost);
        if (hyperDirty) b.upload(hyper, hyperHost);
        if (classWeightsDirty && weighted) b.upload(classWeights, classWeightsHost);
        paramsDirty = orderDirty = hyperDirty = classWeightsDirty = false;
    }

    /** One optimizer step of every model, on rows offset .. offset + m - 1 of each one's order. */
    private void runStep(int offset, int m) {
        flush();
        int maskStep = (int) (step + 1);
        b.run(new ModelBatchOps.Gather(models, cap, trainRows, offset), new Tensor[]{x, y, order, bx, by}, m);
        Tensor out = forward(m, maskStep);
        Stage last = stages.get(stages.size() - 1);
        // in training the output layer's softmax is the loss launch's first part
        b.run(new ModelBatchOps.LossGradient(models, cap, loss, last.act == Activation.SOFTMAX), new Tensor[]{out, by, last.grad, lossSum, classWeights}, m);
        boolean derivativeApplied = false;
        for (int l = stages.size() - 1; l >= 0; l--) {
            Stage s = stages.get(l);
            Tensor input = l == 0 ? bx : stages.get(l - 1).out;
            Tensor inputGrad = l == 0 ? null : stages.get(l - 1).grad;
            if (s.dense != null) {
                if (!s.lossFused && s.act != Activation.LINEAR && !derivativeApplied) {
                    b.run(new ModelBatchOps.ActivationBackward(models, cap, s.act), new Tensor[]{s.grad, s.derivativeInput()}, m);
                }
                b.run(new ModelBatchOps.WeightGrad(models, cap, s.dense), new Tensor[]{s.grad, input, grads}, m);
                // a dense layer below takes its activation's derivative in this launch
                Stage below = l == 0 ? null : stages.get(l - 1);
                derivativeApplied = below != null && below.dense != null;
                if (inputGrad != null) {
                    Activation act = derivativeApplied ? below.act : Activation.LINEAR;
                    b.run(new ModelBatchOps.BackwardData(models, cap, s.dense, act),
                            new Tensor[]{s.grad, params, inputGrad, derivativeApplied ? below.derivativeInput() : null}, m);
                }
            } else if (inputGrad != null) {
                derivativeApplied = false;
                b.run(new ModelBatchOps.Dropout(models, cap, s.dropoutField, maskStep, s.index), new Tensor[]{s.grad, inputGrad, hyper}, m);
            }
        }
        step++;
        if (clipNorm > 0) b.run(new ModelBatchOps.ClipCoefficient(models, clipNorm), new Tensor[]{grads, coef}, 1);
        Optimizer o = cfgs.get(0).optimizer();
        boolean moments = kind.usesMoments();
        float bc1 = moments ? o.biasCorrection1(step) : 1f, sqrtBc2 = moments ? (float) Math.sqrt(o.biasCorrection2(step)) : 1f;
        b.run(new ModelBatchOps.Update(models, kind, bc1, sqrtBc2), new Tensor[]{params, grads, state1, state2, hyper, clipNorm > 0 ? coef : null}, 1);
    }

    /**
     * The forward pass of bx's first m rows per model; maskStep > 0 trains (draws dropout masks, and
     * leaves a softmax output's logits for the loss launch), 0 infers. Returns the output tensor.
     */
    private Tensor forward(int m, int maskStep) {
        Tensor in = bx;
        for (Stage s : stages) {
            if (s.dense != null) {
                boolean softmax = s.act == Activation.SOFTMAX;
                b.run(new ModelBatchOps.DenseForward(models, cap, s.dense, softmax ? Activation.LINEAR : s.act), new Tensor[]{in, params, s.pre, s.out}, m);
                // in training the loss launch applies the softmax
                if (softmax && maskStep == 0) b.run(new ModelBatchOps.Softmax(models, cap), new Tensor[]{s.out}, m);
                in = s.out;
            } else if (maskStep > 0) {
                b.run(new ModelBatchOps.Dropout(models, cap, s.dropoutField, maskStep, s.index), new Tensor[]{in, s.out, hyper}, m);
                in = s.out;
            }
        }
        return in;
    }

    private float[] parametersNow() {
        if (cachedParamsStep != step || cachedParams == null) {
            flush();
            cachedParams = new float[models * stride];
            b.download(params, cachedParams);
            cachedParamsStep = step;
        }
        return cachedParams;
    }

    private float[][] validationNow() {
        if (cachedValidationStep != step || cachedValidation == null) {
            flush();
            float[][] outs = new float[models][validationRows * outputs];
            float[] chunk = new float[models * cap * outputs];
            for (int off = 0; off < validationRows; off += cap) {
                int m = Math.min(cap, validationRows - off);
                b.run(new ModelBatchOps.Gather(models, cap, validationRows, off), new Tensor[]{vx, null, vorder, bx, null}, m);
                Tensor out = forward(m, 0);
                b.download(out, chunk);
                for (int k = 0; k < models; k++) System.arraycopy(chunk, k * cap * outputs, outs[k], off * outputs, m * outputs);
            }
            cachedValidation = outs;
            cachedValidationStep = step;
        }
        return cachedValidation;
    }

    // ---- the lanes' rendezvous: the methods below hold this object's monitor, except where a lane waits or reads
    // without it (arrive's parking, the step count, an unchanged learning rate)

    private void arrive(Lane lane, int offset, int m) {
        long gen;
        synchronized (this) {
            if (failure != null) throw failure;
            if (lane.closed) throw new IllegalStateException("model " + lane.k + " has left the batch");
            lane.offset = offset;
            lane.m = m;
            lane.waiting = true;
            lane.thread = Thread.currentThread();
            arrived++;
            gen = generation;
            if (arrived == active) advance();
        }
        // a waiting lane parks outside the monitor, and the step's runner unparks each one: notifyAll
        // woke every lane to queue for the monitor in turn, a convoy that cost more than the step
        boolean interrupted = false;
        while (gen == generation && failure == null) {
            LockSupport.park(this);
            // an interrupt is kept for the loop to see after the step, not spun on
            if (Thread.interrupted()) interrupted = true;
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (failure != null) throw failure;
    }

    /** Runs the step the waiting lanes asked for, then wakes them. Holds the monitor. */
    private void advance() {
        Lane any = null;
        for (Lane l : lanes) {
            if (!l.waiting) continue;
            if (any != null && (l.offset != any.offset || l.m != any.m)) {
                failure = new IllegalStateException("models " + any.k + " and " + l.k + " asked for different batches (rows " + any.offset + "+" + any.m
                        + ", " + l.offset + "+" + l.m + ")");
            }
            any = l;
        }
        try {
            if (failure == null && any != null) runStep(any.offset, any.m);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            arrived = 0;
            generation++;
            for (Lane l : lanes) {
                if (l.waiting) LockSupport.unpark(l.thread);
                l.waiting = false;
            }
        }
    }

    private synchronized void leave(Lane lane) {
        if (lane.closed) return;
        lane.closed = true;
        active--;
        if (active > 0 && arrived == active && failure == null) advance();
    }

    private synchronized double takeLossSum(int k) {
        // every lane takes its sum at the same step (an epoch's end): one read serves them all
        if (bankedAtStep != step) {
            float[] now = new float[models];
            b.download(lossSum, now);
            b.zero(lossSum);
            for (int j = 0; j < models; j++) banked[j] += now[j];
            bankedAtStep = step;
        }
        double v = banked[k];
        banked[k] = 0;
        return v;
    }

    private synchronized Parameters parameters(int k) {
        float[] all = parametersNow();
        Architecture arch = cfgs.get(k).architecture();
        Map<String, float[]> v = new LinkedHashMap<>();
        for (int i = 0; i < shapes.size(); i++) {
            v.put(shapes.get(i).name(), Arrays.copyOfRange(all, k * stride + offsets[i], k * stride + offsets[i] + shapes.get(i).size()));
        }
        return new Parameters(arch, v);
    }

    private synchronized void setParameters(int k, Parameters p) {
        if (step > 0) throw new IllegalStateException("a model batch takes its models' weights before its first step");
        for (int i = 0; i < shapes.size(); i++) System.arraycopy(p.get(shapes.get(i).name()), 0, paramsHost, k * stride + offsets[i], shapes.get(i).size());
        paramsDirty = true;
    }

    private synchronized void setOrder(int k, int[] perm) {
        for (int i = 0; i < trainRows; i++) {
            if (perm[i] < 0 || perm[i] >= trainRows) throw new IllegalArgumentException("row " + perm[i] + " of an order over " + trainRows + " rows");
            orderHost[k * trainRows + i] = trainBase[k] + perm[i];
        }
        orderDirty = true;
    }

    private void setLearningRate(Lane lane, float rate) {
        // each step asks; only a change takes the monitor, which sixteen lanes would otherwise queue for
        if (rate == lane.optimizer.learningRate()) return;
        synchronized (this) {
            lane.optimizer = lane.optimizer.withLearningRate(rate);
            writeHyper(lane.k, lane.optimizer);
        }
    }

    private synchronized void setClassWeights(int k, float[] w) {
        if ((w != null) != weighted) throw new IllegalStateException("class weights are set for all models of a batch or for none");
        if (w == null) return;
        if (w.length != outputs) throw new dev.clprop.error.InvalidSettingException("classWeights", "has " + w.length + " weights for " + outputs + " classes");
        System.arraycopy(w, 0, classWeightsHost, k * outputs, outputs);
        classWeightsDirty = true;
    }

    private synchronized float[] validationOutputs(int k) {
        if (vx == null) throw new IllegalStateException("no validation rows were given");
        return validationNow()[k].clone();
    }

    private long currentStep() {
        return step;
    }

    @Override
    public synchronized void close() {
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }

    /** Model k's view of the batch. */
    private final class Lane implements StepRunner {
        final int k;
        Optimizer optimizer;
        int offset, m;
        boolean waiting, closed;
        /** The thread that last asked for a step (unparked when the step has run). */
        Thread thread;

        Lane(int k) {
            this.k = k;
            this.optimizer = cfgs.get(k).optimizer();
        }

        @Override
        public String name() {
            return b.name() + " (one of " + models + " models trained together)";
        }

        @Override
        public void setParameters(Parameters p) {
            ModelBatch.this.setParameters(k, p);
        }

        @Override
        public void setOptimizerState(OptimizerState s) {
            throw new IllegalStateException("a model batch starts its models afresh; resume them one at a time");
        }

        @Override
        public void setClipNorm(float maxNorm) {
            if (maxNorm != clipNorm) throw new IllegalStateException("model " + k + " clips at " + maxNorm + ", the batch at " + clipNorm);
        }

        @Override
        public void setClassWeights(float[] weights) {
            ModelBatch.this.setClassWeights(k, weights);
        }

        @Override
        public void setLearningRate(float rate) {
            ModelBatch.this.setLearningRate(this, rate);
        }

        @Override
        public long step() {
            return currentStep();
        }

        @Override
        public void setOrder(int[] order) {
            ModelBatch.this.setOrder(k, order);
        }

        @Override
        public void trainBatch(int offset, int m) {
            arrive(this, offset, m);
        }

        @Override
        public double takeLossSum() {
            return ModelBatch.this.takeLossSum(k);
        }

        @Override
        public Parameters parameters() {
            return ModelBatch.this.parameters(k);
        }

        @Override
        public OptimizerState optimizerState() {
            throw new IllegalStateException("a model batch keeps no checkpoints");
        }

        @Override
        public float[] validationOutputs() {
            return ModelBatch.this.validationOutputs(k);
        }

        @Override
        public void beginVerify() {
            // refused by unsupported(): verifyEvery is 0
        }

        @Override
        public String endVerify(String what) {
            return null;
        }

        @Override
        public void close() {
            leave(this);
        }
    }
}
