package dev.clprop.device;

import dev.clprop.model.Activation;
import dev.clprop.model.ParamShape;
import dev.clprop.loss.Loss;
import dev.clprop.optim.Optimizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The narrow interface both compute paths implement: allocate, copy in and out, and the ops of a
 * training step. The EJML implementation defines correct; the OpenCL one must agree with it.
 * Shapes: a (m×k) activations, w (n×k) weights, delta (m×n). Every op reads and writes only the
 * first {@code m} rows of its batch-shaped arguments. Ops may run asynchronously; {@link #download}
 * waits for all earlier work.
 */
public interface Backend extends AutoCloseable {
    /** Short description, e.g. "ejml" or "opencl:0 pthread-skylake (PoCL 3.1)". */
    String name();

    /** A zero-filled rows×cols tensor. */
    Tensor allocate(int rows, int cols);

    /** An index buffer of {@code length} ints on this backend, zeroed. */
    IndexBuffer allocateIndices(int length);

    /**
     * Zero-filled tensors of these shapes ({rows, cols} each), each closed by the caller. A backend may
     * carve them from one allocation so that {@link #optimizerStepAll} updates them in one launch.
     * <p>This and the other fused paths ({@link #downloadAll}, {@link #uploadAll}, {@link #denseForward},
     * {@link #optimizerStepAll}) have no default: every backend, wrappers included, states whether it
     * fuses, forwards to the backend it wraps, or takes the unfused form ({@link #allocateEach} and the
     * like), so that a wrapper cannot lose a fused path by forgetting it.
     */
    List<Tensor> allocateAll(List<int[]> shapes);

    /** {@link #allocateAll} as separate allocations on {@code b}: the unfused form. */
    static List<Tensor> allocateEach(Backend b, List<int[]> shapes) {
        List<Tensor> out = new ArrayList<>();
        try {
            for (int[] s : shapes) out.add(b.allocate(s[0], s[1]));
        } catch (RuntimeException e) {
            for (int i = out.size() - 1; i >= 0; i--) out.get(i).close();
            throw e;
        }
        return out;
    }

    /** Copies {@code src} (rows×cols values, row-major) into {@code dst}. */
    void upload(Tensor dst, float[] src);

    /** Copies {@code src} (as long as {@code dst}) into {@code dst}. Modifies dst. */
    void uploadIndices(IndexBuffer dst, int[] src);

    /** Copies the whole tensor into {@code dst} after all queued work has finished. */
    void download(Tensor src, float[] dst);

    /**
     * {@link #download} of each tensor into the array at the same index; a backend may do it in one
     * transfer when the tensors are exactly one {@link #allocateAll} (each transfer waits for the device).
     */
    void downloadAll(List<Tensor> src, float[][] dst);

    /** {@link #downloadAll} one tensor at a time: the unfused form. */
    static void downloadEach(Backend b, List<Tensor> src, float[][] dst) {
        for (int i = 0; i < src.size(); i++) b.download(src.get(i), dst[i]);
    }

    /** {@link #upload} of each array into the tensor at the same index, in one transfer where {@link #downloadAll} can. */
    void uploadAll(List<Tensor> dst, float[][] src);

    /** {@link #uploadAll} one tensor at a time: the unfused form. */
    static void uploadEach(Backend b, List<Tensor> dst, float[][] src) {
        for (int i = 0; i < dst.size(); i++) b.upload(dst.get(i), src[i]);
    }

    /** Sets every element to zero. */
    void zero(Tensor t);

    /** {@code out[m,n] = a[m,k] · w[n,k]ᵀ} (forward). Modifies out. */
    void gemmForward(Tensor a, Tensor w, Tensor out, int m);

    /** {@code out[m,k] = delta[m,n] · w[n,k]} (backward, data gradient). Modifies out. */
    void gemmBackwardData(Tensor delta, Tensor w, Tensor out, int m);

    /** {@code out[n,k] = delta[m,n]ᵀ · a[m,k]} (backward, weight gradient). Modifies out. */
    void gemmWeightGrad(Tensor delta, Tensor a, Tensor out, int m);

    /**
     * {@code out[m,n] = f(a[m,k] · w[n,k]ᵀ + b)}, a dense layer's forward pass: {@link #gemmForward} then
     * {@link #biasActivation} ({@code bias} may be null), which a backend may do in one launch with the
     * same arithmetic. Modifies out.
     */
    void denseForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m);

    /** {@link #denseForward} as its two ops on {@code b}: the unfused form. */
    static void denseForwardUnfused(Backend b, Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        b.gemmForward(a, w, out, m);
        b.biasActivation(out, bias, act, m);
    }

    /** In place: {@code z ← f(z + b)} row by row; {@code bias} may be null. Modifies z. */
    void biasActivation(Tensor z, Tensor bias, Activation act, int m);

    /**
     * Batch normalization in training, per feature j over the first m ≥ 2 rows, as {@code nn.BatchNorm1d}:
     * the mean μ and biased variance σ², {@code rstd_j ← 1/√(σ² + ε)}, {@code xhat ← (x − μ)·rstd},
     * {@code y ← γ·xhat + β}, {@code running_mean ← (1 − momentum)·running_mean + momentum·μ} and
     * {@code running_var ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1)}. Modifies xhat, rstd (1 × n),
     * y and the running statistics.
     */
    void batchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor xhat, Tensor rstd, Tensor y, int m);

    /** Batch normalization in evaluation: {@code y ← (x − running_mean)/√(running_var + ε)·γ + β}. Modifies y. */
    void batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, int m);

    /**
     * Batch normalization's backward pass after a training pass: per feature {@code dγ ← Σ dy·xhat},
     * {@code dβ ← Σ dy}, and unless dx is null {@code dx ← γ·rstd/m·(m·dy − Σ dy − xhat·Σ dy·xhat)}.
     * Modifies dx, dgamma and dbeta.
     */
    void batchNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, int m);

    /**
     * Layer normalization of the first m rows of {@code x} (n features each), as {@code nn.LayerNorm}: per row
     * {@code rstd ← 1/√(σ² + ε)} (biased variance), {@code xhat ← (x − μ)·rstd}, {@code y ← γ·xhat + β}.
     * Modifies xhat, rstd (m × 1) and y.
     */
    void layerNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor xhat, Tensor rstd, Tensor y, int m);

    /**
     * Layer normalization's backward pass: {@code dγ ← Σ_rows dy·xhat}, {@code dβ ← Σ_rows dy}, and unless
     * {@code dx} is null, per row {@code dx ← rstd·(g − mean(g) − xhat·mean(g·xhat))} with {@code g = dy·γ}.
     * Modifies dx, dgamma and dbeta.
     */
    void layerNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, int m);

    /**
     * {@code out ← f(z)} element-wise for the first m rows (not softmax), z unchanged: the forward step of
     * an activation whose derivative needs its input ({@link Activation#derivativeNeedsInput}), which keeps z.
     * Modifies out.
     */
    void activate(Tensor z, Activation act, Tensor out, int m);

    /**
     * In place: {@code grad ← grad ⊙ f'(z)}, with f' taken from {@code a}: the layer's output {@code f(z)},
     * or z itself where {@link Activation#derivativeNeedsInput}; for softmax the Jacobian-vector product
     * {@code a ⊙ (grad − Σ grad·a)} row by row. Modifies grad.
     */
    void activationBackward(Tensor grad, Tensor a, Activation act, int m);

    /**
     * Writes ∂L/∂output into {@code grad} (for cross-entropy, ∂L/∂logits = (p − y)/m) and adds the
     * batch's loss to {@code lossSum[0]} (a 1×1 tensor). Modifies grad and lossSum.
     */
    void lossGradient(Loss loss, Tensor output, Tensor target, int m, Tensor grad, Tensor lossSum);

    /**
     * Cross-entropy with class weights (torch.nn.CrossEntropyLoss(weight=w)): row i weighs
     * {@code r_i = Σ_j w_j·target[i,j]}; {@code grad[i,j] = r_i·(p − y)/Σ_i r_i} with respect to the
     * logits, and {@code Σ_i r_i·(−Σ_j y·ln p)/Σ_i r_i} is added to lossSum[0]. A batch whose rows all
     * weigh 0 adds 0 and gets a zero gradient. Modifies grad and lossSum.
     */
    void weightedLossGradient(Tensor output, Tensor target, Tensor classWeights, int m, Tensor grad, Tensor lossSum);

    /** Elements per partial sum of {@link #sumOfSquares}: the fixed grouping both paths sum in. */
    int SQUARES_CHUNK = 4096;

    /**
     * {@code partials[offset + c] = Σ t[i]²} over chunk c ({@link #SQUARES_CHUNK} elements) of the
     * whole tensor, for every chunk, each summed in order. Modifies partials.
     */
    void sumOfSquares(Tensor t, Tensor partials, int offset);

    /**
     * {@code coef[0] = min(1, maxNorm / (√(Σ_{i<count} partials[i]) + 1e-6))}, summed in order:
     * torch.nn.utils.clip_grad_norm_'s factor for a global norm. Modifies coef.
     */
    void clipCoefficient(Tensor partials, int count, float maxNorm, Tensor coef);

    /** {@code t ← t·coef[0]}. Modifies t. */
    void scale(Tensor t, Tensor coef);

    /** {@code out[j] = Σ_{i<m} delta[i,j]} (the bias gradient). Modifies out. */
    void columnSums(Tensor delta, Tensor out, int m);

    /**
     * One optimizer update of {@code param} from {@code grad}, {@code step} counting from 1.
     * {@code state1}/{@code state2} hold momentum or Adam moments (null when unused). Modifies param and states.
     */
    void optimizerStep(Optimizer opt, long step, Tensor param, Tensor grad, Tensor state1, Tensor state2);

    /**
     * {@link #optimizerStep} on every parameter i: {@code params[i]} from {@code grads[i]} with
     * {@code state1[i]} and {@code state2[i]} (the lists null when unused). The same arithmetic, element
     * by element; a backend may do it in one launch when the lists come from {@link #allocateAll}.
     * Modifies params and states.
     */
    void optimizerStepAll(Optimizer opt, long step, List<Tensor> params, List<Tensor> grads, List<Tensor> state1, List<Tensor> state2);

    /** {@link #optimizerStepAll} one parameter at a time on {@code b}: the unfused form. */
    static void optimizerStepEach(Backend b, Optimizer opt, long step, List<Tensor> params, List<Tensor> grads, List<Tensor> state1, List<Tensor> state2) {
        for (int i = 0; i < params.size(); i++) {
            b.optimizerStep(opt, step, params.get(i), grads.get(i), state1 == null ? null : state1.get(i), state2 == null ? null : state2.get(i));
        }
    }

    /**
     * Inverted dropout over the first m rows: {@code dst[i] = src[i]·scale} where element i survives,
     * else 0; element i survives when {@link dev.clprop.model.DropoutSpec#keeps}(key, i, threshold).
     * With threshold 0 and scale 1 it is an exact copy. Modifies dst.
     */
    void dropout(Tensor src, Tensor dst, long key, int threshold, float scale, int m);

    /**
     * {@code dst[r] = src[index[offset + r]]} for r &lt; count: a minibatch from a resident dataset. Modifies dst.
     * Implementations call {@link #checkGather} first: the offset can come from a checkpoint file.
     */
    void gather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst);

    /**
     * Refuses a gather that would read or write outside its buffers (a kernel would do so silently, or
     * crash the process): entries offset..offset+count of the index must exist, and dst must hold count
     * rows of src's width. Each index value is a row of src by construction ({@link #uploadIndices} callers
     * upload permutations of src's rows).
     */
    static void checkGather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst) {
        if (offset < 0 || count < 0 || (long) offset + count > index.length() || count > dst.rows() || src.cols() != dst.cols()) {
            throw new IllegalArgumentException("gather of rows " + offset + ".." + ((long) offset + count) + " of an order of " + index.length()
                    + " into " + dst.rows() + "x" + dst.cols() + " from width " + src.cols());
        }
    }

    /** Bytes this backend can still allocate in all (the free heap, or the device's memory). */
    long capacityBytes();

    /**
     * What the backend allocates for itself to run the GEMMs of dense layers with these weight shapes
     * (rows = outputs n, cols = inputs k) at up to {@code batch} rows: upper bounds, for checks that
     * refuse a network before allocating it. {@link GemmWorkspace#NONE} where the GEMMs need no working memory.
     */
    default GemmWorkspace gemmWorkspace(int batch, List<ParamShape> weights) {
        return GemmWorkspace.NONE;
    }

    /** Working memory of the GEMMs: all of it, and its largest single buffer (each checked against its own limit). */
    record GemmWorkspace(long bytes, long largestBufferBytes) {
        /** No workspace: a backend that packs nothing. */
        public static final GemmWorkspace NONE = new GemmWorkspace(0, 0);
    }

    /** The largest single tensor this backend can allocate, in bytes. */
    long maxTensorBytes();

    /** Waits until all queued work is done. */
    void finish();

    /** Number of tensors and index buffers allocated and not yet closed (for leak tests). */
    int liveBuffers();

    @Override
    void close();
}
