package dev.clprop.device.opencl;

import dev.clprop.device.DeviceOps;
import dev.clprop.device.DeviceMemory;
import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.KernelLauncher;
import dev.clprop.device.KernelOp;
import dev.clprop.device.Tensor;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.ParamShape;
import dev.clprop.optim.Optimizer;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops of a training step as OpenCL kernels on one device. Ops are queued on one in-order
 * queue and never wait; only downloads block. Programs are built once per backend (one context
 * on one device). Every launch names its arguments ({@link ClKernel}). With {@link #setProfiling}
 * on, every launch is timed by its profiling event. Not thread-safe.
 */
public final class OpenClBackend implements Backend, ClKernel.EventSink {
    private final ClContext ctx;
    private final GemmConfig gemmConfig;
    private final List<ClProgram> programs = new ArrayList<>();
    private final long buildNanos;
    /** The GEMM family's kernels: the three products, chosen and tuned by {@link GemmConfig}. */
    private final GemmKernels gemm;
    private final ClKernel biasActivation, biasSoftmax, activationForward, activationBackward, layerNormForward, layerNormBackwardData, layerNormBackwardParams, batchNormTrain, batchNormEval, batchNormBackward, softmaxBackward, lossGradient, columnSums, sgd, momentum, adam, gatherRows, gatherBatch, dropout,
            weightedLossGradient, sumSquares, clipCoefficient, scaleBy;
    /**
     * Scratch, grown to the largest size seen: per-row loss terms and row weights, and a weight total.
     */
    /** Programs and kernels of the ops layer kinds bring ({@link #run}), by kernel file (and kernel name). */
    private final Map<String, ClProgram> opPrograms = new LinkedHashMap<>();
    private final Map<String, Map<String, ClKernel>> opKernels = new LinkedHashMap<>();
    /** Host copy of a whole block for {@link #downloadAll} and {@link #uploadAll}, kept between steps. */
    private float[] blockScratch;
    int live;
    private boolean profiling;
    private final Map<String, long[]> profile = new LinkedHashMap<>();

    /** A backend on {@code device} with the device's default GEMM configuration. */
    public OpenClBackend(DeviceInfo device) {
        this(device, null);
    }

    /** @param gemm tile parameters, or null for the default that suits the device */
    public OpenClBackend(DeviceInfo device, GemmConfig gemm) {
        if (gemm == null) gemm = GemmConfig.defaultFor(device);
        if (!gemm.validFor(device)) throw new IllegalArgumentException("GEMM tiles " + gemm + " do not fit " + device.name());
        this.gemmConfig = gemm;
        ctx = new ClContext(device);
        try {
            long t0 = System.nanoTime();
            ClProgram pg = build(gemm.files(), gemm.buildOptions());
            // the other ops share one build: on PoCL with a cold cache, six builds took 1.4 s, two take 0.9 s
            ClProgram ops = build(OP_FILES, "");
            buildNanos = System.nanoTime() - t0;
            this.gemm = gemm.open(pg, this, ctx);
            biasActivation = ops.kernel("bias_activation", this);
            biasSoftmax = ops.kernel("bias_softmax", this);
            activationForward = ops.kernel("activation_forward", this);
            activationBackward = ops.kernel("activation_backward", this);
            layerNormForward = ops.kernel("layernorm_forward", this);
            layerNormBackwardData = ops.kernel("layernorm_backward_data", this);
            layerNormBackwardParams = ops.kernel("layernorm_backward_params", this);
            batchNormTrain = ops.kernel("batchnorm_train", this);
            batchNormEval = ops.kernel("batchnorm_eval", this);
            batchNormBackward = ops.kernel("batchnorm_backward", this);
            softmaxBackward = ops.kernel("softmax_backward", this);
            lossGradient = ops.kernel("loss_gradient_sum", this);
            columnSums = ops.kernel("column_sums", this);
            weightedLossGradient = ops.kernel("weighted_loss_gradient_sum", this);
            sgd = ops.kernel("sgd_step", this);
            momentum = ops.kernel("momentum_step", this);
            adam = ops.kernel("adam_step", this);
            sumSquares = ops.kernel("sum_squares", this);
            clipCoefficient = ops.kernel("clip_coefficient", this);
            scaleBy = ops.kernel("scale_by", this);
            gatherRows = ops.kernel("gather_rows", this);
            gatherBatch = ops.kernel("gather_batch", this);
            dropout = ops.kernel("dropout", this);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Work-group size of the kernels with one work-item per row (softmax, loss gradients): small, so
     * that a batch of 512 rows is 8 work-groups over the compute units instead of one.
     */
    static final int ROW_GROUP = 64;

    /** Functions (no kernels) shared by the activation kernels and the tiled GEMM's forward epilogue; built first in the programs that use them. */
    static final String ACTIVATION_FUNCTIONS = "activation_functions.cl";
    /** The files of functions (no kernels) built first in every op program: activations, losses, the dropout hash. */
    static final List<String> FUNCTION_FILES = List.of(ACTIVATION_FUNCTIONS, "loss_functions.cl", "hash_functions.cl");
    /** The kernel files of every op but the GEMM (which has tunables of its own), built as one program after {@link #FUNCTION_FILES}. */
    static final List<String> OP_FILES = java.util.stream.Stream.concat(FUNCTION_FILES.stream(),
            java.util.stream.Stream.of("activation.cl", "loss.cl", "optimizer.cl", "gather.cl", "dropout.cl", "layernorm.cl", "batchnorm.cl")).toList();

    private ClProgram build(List<String> files, String tunables) {
        ClProgram p = ClProgram.build(ctx, files, tunables);
        programs.add(p);
        return p;
    }

    /** The device this backend runs on. */
    public DeviceInfo device() {
        return ctx.device;
    }

    /** The GEMM kernels and tunables this backend runs. */
    public GemmConfig gemmConfig() {
        return gemmConfig;
    }

    /** Wall time spent compiling the kernels when this backend was made. */
    public long buildNanos() {
        return buildNanos;
    }

    /** When on, every launch waits for its event and adds its device time to {@link #profile()}. */
    public void setProfiling(boolean on) {
        profiling = on;
    }

    /** Kernel or transfer name → {total device nanoseconds, count}, since the last {@link #resetProfile()}. */
    public Map<String, long[]> profile() {
        return profile;
    }

    /** Forgets the kernel times recorded so far. */
    public void resetProfile() {
        profile.clear();
    }

    /** Kernels whose launches have been checked against their compiled signatures (all of them once each has run). */
    public List<String> verifiedKernels() {
        List<String> out = new ArrayList<>();
        for (ClKernel k : kernels()) if (k.verified()) out.add(k.name);
        return out;
    }

    /** The names of every kernel this backend built: the op kernels and its GEMM family's. */
    public List<String> kernelNames() {
        List<String> out = new ArrayList<>();
        for (ClKernel k : kernels()) out.add(k.name);
        return out;
    }

    /** The kernel of that name from this backend's programs (the first, if two programs have one). */
    ClKernel kernel(String name) {
        for (ClKernel k : kernels()) if (k.name.equals(name)) return k;
        throw new IllegalArgumentException("no kernel " + name + " in " + kernelNames());
    }

    /** Every kernel created from this backend's programs (the GEMM family's, then the ops'). */
    private List<ClKernel> kernels() {
        List<ClKernel> out = new ArrayList<>();
        for (ClProgram p : programs) out.addAll(p.created());
        return out;
    }

    @Override
    public String name() {
        return ctx.device.describe();
    }

    private static ClTensor t(Object x) {
        return (ClTensor) x;
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return new ClTensor(this, ctx, rows, cols);
    }

    /**
     * Parts of one {@link ClTensor.Block}, so that {@link #optimizerStepAll} is one launch; separate
     * buffers when the block would be larger than the device's largest allocation.
     */
    @Override
    public List<Tensor> allocateAll(List<int[]> shapes) {
        long bytes = 0;
        for (int[] s : shapes) bytes += 4L * s[0] * s[1] + ctx.subBufferAlignBytes;
        if (shapes.isEmpty() || bytes > maxTensorBytes()) return DeviceMemory.allocateEach(this, shapes);
        return List.of(new ClTensor.Block(this, ctx, shapes).parts);
    }

    @Override
    public IndexBuffer allocateIndices(int length) {
        return new ClTensor(this, ctx, length, 1);
    }

    @Override
    public void upload(Tensor dst, float[] src) {
        if (src.length != dst.size()) throw new IllegalArgumentException("upload of " + src.length + " values into " + dst.size());
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueWriteBuffer(ctx.queue, t(dst).mem, CL.CL_TRUE, 0, 4L * src.length, Pointer.to(src), 0, null, ev);
        if (ev != null) record("upload", ev);
    }

    @Override
    public void uploadIndices(IndexBuffer dst, int[] src) {
        if (src.length != dst.length()) throw new IllegalArgumentException("upload of " + src.length + " indices into " + dst.length());
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueWriteBuffer(ctx.queue, t(dst).mem, CL.CL_TRUE, 0, 4L * src.length, Pointer.to(src), 0, null, ev);
        if (ev != null) record("upload", ev);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        if (dst.length != src.size()) throw new IllegalArgumentException("download of " + src.size() + " values into " + dst.length);
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueReadBuffer(ctx.queue, t(src).mem, CL.CL_TRUE, 0, 4L * dst.length, Pointer.to(dst), 0, null, ev);
        if (ev != null) record("download", ev);
    }

    /** One read of the block's whole allocation when the tensors are exactly its parts. */
    @Override
    public void downloadAll(List<Tensor> src, float[][] dst) {
        ClTensor.Block block = blockOf(src, null);
        if (block == null) {
            DeviceMemory.downloadEach(this, src, dst);
            return;
        }
        checkLengths(src, dst);
        float[] whole = blockScratch(block);
        download(block.whole, whole);
        for (int i = 0; i < dst.length; i++) System.arraycopy(whole, block.offsets[i], dst[i], 0, dst[i].length);
    }

    /** One write of the block's whole allocation when the tensors are exactly its parts (the gaps between them stay zero). */
    @Override
    public void uploadAll(List<Tensor> dst, float[][] src) {
        ClTensor.Block block = blockOf(dst, null);
        if (block == null) {
            DeviceMemory.uploadEach(this, dst, src);
            return;
        }
        checkLengths(dst, src);
        float[] whole = blockScratch(block);
        for (int i = 0; i < src.length; i++) {
            int end = i + 1 < src.length ? block.offsets[i + 1] : whole.length;
            System.arraycopy(src[i], 0, whole, block.offsets[i], src[i].length);
            Arrays.fill(whole, block.offsets[i] + src[i].length, end, 0f); // the gap after the part
        }
        upload(block.whole, whole);
    }

    private static void checkLengths(List<Tensor> tensors, float[][] arrays) {
        for (int i = 0; i < tensors.size(); i++) {
            if (arrays[i].length != tensors.get(i).size()) {
                throw new IllegalArgumentException("part " + i + " holds " + tensors.get(i).size() + " values, the array " + arrays[i].length);
            }
        }
    }

    /** A host array the size of the block's whole allocation, kept between steps: no allocation per transfer. */
    private float[] blockScratch(ClTensor.Block block) {
        if (blockScratch == null || blockScratch.length != block.whole.cols) blockScratch = new float[block.whole.cols];
        return blockScratch;
    }

    @Override
    public void zero(Tensor x) {
        CL.clEnqueueFillBuffer(ctx.queue, t(x).mem, ClContext.ZERO_PATTERN, Sizeof.cl_float, 0, 4L * x.size(), 0, null, null);
    }

    /**
     * What the GEMM family allocates for itself (its packing panels) at up to {@code batch} rows; its
     * strategy ({@link GemmKernels}) knows which products pack.
     */
    @Override
    public GemmWorkspace gemmWorkspace(int batch, List<ParamShape> weights) {
        return gemm.workspace(batch, weights);
    }

    /** Bytes of the GEMM's packing buffers now allocated (they only grow). */
    long packingBytes() {
        return gemm.scratchBytes()[0];
    }

    /** Bytes of the larger packing buffer now allocated. */
    long largestPackingBuffer() {
        return gemm.scratchBytes()[1];
    }

    @Override
    public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
        gemm.forward(a, w, out, m);
    }

    /**
     * One launch where the GEMM family fuses the epilogue (the tiled kernel stores each output through
     * it); otherwise, and for softmax (a row at a time), the GEMM then bias_activation.
     */
    @Override
    public void denseForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        if (!gemm.fusedForward(a, w, bias, act, out, m)) DeviceOps.denseForwardUnfused(this, a, w, bias, act, out, m);
    }

    @Override
    public void gemmBackwardData(Tensor delta, Tensor w, Tensor out, int m) {
        gemm.backwardData(delta, w, out, m);
    }

    @Override
    public void gemmWeightGrad(Tensor delta, Tensor a, Tensor out, int m) {
        gemm.weightGrad(delta, a, out, m);
    }

    /** One launch where the GEMM family applies the derivative as it stores the product; otherwise the GEMM then activation_backward. */
    @Override
    public void denseBackwardData(Tensor delta, Tensor w, Tensor below, Activation act, Tensor out, int m) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax's derivative is a row's Jacobian, not element-wise");
        if (act == Activation.LINEAR || !gemm.fusedBackwardData(delta, w, below, act, out, m)) DeviceOps.denseBackwardDataUnfused(this, delta, w, below, act, out, m);
    }

    /** One launch where the GEMM family writes the bias gradient beside the product; otherwise the GEMM then column_sums. */
    @Override
    public void denseParamGrads(Tensor delta, Tensor a, Tensor weightGrad, Tensor biasGrad, int m) {
        if (biasGrad == null || !gemm.fusedWeightGrad(delta, a, weightGrad, biasGrad, m)) DeviceOps.denseParamGradsUnfused(this, delta, a, weightGrad, biasGrad, m);
    }

    /** One launch where the GEMM family takes the step as it forms the weight gradient; otherwise the gradients, then the optimizer's step on each. */
    @Override
    public void denseSgdStep(Optimizer opt, Tensor delta, Tensor a, Tensor weight, Tensor bias, Tensor weightGrad, Tensor biasGrad,
                             Tensor weightVelocity, Tensor biasVelocity, int m) {
        DeviceOps.checkSgdStep(opt, bias, weightVelocity, biasVelocity);
        if (!gemm.sgdStepInWeightGrad(delta, a, weight, bias, weightVelocity, biasVelocity, opt.learningRate(), opt.weightDecay(), opt.momentum(), m)) {
            DeviceOps.denseSgdStepUnfused(this, opt, delta, a, weight, bias, weightGrad, biasGrad, weightVelocity, biasVelocity, m);
        }
    }

    @Override
    public boolean foldsSgdStep(int n, int k, int m) {
        return gemm.foldsSgdStep(n, k, m);
    }

    @Override
    public void biasActivation(Tensor z, Tensor bias, Activation act, int m) {
        int n = z.cols();
        ClTensor b = bias == null ? t(z) : t(bias); // any valid buffer when there is no bias
        int hasBias = bias == null ? 0 : 1;
        if (act == Activation.SOFTMAX) {
            biasSoftmax.call().floats("z", t(z)).floats("bias", b).i32("has_bias", hasBias).i32("m", m).i32("n", n).runItemsInGroupsOf(m, ROW_GROUP);
        } else {
            biasActivation.call().floats("z", t(z)).floats("bias", b).i32("has_bias", hasBias).i32("m", m).i32("n", n).i32("act", act.code())
                    .runGrid(ceilDiv(n, KernelConstants.ITEM_WIDTH), m);
        }
    }

    @Override
    public void batchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor xhat, Tensor rstd, Tensor y, int m) {
        batchNormTrain.call().floats("x", t(x)).floats("gamma", t(gamma)).floats("beta", t(beta)).floats("running_mean", t(runningMean))
                .floats("running_var", t(runningVar)).floats("xhat", t(xhat)).floats("rstd", t(rstd)).floats("y", t(y)).i32("m", m).i32("n", x.cols())
                .runItemsInGroupsOf(x.cols(), ROW_GROUP);
    }

    @Override
    public void batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, int m) {
        batchNormEval.call().floats("x", t(x)).floats("gamma", t(gamma)).floats("beta", t(beta)).floats("running_mean", t(runningMean))
                .floats("running_var", t(runningVar)).floats("y", t(y)).i32("m", m).i32("n", x.cols()).runItemsInGroupsOf(x.cols(), ROW_GROUP);
    }

    @Override
    public void batchNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, int m) {
        batchNormBackward.call().floats("dy", t(dy)).floats("xhat", t(xhat)).floats("rstd", t(rstd)).floats("gamma", t(gamma))
                .floats("dx", dx == null ? t(dy) : t(dx)).i32("has_dx", dx == null ? 0 : 1) // any valid buffer when there is no dx
                .floats("dgamma", t(dgamma)).floats("dbeta", t(dbeta)).i32("m", m).i32("n", dy.cols()).runItemsInGroupsOf(dy.cols(), ROW_GROUP);
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor xhat, Tensor rstd, Tensor y, int m) {
        layerNormForward.call().floats("x", t(x)).floats("gamma", t(gamma)).floats("beta", t(beta)).floats("xhat", t(xhat)).floats("rstd", t(rstd))
                .floats("y", t(y)).i32("m", m).i32("n", x.cols()).runItemsInGroupsOf(m, ROW_GROUP);
    }

    @Override
    public void layerNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, int m) {
        int n = dy.cols();
        layerNormBackwardParams.call().floats("dy", t(dy)).floats("xhat", t(xhat)).floats("dgamma", t(dgamma)).floats("dbeta", t(dbeta))
                .i32("m", m).i32("n", n).runItemsInGroupsOf(n, ROW_GROUP);
        if (dx != null) {
            layerNormBackwardData.call().floats("dy", t(dy)).floats("xhat", t(xhat)).floats("rstd", t(rstd)).floats("gamma", t(gamma))
                    .floats("dx", t(dx)).i32("m", m).i32("n", n).runItemsInGroupsOf(m, ROW_GROUP);
        }
    }

    @Override
    public void activate(Tensor z, Activation act, Tensor out, int m) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax is row-wise; use biasActivation");
        activationForward.call().floats("z", t(z)).floats("out", t(out)).i32("count", m * z.cols()).i32("act", act.code())
                .runItems(ceilDiv((long) m * z.cols(), KernelConstants.ITEM_WIDTH));
    }

    @Override
    public void activationBackward(Tensor grad, Tensor a, Activation act, int m) {
        int n = grad.cols();
        if (act == Activation.SOFTMAX) {
            softmaxBackward.call().floats("grad", t(grad)).floats("a", t(a)).i32("m", m).i32("n", n).runItemsInGroupsOf(m, ROW_GROUP);
        } else if (act != Activation.LINEAR) {
            activationBackward.call().floats("grad", t(grad)).floats("a", t(a)).i32("count", m * n).i32("act", act.code())
                    .runItems(ceilDiv((long) m * n, KernelConstants.ITEM_WIDTH));
        }
    }

    @Override
    public void lossGradient(Loss loss, Tensor output, Tensor target, int m, Tensor grad, Tensor lossSum) {
        int n = output.cols();
        float scale = (float) loss.scale(1.0, m, n);
        lossGradient.call().floats("out", t(output)).floats("target", t(target)).i32("m", m).i32("n", n).i32("loss", loss.code())
                .f32("scale", scale).floats("grad", t(grad)).floats("loss_sum", t(lossSum)).runGroup(KernelConstants.LOSS_GROUP);
    }

    @Override
    public void weightedLossGradient(Tensor output, Tensor target, Tensor classWeights, int m, Tensor grad, Tensor lossSum) {
        weightedLossGradient.call().floats("out", t(output)).floats("target", t(target)).floats("class_weights", t(classWeights))
                .i32("m", m).i32("n", output.cols()).floats("grad", t(grad)).floats("loss_sum", t(lossSum)).runGroup(KernelConstants.LOSS_GROUP);
    }

    @Override
    public void sumOfSquares(Tensor x, Tensor partials, int offset) {
        int count = x.size();
        sumSquares.call().floats("t", t(x)).i32("count", count).i32("chunk", SQUARES_CHUNK).floats("partials", t(partials)).i32("offset", offset)
                .runItems(ceilDiv(count, SQUARES_CHUNK));
    }

    @Override
    public void clipCoefficient(Tensor partials, int count, float maxNorm, Tensor coef) {
        clipCoefficient.call().floats("partials", t(partials)).i32("count", count).f32("max_norm", maxNorm).floats("coef", t(coef)).runOnce();
    }

    @Override
    public void scale(Tensor x, Tensor coef) {
        scaleBy.call().floats("t", t(x)).i32("count", x.size()).floats("coef", t(coef)).runItems(x.size());
    }

    @Override
    public void columnSums(Tensor delta, Tensor out, int m) {
        int n = delta.cols();
        // groups of 4 chunks (32 columns): a layer of 256 units is 8 work-groups, not 1 on one core
        columnSums.call().floats("delta", t(delta)).i32("m", m).i32("n", n).floats("out", t(out))
                .runItemsInGroupsOf(ceilDiv(n, KernelConstants.ITEM_WIDTH), 4);
    }

    @Override
    public void optimizerStep(Optimizer opt, long step, Tensor param, Tensor grad, Tensor s1, Tensor s2) {
        int count = param.size();
        switch (opt.kind()) {
            case SGD -> sgd.call().floats("p", t(param)).floats("g", t(grad)).i32("count", count).f32("lr", opt.learningRate())
                    .f32("wd", opt.weightDecay()).runItems(count);
            case MOMENTUM -> momentum.call().floats("p", t(param)).floats("g", t(grad)).floats("v", t(s1)).i32("count", count)
                    .f32("lr", opt.learningRate()).f32("mu", opt.momentum()).f32("wd", opt.weightDecay()).runItems(count);
            case ADAM, ADAMW -> {
                float stepSize = opt.learningRate() / opt.biasCorrection1(step);
                float sqrtBc2 = (float) Math.sqrt(opt.biasCorrection2(step));
                adam.call().floats("p", t(param)).floats("g", t(grad)).floats("mo", t(s1)).floats("ve", t(s2)).i32("count", count)
                        .f32("step_size", stepSize).f32("b1", opt.beta1()).f32("b2", opt.beta2()).f32("sqrt_bc2", sqrtBc2)
                        .f32("eps", opt.epsilon()).f32("wd", opt.gradientDecay()).f32("decay", opt.parameterDecay())
                        .runItems(ceilDiv(count, KernelConstants.ITEM_WIDTH));
            }
        }
    }

    /** One launch over the whole blocks when every list is exactly the parts of a block of the same layout, else one per parameter. */
    @Override
    public void optimizerStepAll(Optimizer opt, long step, List<Tensor> params, List<Tensor> grads, List<Tensor> state1, List<Tensor> state2) {
        ClTensor.Block p = blockOf(params, null), g = blockOf(grads, p), s1 = blockOf(state1, p), s2 = blockOf(state2, p);
        int slots = opt.kind().slots().size();
        if (p != null && g != null && (slots < 1 || s1 != null) && (slots < 2 || s2 != null)) {
            optimizerStep(opt, step, p.whole, g.whole, s1 == null ? null : s1.whole, s2 == null ? null : s2.whole);
        } else {
            DeviceOps.optimizerStepEach(this, opt, step, params, grads, state1, state2);
        }
    }

    /** The block whose parts {@code tensors} are exactly, with {@code like}'s layout when given; else null. */
    private static ClTensor.Block blockOf(List<Tensor> tensors, ClTensor.Block like) {
        if (tensors == null || tensors.isEmpty() || !(tensors.get(0) instanceof ClTensor first) || first.block == null) return null;
        ClTensor.Block b = first.block;
        if (!b.isExactly(tensors) || (like != null && !like.sameLayout(b))) return null;
        return b;
    }

    /** The op's kernels, from its file, built on first use (after the {@link #FUNCTION_FILES}) and kept. */
    @Override
    public void run(KernelOp op, Tensor[] args, int m) {
        op.launch(kernel -> {
            // looked up by file, then by name: no key is built per launch
            ClKernel k = opKernels.computeIfAbsent(op.kernelFile(), f -> new LinkedHashMap<>()).computeIfAbsent(kernel, name -> {
                ClProgram p = opPrograms.computeIfAbsent(op.kernelFile(), f -> build(java.util.stream.Stream.concat(FUNCTION_FILES.stream(), java.util.stream.Stream.of(f)).toList(), op.buildOptions()));
                return p.kernel(name, this);
            });
            ClKernel.Call c = k.call();
            return new KernelLauncher.Launch() {
                @Override
                public KernelLauncher.Launch tensor(String arg, Tensor t) {
                    c.floats(arg, t(t));
                    return this;
                }

                @Override
                public KernelLauncher.Launch i32(String arg, int v) {
                    c.i32(arg, v);
                    return this;
                }

                @Override
                public KernelLauncher.Launch f32(String arg, float v) {
                    c.f32(arg, v);
                    return this;
                }

                @Override
                public void grid(long cols, long rows) {
                    c.runGrid(cols, rows);
                }

                @Override
                public void items(long items) {
                    c.runItems(items);
                }

                @Override
                public void groups(long count, int size) {
                    c.run(new long[]{count * size}, new long[]{size});
                }
            };
        }, args, m);
    }

    @Override
    public void dropout(Tensor src, Tensor dst, long key, int threshold, float scale, int m) {
        int count = m * src.cols();
        dropout.call().floats("src", t(src)).floats("dst", t(dst)).i32("count", count).u64("key", key).i32("threshold", threshold)
                .f32("scale", scale).runItems(count);
    }

    @Override
    public void gather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst) {
        DeviceOps.checkGather(src, index, offset, count, dst);
        int n = src.cols();
        gatherRows.call().floats("src", t(src)).ints("index", t(index)).i32("offset", offset).i32("count", count).i32("n", n)
                .floats("dst", t(dst)).runGrid(ceilDiv(n, KernelConstants.ITEM_WIDTH), count);
    }

    /** Features and targets in one launch of gather_batch, its range the wider row's chunks by the rows. */
    @Override
    public void gatherBatch(Tensor x, Tensor y, IndexBuffer index, int offset, int count, Tensor batchX, Tensor batchY) {
        DeviceOps.checkGather(x, index, offset, count, batchX);
        DeviceOps.checkGather(y, index, offset, count, batchY);
        int nx = x.cols(), ny = y.cols();
        gatherBatch.call().floats("x", t(x)).floats("y", t(y)).ints("index", t(index)).i32("offset", offset).i32("count", count).i32("nx", nx).i32("ny", ny)
                .floats("bx", t(batchX)).floats("by", t(batchY)).runGrid(ceilDiv(Math.max(nx, ny), KernelConstants.ITEM_WIDTH), count);
    }

    @Override
    public long capacityBytes() {
        return ctx.device.globalMemory();
    }

    @Override
    public long maxTensorBytes() {
        return Math.min(ctx.device.maxAllocation(), 4L * (Integer.MAX_VALUE - 8));
    }

    @Override
    public void finish() {
        CL.clFinish(ctx.queue);
    }

    @Override
    public int liveBuffers() {
        // the GEMM's scratch buffers are not the caller's
        return live - (gemm == null ? 0 : gemm.scratchBuffers());
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public boolean wantsEvents() {
        return profiling;
    }

    @Override
    public void record(String name, cl_event ev) {
        try {
            CL.clWaitForEvents(1, new cl_event[]{ev});
            long[] start = new long[1], end = new long[1];
            CL.clGetEventProfilingInfo(ev, CL.CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(start), null);
            CL.clGetEventProfilingInfo(ev, CL.CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(end), null);
            long[] acc = profile.computeIfAbsent(name, x -> new long[2]);
            acc[0] += end[0] - start[0];
            acc[1]++;
        } finally {
            CL.clReleaseEvent(ev);
        }
    }

    @Override
    public void close() {
        if (gemm != null) gemm.close();
        for (int i = programs.size() - 1; i >= 0; i--) programs.get(i).close();
        programs.clear();
        ctx.close();
    }
}
