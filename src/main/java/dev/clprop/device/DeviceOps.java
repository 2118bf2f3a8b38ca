package dev.clprop.device;

import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.optim.Optimizer;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;

/**
 * The ops of a training step, each declared once, here: its signature (which both backends implement:
 * EJML the reference, OpenCL the device), its name in reports ({@link Op}), the tensors it modifies
 * ({@link Out}) and how closely a correct device agrees with the reference ({@link Op#exact},
 * {@link SumLength}, else {@link Tolerance#OP}). Lockstep verification and the fault-injection tests
 * read these declarations; nothing else lists the ops. A new op is a method here with its annotations
 * and its two implementations.
 */
public interface DeviceOps {
    /** Marks an op and names it in reports (lockstep, self-test, profiles), e.g. {@code gemm_forward}. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @interface Op {
        /** The op's name in reports. */
        String value();

        /** Whether the device must reproduce the reference bit for bit (copies), rather than within a tolerance. */
        boolean exact() default false;
    }

    /** Marks an argument the op modifies (a tensor, or a list of tensors); the others it only reads. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    @interface Out {
    }

    /**
     * Marks the argument that gives the number of terms of the sums behind each output element: the
     * tolerance is then {@link Tolerance#gemm}(that number), since float32 rounding grows with the
     * number of terms and summation order differs between kernels.
     */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    @interface SumLength {
        /** Which number of the argument: an int's value, or a tensor's rows, cols or size. */
        Dim value();

        /** An upper bound on the number of terms (sums done in chunks). */
        int atMost() default Integer.MAX_VALUE;
    }

    /** Which number of an argument {@link SumLength} means. */
    enum Dim {
        /** An int argument's value. */
        VALUE,
        /** A tensor's rows. */
        ROWS,
        /** A tensor's columns. */
        COLS,
        /** A tensor's element count. */
        SIZE
    }

    /** {@code out[m,n] = a[m,k] · w[n,k]ᵀ} (forward). Modifies out. */
    @Op("gemm_forward")
    void gemmForward(Tensor a, @SumLength(Dim.COLS) Tensor w, @Out Tensor out, int m);

    /** {@code out[m,k] = delta[m,n] · w[n,k]} (backward, data gradient). Modifies out. */
    @Op("gemm_backward_data")
    void gemmBackwardData(Tensor delta, @SumLength(Dim.ROWS) Tensor w, @Out Tensor out, int m);

    /**
     * The gradient a dense layer passes back: {@code out[m,k] = delta[m,n] · w[n,k]} ({@link #gemmBackwardData}),
     * then, unless {@code act} is linear, {@code out ← out ⊙ f'(below)} as {@link #activationBackward} takes it
     * (the derivative of the dense layer below, f' from what that layer keeps: its output, or z), which a
     * backend may do in one launch. {@code act} is never softmax. Modifies out.
     */
    @Op("dense_backward_data")
    void denseBackwardData(Tensor delta, @SumLength(Dim.ROWS) Tensor w, Tensor below, Activation act, @Out Tensor out, int m);

    /** {@link #denseBackwardData} as its two ops on {@code b}: the unfused form. */
    static void denseBackwardDataUnfused(DeviceOps b, Tensor delta, Tensor w, Tensor below, Activation act, Tensor out, int m) {
        b.gemmBackwardData(delta, w, out, m);
        if (act != Activation.LINEAR) b.activationBackward(out, below, act, m);
    }

    /** {@code out[n,k] = delta[m,n]ᵀ · a[m,k]} (backward, weight gradient). Modifies out. */
    @Op("gemm_weight_grad")
    void gemmWeightGrad(Tensor delta, Tensor a, @Out Tensor out, @SumLength(Dim.VALUE) int m);

    /**
     * A dense layer's parameter gradients: {@code weightGrad[n,k] = delta[m,n]ᵀ · a[m,k]} ({@link #gemmWeightGrad})
     * and, unless {@code biasGrad} is null, {@code biasGrad[j] = Σ_{i<m} delta[i,j]} ({@link #columnSums}), which
     * a backend may do in one launch with the same arithmetic. Modifies weightGrad and biasGrad.
     */
    @Op("dense_param_grads")
    void denseParamGrads(Tensor delta, Tensor a, @Out Tensor weightGrad, @Out Tensor biasGrad, @SumLength(Dim.VALUE) int m);

    /** {@link #denseParamGrads} as its two ops on {@code b}: the unfused form. */
    static void denseParamGradsUnfused(DeviceOps b, Tensor delta, Tensor a, Tensor weightGrad, Tensor biasGrad, int m) {
        b.gemmWeightGrad(delta, a, weightGrad, m);
        if (biasGrad != null) b.columnSums(delta, biasGrad, m);
    }

    /**
     * A dense layer's parameter gradients taken by SGD ({@code opt}: plain, or with momentum) as they are formed:
     * with {@code g = delta[m,n]ᵀ · a[m,k]} and {@code gb[j] = Σ_{i<m} delta[i,j]} ({@link #denseParamGrads}),
     * {@link #optimizerStep} of weight with g and, unless bias is null, of bias with gb: plain SGD
     * {@code p ← p − lr·(g + wd·p)}; with momentum {@code v ← mu·v + (g + wd·p)}, {@code p ← p − lr·v}, the
     * velocities in weightVelocity and biasVelocity (null for plain SGD). A backend may do it in one launch
     * that never stores g; the unfused form writes g and gb into {@code weightGrad} and {@code biasGrad},
     * whose contents are unspecified afterwards. Modifies weight, bias and the velocities.
     */
    @Op("dense_sgd_step")
    void denseSgdStep(Optimizer opt, Tensor delta, Tensor a, @Out Tensor weight, @Out Tensor bias, Tensor weightGrad, Tensor biasGrad,
                      @Out Tensor weightVelocity, @Out Tensor biasVelocity, @SumLength(Dim.VALUE) int m);

    /** {@link #denseSgdStep} as its ops on {@code b}: the unfused form. */
    static void denseSgdStepUnfused(DeviceOps b, Optimizer opt, Tensor delta, Tensor a, Tensor weight, Tensor bias, Tensor weightGrad, Tensor biasGrad,
                                    Tensor weightVelocity, Tensor biasVelocity, int m) {
        checkSgdStep(opt, bias, weightVelocity, biasVelocity);
        b.denseParamGrads(delta, a, weightGrad, bias == null ? null : biasGrad, m);
        // step 1: SGD and momentum do not depend on the step count
        b.optimizerStep(opt, 1, weight, weightGrad, weightVelocity, null);
        if (bias != null) b.optimizerStep(opt, 1, bias, biasGrad, biasVelocity, null);
    }

    /** Refuses for {@link #denseSgdStep} an optimizer other than SGD with or without momentum, or velocities that do not match it. */
    static void checkSgdStep(Optimizer opt, Tensor bias, Tensor weightVelocity, Tensor biasVelocity) {
        boolean momentum = opt.kind() == Optimizer.Kind.MOMENTUM;
        if (opt.kind() != Optimizer.Kind.SGD && !momentum) throw new IllegalArgumentException("dense_sgd_step takes SGD, not " + opt.kind());
        if (momentum != (weightVelocity != null) || (momentum && bias != null) != (biasVelocity != null)) {
            throw new IllegalArgumentException("dense_sgd_step with " + opt.kind() + " takes velocities exactly for momentum, one per parameter");
        }
    }

    /**
     * Not an op: whether a network trained with SGD (plain or with momentum) takes an n×k dense layer's step at m rows with
     * {@link #denseSgdStep} as its gradients are formed, rather than with every other parameter in
     * {@link #optimizerStepAll} afterwards. True where that costs no more: on a device where denseSgdStep is
     * one launch, and on the reference, which then runs the op sequence such a device runs. False by default.
     */
    default boolean foldsSgdStep(int n, int k, int m) {
        return false;
    }

    /**
     * {@code out[m,n] = f(a[m,k] · w[n,k]ᵀ + b)}, a dense layer's forward pass: {@link #gemmForward} then
     * {@link #biasActivation} ({@code bias} may be null), which a backend may do in one launch with the
     * same arithmetic. Modifies out.
     */
    @Op("dense_forward")
    void denseForward(Tensor a, @SumLength(Dim.COLS) Tensor w, Tensor bias, Activation act, @Out Tensor out, int m);

    /** {@link #denseForward} as its two ops on {@code b}: the unfused form. */
    static void denseForwardUnfused(DeviceOps b, Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        b.gemmForward(a, w, out, m);
        b.biasActivation(out, bias, act, m);
    }

    /** In place: {@code z ← f(z + b)} row by row; {@code bias} may be null. Modifies z. */
    @Op("bias_activation")
    void biasActivation(@Out Tensor z, Tensor bias, Activation act, int m);

    /**
     * Batch normalization in training, per feature j over the first m ≥ 2 rows, as {@code nn.BatchNorm1d}:
     * the mean μ and biased variance σ², {@code rstd_j ← 1/√(σ² + ε)}, {@code xhat ← (x − μ)·rstd},
     * {@code y ← γ·xhat + β}, {@code running_mean ← (1 − momentum)·running_mean + momentum·μ} and
     * {@code running_var ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1)}. Modifies xhat, rstd (1 × n),
     * y and the running statistics.
     */
    @Op("batchnorm_train")
    void batchNormTrain(Tensor x, Tensor gamma, Tensor beta, @Out Tensor runningMean, @Out Tensor runningVar, @Out Tensor xhat, @Out Tensor rstd, @Out Tensor y, int m);

    /** Batch normalization in evaluation: {@code y ← (x − running_mean)/√(running_var + ε)·γ + β}. Modifies y. */
    @Op("batchnorm_eval")
    void batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, @Out Tensor y, int m);

    /**
     * Batch normalization's backward pass after a training pass: per feature {@code dγ ← Σ dy·xhat},
     * {@code dβ ← Σ dy}, and unless dx is null {@code dx ← γ·rstd/m·(m·dy − Σ dy − xhat·Σ dy·xhat)}.
     * Modifies dx, dgamma and dbeta.
     */
    @Op("batchnorm_backward")
    void batchNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, @Out Tensor dx, @Out Tensor dgamma, @Out Tensor dbeta, int m);

    /**
     * Layer normalization of the first m rows of {@code x} (n features each), as {@code nn.LayerNorm}: per row
     * {@code rstd ← 1/√(σ² + ε)} (biased variance), {@code xhat ← (x − μ)·rstd}, {@code y ← γ·xhat + β}.
     * Modifies xhat, rstd (m × 1) and y.
     */
    @Op("layernorm_forward")
    void layerNormForward(Tensor x, Tensor gamma, Tensor beta, @Out Tensor xhat, @Out Tensor rstd, @Out Tensor y, int m);

    /**
     * Layer normalization's backward pass: {@code dγ ← Σ_rows dy·xhat}, {@code dβ ← Σ_rows dy}, and unless
     * {@code dx} is null, per row {@code dx ← rstd·(g − mean(g) − xhat·mean(g·xhat))} with {@code g = dy·γ}.
     * Modifies dx, dgamma and dbeta.
     */
    @Op("layernorm_backward")
    void layerNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, @Out Tensor dx, @Out Tensor dgamma, @Out Tensor dbeta, int m);

    /**
     * {@code out ← f(z)} element-wise for the first m rows (not softmax), z unchanged: the forward step of
     * an activation whose derivative needs its input ({@link Activation#derivativeNeedsInput}), which keeps z.
     * Modifies out.
     */
    @Op("activation_forward")
    void activate(Tensor z, Activation act, @Out Tensor out, int m);

    /**
     * In place: {@code grad ← grad ⊙ f'(z)}, with f' taken from {@code a}: the layer's output {@code f(z)},
     * or z itself where {@link Activation#derivativeNeedsInput}; for softmax the Jacobian-vector product
     * {@code a ⊙ (grad − Σ grad·a)} row by row. Modifies grad.
     */
    @Op("activation_backward")
    void activationBackward(@Out Tensor grad, Tensor a, Activation act, int m);

    /**
     * Writes ∂L/∂output into {@code grad} (for cross-entropy, ∂L/∂logits = (p − y)/m) and adds the
     * batch's loss to {@code lossSum[0]} (a 1×1 tensor). Modifies grad and lossSum.
     */
    @Op("loss_gradient")
    void lossGradient(Loss loss, Tensor output, Tensor target, int m, @Out Tensor grad, @Out Tensor lossSum);

    /**
     * Cross-entropy with class weights (torch.nn.CrossEntropyLoss(weight=w)): row i weighs
     * {@code r_i = Σ_j w_j·target[i,j]}; {@code grad[i,j] = r_i·(p − y)/Σ_i r_i} with respect to the
     * logits, and {@code Σ_i r_i·(−Σ_j y·ln p)/Σ_i r_i} is added to lossSum[0]. A batch whose rows all
     * weigh 0 adds 0 and gets a zero gradient. Modifies grad and lossSum.
     */
    @Op("weighted_loss_gradient")
    void weightedLossGradient(Tensor output, Tensor target, Tensor classWeights, int m, @Out Tensor grad, @Out Tensor lossSum);

    /** Elements per partial sum of {@link #sumOfSquares}: the fixed grouping both paths sum in. */
    int SQUARES_CHUNK = 4096;

    /**
     * {@code partials[offset + c] = Σ t[i]²} over chunk c ({@link #SQUARES_CHUNK} elements) of the
     * whole tensor, for every chunk, each summed in order. Modifies partials.
     */
    @Op("sum_squares")
    void sumOfSquares(@SumLength(value = Dim.SIZE, atMost = SQUARES_CHUNK) Tensor t, @Out Tensor partials, int offset);

    /**
     * {@code coef[0] = min(1, maxNorm / (√(Σ_{i<count} partials[i]) + 1e-6))}, summed in order:
     * torch.nn.utils.clip_grad_norm_'s factor for a global norm. Modifies coef.
     */
    @Op("clip_coefficient")
    void clipCoefficient(Tensor partials, int count, float maxNorm, @Out Tensor coef);

    /** {@code t ← t·coef[0]}. Modifies t. */
    @Op("scale")
    void scale(@Out Tensor t, Tensor coef);

    /** {@code out[j] = Σ_{i<m} delta[i,j]} (the bias gradient). Modifies out. */
    @Op("column_sums")
    void columnSums(Tensor delta, @Out Tensor out, @SumLength(Dim.VALUE) int m);

    /**
     * One optimizer update of {@code param} from {@code grad}, {@code step} counting from 1.
     * {@code state1}/{@code state2} hold momentum or Adam moments (null when unused). Modifies param and states.
     */
    @Op("optimizer_step")
    void optimizerStep(Optimizer opt, long step, @Out Tensor param, Tensor grad, @Out Tensor state1, @Out Tensor state2);

    /**
     * {@link #optimizerStep} on every parameter i: {@code params[i]} from {@code grads[i]} with
     * {@code state1[i]} and {@code state2[i]} (the lists null when unused). The same arithmetic, element
     * by element; a backend may do it in one launch when the lists come from {@link DeviceMemory#allocateAll}.
     * Modifies params and states.
     */
    @Op("optimizer_step_all")
    void optimizerStepAll(Optimizer opt, long step, @Out List<Tensor> params, List<Tensor> grads, @Out List<Tensor> state1, @Out List<Tensor> state2);

    /** {@link #optimizerStepAll} one parameter at a time on {@code b}: the unfused form. */
    static void optimizerStepEach(DeviceOps b, Optimizer opt, long step, List<Tensor> params, List<Tensor> grads, List<Tensor> state1, List<Tensor> state2) {
        for (int i = 0; i < params.size(); i++) {
            b.optimizerStep(opt, step, params.get(i), grads.get(i), state1 == null ? null : state1.get(i), state2 == null ? null : state2.get(i));
        }
    }

    /**
     * Runs an op a layer kind brings ({@link KernelOp}): the reference on EJML, its kernels on OpenCL.
     * Modifies the arguments the op names as outputs (its declaration is the op object's, not this method's).
     */
    @Op("kernel_op")
    void run(KernelOp op, @Out Tensor[] args, int m);

    /**
     * Inverted dropout over the first m rows: {@code dst[i] = src[i]·scale} where element i survives,
     * else 0; element i survives when {@link dev.clprop.model.DropoutSpec#keeps}(key, i, threshold).
     * With threshold 0 and scale 1 it is an exact copy. Modifies dst.
     */
    @Op("dropout")
    void dropout(Tensor src, @Out Tensor dst, long key, int threshold, float scale, int m);

    /**
     * {@code dst[r] = src[index[offset + r]]} for r &lt; count: a minibatch from a resident dataset. Modifies dst.
     * Implementations call {@link #checkGather} first: the offset can come from a checkpoint file.
     */
    @Op(value = "gather", exact = true)
    void gather(Tensor src, IndexBuffer index, int offset, int count, @Out Tensor dst);

    /**
     * A training minibatch: {@link #gather} of the features {@code x} into {@code batchX} and of the targets
     * {@code y} into {@code batchY} through the same index, which a backend may do in one launch. Modifies
     * batchX and batchY. Implementations call {@link #checkGather} for both.
     */
    @Op(value = "gather_batch", exact = true)
    void gatherBatch(Tensor x, Tensor y, IndexBuffer index, int offset, int count, @Out Tensor batchX, @Out Tensor batchY);

    /**
     * Refuses a gather that would read or write outside its buffers (a kernel would do so silently, or
     * crash the process): entries offset..offset+count of the index must exist, and dst must hold count
     * rows of src's width. Each index value is a row of src by construction ({@link DeviceMemory#uploadIndices}
     * callers upload permutations of src's rows).
     */
    static void checkGather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst) {
        if (offset < 0 || count < 0 || (long) offset + count > index.length() || count > dst.rows() || src.cols() != dst.cols()) {
            throw new IllegalArgumentException("gather of rows " + offset + ".." + ((long) offset + count) + " of an order of " + index.length()
                    + " into " + dst.rows() + "x" + dst.cols() + " from width " + src.cols());
        }
    }
}
