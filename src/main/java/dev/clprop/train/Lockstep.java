package dev.clprop.train;

import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.device.reference.EjmlBackend;
import dev.clprop.error.DeviceException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.ParamShape;
import dev.clprop.optim.Optimizer;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Lockstep verification: a backend that passes every op to a device and, while {@link #begin()}
 * has armed it, also runs the op on EJML from the very inputs the device read (downloaded just before
 * the device runs it) and compares the device's outputs with EJML's under {@link Tolerance}. Each op
 * is thus checked from the same state, so rounding never accumulates between the two paths and a
 * rectifier input near zero cannot flip on one side only: a correct device always passes, and a
 * wrong GEMM, derivative, loss gradient, optimizer update or gather is named with its numbers.
 * Disarmed, it costs one branch per op. Not thread-safe.
 */
public final class Lockstep implements Backend {
    private final Backend device;
    private final EjmlBackend ref;
    private boolean armed;
    private int ops;
    private String worstOp;
    private Tolerance.Report worst;
    private String failure;
    /** Host copies of every index buffer's contents, to check gathers against. */
    private final Map<IndexBuffer, int[]> indices = new IdentityHashMap<>();

    /** Wraps {@code device}; verification is off until {@link #begin()}. */
    public Lockstep(Backend device) {
        this(device, new EjmlBackend(false));
    }

    /** With the reference backend given (tests watch its buffers). */
    Lockstep(Backend device, EjmlBackend reference) {
        this.device = device;
        this.ref = reference;
    }

    /** The backend that does the work. */
    public Backend device() {
        return device;
    }

    /** Starts checking every op. */
    public void begin() {
        armed = true;
        ops = 0;
        worstOp = null;
        worst = null;
        failure = null;
    }

    /**
     * Stops checking and returns a one-line summary of the ops checked since {@link #begin()}, or
     * throws a {@link DeviceException} naming the first op that disagreed.
     * @param what where the ops came from, e.g. "step 60"
     */
    public String end(String what) {
        armed = false;
        if (failure != null) {
            throw new DeviceException("lockstep verification failed at " + what + ": " + device.name() + " and ejml disagree on " + failure
                    + " (tolerance: atol " + fmt(Tolerance.OP.atol()) + " + rtol " + fmt(Tolerance.OP.rtol()) + "·|ejml|, GEMMs a k-dependent atol)");
        }
        return String.format(Locale.ROOT, "verify %s vs ejml: %d ops agree; largest difference %s", what, ops,
                worst == null ? "none" : worstOp + ": max |diff| " + fmt(worst.maxAbs()));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private void check(String op, Tolerance tol, float[] got, float[] want, int n) {
        ops++;
        Tolerance.Report r = tol.compare(got, want, n);
        if (!r.ok()) {
            if (failure == null) failure = op + ": " + r.describe();
            return;
        }
        if (worst == null || r.maxAbs() > worst.maxAbs()) {
            worst = r;
            worstOp = op;
        }
    }

    private float[] get(Tensor t) {
        float[] v = new float[t.size()];
        device.download(t, v);
        return v;
    }

    /** A reference tensor holding {@code v}; closed by the caller. */
    private Tensor put(float[] v, Tensor like) {
        Tensor t = ref.allocate(like.rows(), like.cols());
        ref.upload(t, v);
        return t;
    }

    /** Runs {@code op} on reference copies of the given host arrays and puts the contents of arguments {@code outs} in {@code results}. */
    private void onRef(Tensor[] shapes, float[][] values, int[] outs, Consumer<Tensor[]> op, float[][] results) {
        Tensor[] t = new Tensor[shapes.length];
        try {
            for (int i = 0; i < shapes.length; i++) t[i] = shapes[i] == null ? null : put(values[i], shapes[i]);
            op.accept(t);
            for (int i = 0; i < outs.length; i++) {
                results[i] = new float[t[outs[i]].size()];
                ref.download(t[outs[i]], results[i]);
            }
        } finally {
            for (int i = t.length - 1; i >= 0; i--) if (t[i] != null) t[i].close();
        }
    }

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return device.allocate(rows, cols);
    }

    @Override
    public List<Tensor> allocateAll(List<int[]> shapes) {
        return device.allocateAll(shapes);
    }

    // transfers are not ops to verify: the device's own, fused where it fuses them

    @Override
    public void downloadAll(List<Tensor> src, float[][] dst) {
        device.downloadAll(src, dst);
    }

    @Override
    public void uploadAll(List<Tensor> dst, float[][] src) {
        device.uploadAll(dst, src);
    }

    @Override
    public IndexBuffer allocateIndices(int length) {
        return device.allocateIndices(length);
    }

    @Override
    public void upload(Tensor dst, float[] src) {
        device.upload(dst, src);
    }

    @Override
    public void uploadIndices(IndexBuffer dst, int[] src) {
        device.uploadIndices(dst, src);
        indices.put(dst, src.clone());
    }

    @Override
    public void download(Tensor src, float[] dst) {
        device.download(src, dst);
    }

    @Override
    public void zero(Tensor t) {
        device.zero(t);
    }

    @Override
    public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
        if (!armed) {
            device.gemmForward(a, w, out, m);
            return;
        }
        float[] av = get(a), wv = get(w), ov = get(out);
        device.gemmForward(a, w, out, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{a, w, out}, new float[][]{av, wv, ov}, new int[]{2}, t -> ref.gemmForward(t[0], t[1], t[2], m), r);
        check(String.format(Locale.ROOT, "gemm_forward %dx%dx%d", m, w.rows(), w.cols()), Tolerance.gemm(w.cols()), get(out), r[0], m * out.cols());
    }

    /**
     * The device's dense forward pass (one launch where it fuses the epilogue) against EJML's GEMM then
     * bias + activation, under the GEMM's tolerance (no activation here has a slope above 1). Softmax,
     * which no backend fuses, is checked as its two ops.
     */
    @Override
    public void denseForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        if (!armed) {
            device.denseForward(a, w, bias, act, out, m);
            return;
        }
        if (act == Activation.SOFTMAX) {
            gemmForward(a, w, out, m);
            biasActivation(out, bias, act, m);
            return;
        }
        float[] av = get(a), wv = get(w), bv = bias == null ? null : get(bias), ov = get(out);
        device.denseForward(a, w, bias, act, out, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{a, w, bias, out}, new float[][]{av, wv, bv, ov}, new int[]{3}, t -> {
            ref.gemmForward(t[0], t[1], t[3], m);
            ref.biasActivation(t[3], t[2], act, m);
        }, r);
        check(String.format(Locale.ROOT, "gemm_forward + bias_activation %s %dx%dx%d", act, m, w.rows(), w.cols()), Tolerance.gemm(w.cols()),
                get(out), r[0], m * out.cols());
    }

    @Override
    public void gemmBackwardData(Tensor delta, Tensor w, Tensor out, int m) {
        if (!armed) {
            device.gemmBackwardData(delta, w, out, m);
            return;
        }
        float[] dv = get(delta), wv = get(w), ov = get(out);
        device.gemmBackwardData(delta, w, out, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{delta, w, out}, new float[][]{dv, wv, ov}, new int[]{2}, t -> ref.gemmBackwardData(t[0], t[1], t[2], m), r);
        check(String.format(Locale.ROOT, "gemm_backward_data %dx%dx%d", m, w.cols(), w.rows()), Tolerance.gemm(w.rows()), get(out), r[0], m * out.cols());
    }

    @Override
    public void gemmWeightGrad(Tensor delta, Tensor a, Tensor out, int m) {
        if (!armed) {
            device.gemmWeightGrad(delta, a, out, m);
            return;
        }
        float[] dv = get(delta), av = get(a), ov = get(out);
        device.gemmWeightGrad(delta, a, out, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{delta, a, out}, new float[][]{dv, av, ov}, new int[]{2}, t -> ref.gemmWeightGrad(t[0], t[1], t[2], m), r);
        check(String.format(Locale.ROOT, "gemm_weight_grad %dx%dx%d", out.rows(), out.cols(), m), Tolerance.gemm(m), get(out), r[0], out.size());
    }

    @Override
    public void biasActivation(Tensor z, Tensor bias, Activation act, int m) {
        if (!armed) {
            device.biasActivation(z, bias, act, m);
            return;
        }
        float[] zv = get(z), bv = bias == null ? null : get(bias);
        device.biasActivation(z, bias, act, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{z, bias}, new float[][]{zv, bv}, new int[]{0}, t -> ref.biasActivation(t[0], t[1], act, m), r);
        check("bias_activation " + act + " " + m + "x" + z.cols(), Tolerance.OP, get(z), r[0], m * z.cols());
    }

    @Override
    public void batchNormTrain(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor xhat, Tensor rstd, Tensor y, int m) {
        if (!armed) {
            device.batchNormTrain(x, gamma, beta, runningMean, runningVar, xhat, rstd, y, m);
            return;
        }
        Tensor[] t = {x, gamma, beta, runningMean, runningVar, xhat, rstd, y};
        float[][] v = new float[t.length][];
        for (int i = 0; i < t.length; i++) v[i] = get(t[i]);
        device.batchNormTrain(x, gamma, beta, runningMean, runningVar, xhat, rstd, y, m);
        float[][] r = new float[5][];
        onRef(t, v, new int[]{3, 4, 5, 6, 7}, c -> ref.batchNormTrain(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], m), r);
        String what = "batchnorm_train " + m + "x" + x.cols();
        check(what + ": running mean", Tolerance.OP, get(runningMean), r[0], runningMean.size());
        check(what + ": running variance", Tolerance.OP, get(runningVar), r[1], runningVar.size());
        check(what + ": normalized", Tolerance.OP, get(xhat), r[2], m * x.cols());
        check(what + ": 1/std", Tolerance.OP, get(rstd), r[3], rstd.size());
        check(what + ": output", Tolerance.OP, get(y), r[4], m * x.cols());
    }

    @Override
    public void batchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, int m) {
        if (!armed) {
            device.batchNormEval(x, gamma, beta, runningMean, runningVar, y, m);
            return;
        }
        Tensor[] t = {x, gamma, beta, runningMean, runningVar, y};
        float[][] v = new float[t.length][];
        for (int i = 0; i < t.length; i++) v[i] = get(t[i]);
        device.batchNormEval(x, gamma, beta, runningMean, runningVar, y, m);
        float[][] r = new float[1][];
        onRef(t, v, new int[]{5}, c -> ref.batchNormEval(c[0], c[1], c[2], c[3], c[4], c[5], m), r);
        check("batchnorm_eval " + m + "x" + x.cols(), Tolerance.OP, get(y), r[0], m * x.cols());
    }

    @Override
    public void batchNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, int m) {
        if (!armed) {
            device.batchNormBackward(dy, xhat, rstd, gamma, dx, dgamma, dbeta, m);
            return;
        }
        Tensor[] t = {dy, xhat, rstd, gamma, dx, dgamma, dbeta};
        float[][] v = new float[t.length][];
        for (int i = 0; i < t.length; i++) v[i] = t[i] == null ? null : get(t[i]);
        device.batchNormBackward(dy, xhat, rstd, gamma, dx, dgamma, dbeta, m);
        float[][] r = new float[3][];
        onRef(t, v, dx == null ? new int[]{5, 6} : new int[]{5, 6, 4}, c -> ref.batchNormBackward(c[0], c[1], c[2], c[3], c[4], c[5], c[6], m), r);
        String what = "batchnorm_backward " + m + "x" + dy.cols();
        check(what + ": gamma gradient", Tolerance.OP, get(dgamma), r[0], dgamma.size());
        check(what + ": beta gradient", Tolerance.OP, get(dbeta), r[1], dbeta.size());
        if (dx != null) check(what + ": input gradient", Tolerance.OP, get(dx), r[2], m * dy.cols());
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor xhat, Tensor rstd, Tensor y, int m) {
        if (!armed) {
            device.layerNormForward(x, gamma, beta, xhat, rstd, y, m);
            return;
        }
        float[] xv = get(x), gv = get(gamma), bv = get(beta), hv = get(xhat), rv = get(rstd), yv = get(y);
        device.layerNormForward(x, gamma, beta, xhat, rstd, y, m);
        float[][] r = new float[3][];
        onRef(new Tensor[]{x, gamma, beta, xhat, rstd, y}, new float[][]{xv, gv, bv, hv, rv, yv}, new int[]{3, 4, 5},
                t -> ref.layerNormForward(t[0], t[1], t[2], t[3], t[4], t[5], m), r);
        String what = "layernorm_forward " + m + "x" + x.cols();
        check(what + ": normalized", Tolerance.OP, get(xhat), r[0], m * x.cols());
        check(what + ": 1/std", Tolerance.OP, get(rstd), r[1], m);
        check(what + ": output", Tolerance.OP, get(y), r[2], m * x.cols());
    }

    @Override
    public void layerNormBackward(Tensor dy, Tensor xhat, Tensor rstd, Tensor gamma, Tensor dx, Tensor dgamma, Tensor dbeta, int m) {
        if (!armed) {
            device.layerNormBackward(dy, xhat, rstd, gamma, dx, dgamma, dbeta, m);
            return;
        }
        float[] dyv = get(dy), hv = get(xhat), rv = get(rstd), gv = get(gamma), dxv = dx == null ? null : get(dx), dgv = get(dgamma), dbv = get(dbeta);
        device.layerNormBackward(dy, xhat, rstd, gamma, dx, dgamma, dbeta, m);
        float[][] r = new float[3][];
        onRef(new Tensor[]{dy, xhat, rstd, gamma, dx, dgamma, dbeta}, new float[][]{dyv, hv, rv, gv, dxv, dgv, dbv}, dx == null ? new int[]{5, 6} : new int[]{5, 6, 4},
                t -> ref.layerNormBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], m), r);
        String what = "layernorm_backward " + m + "x" + dy.cols();
        check(what + ": gamma gradient", Tolerance.OP, get(dgamma), r[0], dgamma.size());
        check(what + ": beta gradient", Tolerance.OP, get(dbeta), r[1], dbeta.size());
        if (dx != null) check(what + ": input gradient", Tolerance.OP, get(dx), r[2], m * dy.cols());
    }

    @Override
    public void activate(Tensor z, Activation act, Tensor out, int m) {
        if (!armed) {
            device.activate(z, act, out, m);
            return;
        }
        float[] zv = get(z), ov = get(out);
        device.activate(z, act, out, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{z, out}, new float[][]{zv, ov}, new int[]{1}, t -> ref.activate(t[0], act, t[1], m), r);
        check("activation_forward " + act + " " + m + "x" + z.cols(), Tolerance.OP, get(out), r[0], m * z.cols());
    }

    @Override
    public void activationBackward(Tensor grad, Tensor a, Activation act, int m) {
        if (!armed) {
            device.activationBackward(grad, a, act, m);
            return;
        }
        float[] gv = get(grad), av = get(a);
        device.activationBackward(grad, a, act, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{grad, a}, new float[][]{gv, av}, new int[]{0}, t -> ref.activationBackward(t[0], t[1], act, m), r);
        check("activation_backward " + act + " " + m + "x" + grad.cols(), Tolerance.OP, get(grad), r[0], m * grad.cols());
    }

    @Override
    public void lossGradient(Loss loss, Tensor output, Tensor target, int m, Tensor grad, Tensor lossSum) {
        if (!armed) {
            device.lossGradient(loss, output, target, m, grad, lossSum);
            return;
        }
        float[] ov = get(output), tv = get(target), gv = get(grad), sv = get(lossSum);
        device.lossGradient(loss, output, target, m, grad, lossSum);
        float[][] r = new float[2][];
        onRef(new Tensor[]{output, target, grad, lossSum}, new float[][]{ov, tv, gv, sv}, new int[]{2, 3},
                t -> ref.lossGradient(loss, t[0], t[1], m, t[2], t[3]), r);
        check("loss_gradient " + loss + " " + m + "x" + output.cols(), Tolerance.OP, get(grad), r[0], m * grad.cols());
        check("loss_sum " + loss, Tolerance.OP, get(lossSum), r[1], 1);
    }

    @Override
    public void weightedLossGradient(Tensor output, Tensor target, Tensor weights, int m, Tensor grad, Tensor lossSum) {
        if (!armed) {
            device.weightedLossGradient(output, target, weights, m, grad, lossSum);
            return;
        }
        float[] ov = get(output), tv = get(target), wv = get(weights), gv = get(grad), sv = get(lossSum);
        device.weightedLossGradient(output, target, weights, m, grad, lossSum);
        float[][] r = new float[2][];
        onRef(new Tensor[]{output, target, weights, grad, lossSum}, new float[][]{ov, tv, wv, gv, sv}, new int[]{3, 4},
                t -> ref.weightedLossGradient(t[0], t[1], t[2], m, t[3], t[4]), r);
        check("weighted_loss_gradient " + m + "x" + output.cols(), Tolerance.OP, get(grad), r[0], m * grad.cols());
        check("weighted_loss_sum", Tolerance.OP, get(lossSum), r[1], 1);
    }

    @Override
    public void sumOfSquares(Tensor t, Tensor partials, int offset) {
        if (!armed) {
            device.sumOfSquares(t, partials, offset);
            return;
        }
        float[] tv = get(t), pv = get(partials);
        device.sumOfSquares(t, partials, offset);
        float[][] r = new float[1][];
        onRef(new Tensor[]{t, partials}, new float[][]{tv, pv}, new int[]{1}, x -> ref.sumOfSquares(x[0], x[1], offset), r);
        check("sum_squares " + t.size(), Tolerance.gemm(Math.min(t.size(), SQUARES_CHUNK)), get(partials), r[0], partials.size());
    }

    @Override
    public void clipCoefficient(Tensor partials, int count, float maxNorm, Tensor coef) {
        if (!armed) {
            device.clipCoefficient(partials, count, maxNorm, coef);
            return;
        }
        float[] pv = get(partials), cv = get(coef);
        device.clipCoefficient(partials, count, maxNorm, coef);
        float[][] r = new float[1][];
        onRef(new Tensor[]{partials, coef}, new float[][]{pv, cv}, new int[]{1}, x -> ref.clipCoefficient(x[0], count, maxNorm, x[1]), r);
        check("clip_coefficient", Tolerance.OP, get(coef), r[0], 1);
    }

    @Override
    public void scale(Tensor t, Tensor coef) {
        if (!armed) {
            device.scale(t, coef);
            return;
        }
        float[] tv = get(t), cv = get(coef);
        device.scale(t, coef);
        float[][] r = new float[1][];
        onRef(new Tensor[]{t, coef}, new float[][]{tv, cv}, new int[]{0}, x -> ref.scale(x[0], x[1]), r);
        check("scale " + t.size(), Tolerance.OP, get(t), r[0], t.size());
    }

    @Override
    public void columnSums(Tensor delta, Tensor out, int m) {
        if (!armed) {
            device.columnSums(delta, out, m);
            return;
        }
        float[] dv = get(delta), ov = get(out);
        device.columnSums(delta, out, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{delta, out}, new float[][]{dv, ov}, new int[]{1}, t -> ref.columnSums(t[0], t[1], m), r);
        check("column_sums " + m + "x" + delta.cols(), Tolerance.gemm(m), get(out), r[0], out.size());
    }

    @Override
    public void optimizerStep(Optimizer opt, long step, Tensor param, Tensor grad, Tensor s1, Tensor s2) {
        optimizerStepAll(opt, step, List.of(param), List.of(grad), s1 == null ? null : List.of(s1), s2 == null ? null : List.of(s2));
    }

    /** The device's update of all parameters (one launch where it can), each parameter checked against EJML's. */
    @Override
    public void optimizerStepAll(Optimizer opt, long step, List<Tensor> params, List<Tensor> grads, List<Tensor> s1, List<Tensor> s2) {
        if (!armed) {
            device.optimizerStepAll(opt, step, params, grads, s1, s2);
            return;
        }
        int n = params.size();
        float[][][] before = new float[n][][];
        for (int i = 0; i < n; i++) {
            before[i] = new float[][]{get(params.get(i)), get(grads.get(i)), s1 == null ? null : get(s1.get(i)), s2 == null ? null : get(s2.get(i))};
        }
        device.optimizerStepAll(opt, step, params, grads, s1, s2);
        int slots = opt.kind().slots().size();
        int[] outs = slots == 0 ? new int[]{0} : slots == 1 ? new int[]{0, 2} : new int[]{0, 2, 3};
        for (int i = 0; i < n; i++) {
            Tensor param = params.get(i), t1 = s1 == null ? null : s1.get(i), t2 = s2 == null ? null : s2.get(i);
            float[][] r = new float[3][];
            onRef(new Tensor[]{param, grads.get(i), t1, t2}, before[i], outs, t -> ref.optimizerStep(opt, step, t[0], t[1], t[2], t[3]), r);
            String what = opt.kind() + " step " + step + " (" + (n > 1 ? "parameter " + (i + 1) + " of " + n + ", " : "") + param.size() + " values)";
            check(what + ": parameters", Tolerance.OP, get(param), r[0], param.size());
            if (slots >= 1) check(what + ": " + opt.kind().slots().get(0), Tolerance.OP, get(t1), r[1], t1.size());
            if (slots >= 2) check(what + ": " + opt.kind().slots().get(1), Tolerance.OP, get(t2), r[2], t2.size());
        }
    }

    @Override
    public void dropout(Tensor src, Tensor dst, long key, int threshold, float scale, int m) {
        if (!armed) {
            device.dropout(src, dst, key, threshold, scale, m);
            return;
        }
        float[] sv = get(src), dv = get(dst);
        device.dropout(src, dst, key, threshold, scale, m);
        float[][] r = new float[1][];
        onRef(new Tensor[]{src, dst}, new float[][]{sv, dv}, new int[]{1}, t -> ref.dropout(t[0], t[1], key, threshold, scale, m), r);
        check("dropout " + m + "x" + src.cols(), Tolerance.OP, get(dst), r[0], m * src.cols());
    }

    @Override
    public void gather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst) {
        device.gather(src, index, offset, count, dst);
        if (!armed) return;
        int[] idx = indices.get(index);
        if (idx == null) throw new IllegalStateException("gather through an index buffer whose contents lockstep has not seen");
        float[] s = get(src), got = get(dst), want = new float[got.length];
        int n = src.cols();
        for (int r = 0; r < count; r++) System.arraycopy(s, idx[offset + r] * n, want, r * n, n);
        // a gather is a copy: it must be exact
        check("gather " + count + "x" + n, new Tolerance(0, 0), got, want, count * n);
    }

    @Override
    public long capacityBytes() {
        return device.capacityBytes();
    }

    @Override
    public long maxTensorBytes() {
        return device.maxTensorBytes();
    }

    @Override
    public GemmWorkspace gemmWorkspace(int batch, List<ParamShape> weights) {
        return device.gemmWorkspace(batch, weights);
    }

    @Override
    public void finish() {
        device.finish();
    }

    @Override
    public int liveBuffers() {
        return device.liveBuffers();
    }

    @Override
    public void close() {
        ref.close();
    }
}
