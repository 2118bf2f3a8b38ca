package dev.clprop.device.reference;

import dev.clprop.device.DeviceOps;
import dev.clprop.device.DeviceMemory;
import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.KernelOp;
import dev.clprop.device.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.DropoutSpec;
import dev.clprop.loss.Loss;
import dev.clprop.model.BatchNormSpec;
import dev.clprop.model.LayerNormSpec;
import dev.clprop.optim.Optimizer;
import java.util.List;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

import java.util.Arrays;

/**
 * The reference path: float32 on the CPU, GEMMs through EJML, everything else as plain loops that
 * read like the formulas. This defines what correct means for the OpenCL kernels, and is the
 * fallback where no OpenCL device exists. Synchronous; no allocation inside the ops.
 */
public final class EjmlBackend implements Backend {
    /** GEMMs with at least this many multiply-adds use EJML's multi-threaded kernels. */
    private static final long CONCURRENT_MACS = 1L << 18;

    private int live;
    private final boolean concurrent;
    /** Scratch for Wᵀ in {@link #gemmForward}. */
    private final FMatrixRMaj transposed = new FMatrixRMaj(1, 1);

    /** The reference backend, single-threaded. */
    public EjmlBackend() {
        this(Runtime.getRuntime().availableProcessors() > 1);
    }

    /** The reference backend; {@code concurrent} lets EJML use several threads for large products. */
    public EjmlBackend(boolean concurrent) {
        this.concurrent = concurrent;
    }

    /** A tensor over a float array, with a reusable view whose row count ops set to m. */
    static final class EjmlTensor implements Tensor {
        final float[] data;
        final int rows;
        final int cols;
        private final FMatrixRMaj view;
        private final EjmlBackend owner;
        private boolean closed;

        EjmlTensor(EjmlBackend owner, int rows, int cols) {
            this.owner = owner;
            this.rows = rows;
            this.cols = cols;
            this.data = new float[rows * cols];
            this.view = FMatrixRMaj.wrap(rows, cols, data);
        }

        FMatrixRMaj view(int m) {
            view.numRows = m;
            view.numCols = cols;
            return view;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int cols() {
            return cols;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                owner.live--;
            }
        }
    }

    static final class EjmlIndices implements IndexBuffer {
        final int[] data;
        private final EjmlBackend owner;
        private boolean closed;

        EjmlIndices(EjmlBackend owner, int n) {
            this.owner = owner;
            this.data = new int[n];
        }

        @Override
        public int length() {
            return data.length;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                owner.live--;
            }
        }
    }

    private static EjmlTensor t(Tensor x) {
        return (EjmlTensor) x;
    }

    @Override
    public String name() {
        return "ejml";
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        live++;
        return new EjmlTensor(this, rows, cols);
    }

    @Override
    public IndexBuffer allocateIndices(int length) {
        live++;
        return new EjmlIndices(this, length);
    }

    @Override
    public void upload(Tensor dst, float[] src) {
        float[] d = t(dst).data;
        if (src.length != d.length) throw new IllegalArgumentException("upload of " + src.length + " values into " + d.length);
        System.arraycopy(src, 0, d, 0, d.length);
    }

    @Override
    public void uploadIndices(IndexBuffer dst, int[] src) {
        int[] d = ((EjmlIndices) dst).data;
        if (src.length != d.length) throw new IllegalArgumentException("upload of " + src.length + " indices into " + d.length);
        System.arraycopy(src, 0, d, 0, d.length);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        float[] s = t(src).data;
        if (dst.length != s.length) throw new IllegalArgumentException("download of " + s.length + " values into " + dst.length);
        System.arraycopy(s, 0, dst, 0, s.length);
    }

    @Override
    public void zero(Tensor x) {
        Arrays.fill(t(x).data, 0f);
    }

    private boolean big(long m, long n, long k) {
        return concurrent && m * n * k >= CONCURRENT_MACS;
    }

    /**
     * {@code A·Wᵀ} as {@code A·(Wᵀ)}: EJML's mult on a transposed copy of W ran 2.2× faster than its
     * multTransB (10.4 against 4.6 GFLOP/s at 1024³, multi-threaded; 5.7 against 2.8 single-threaded
     * at 128×128×256). The copy goes into one scratch matrix that only grows.
     */
    @Override
    public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
        FMatrixRMaj A = t(a).view(m), W = t(w).view(w.rows()), C = t(out).view(m);
        transposed.reshape(w.cols(), w.rows(), false);
        CommonOps_FDRM.transpose(W, transposed);
        if (big(m, w.rows(), a.cols())) CommonOps_MT_FDRM.mult(A, transposed, C);
        else CommonOps_FDRM.mult(A, transposed, C);
    }

    @Override
    public void gemmBackwardData(Tensor delta, Tensor w, Tensor out, int m) {
        FMatrixRMaj D = t(delta).view(m), W = t(w).view(w.rows()), C = t(out).view(m);
        if (big(m, w.rows(), w.cols())) CommonOps_MT_FDRM.mult(D, W, C);
        else CommonOps_FDRM.mult(D, W, C);
    }

    @Override
    public void gemmWeightGrad(Tensor delta, Tensor a, Tensor out, int m) {
        FMatrixRMaj D = t(delta).view(m), A = t(a).view(m), C = t(out).view(out.rows());
        if (big(m, delta.cols(), a.cols())) CommonOps_MT_FDRM.multTransA(D, A, C);
        else CommonOps_FDRM.multTransA(D, A, C);
    }

    @Override
    public void biasActivation(Tensor zt, Tensor bias, Activation act, int m) {
        float[] z = t(zt).data;
        float[] b = bias == null ? null : t(bias).data;
        int n = zt.cols();
        for (int i = 0; i < m; i++) {
            int row = i * n;
            if (b != null) for (int j = 0; j < n; j++) z[row + j] += b[j];
            if (act == Activation.SOFTMAX) {
                softmaxRow(z, row, n);
            } else {
                for (int j = 0; j < n; j++) z[row + j] = act.apply(z[row + j]);
            }
        }
    }

    /** Numerically stable softmax: the row maximum is subtracted before exponentiating. */
    static void softmaxRow(float[] z, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, z[off + j]);
        float sum = 0f;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(z[off + j] - max);
            z[off + j] = e;
            sum += e;
        }
        for (int j = 0; j < n; j++) z[off + j] /= sum;
    }

    // EJML fuses nothing: each fused path is its unfused form

    @Override
    public List<Tensor> allocateAll(List<int[]> shapes) {
        return DeviceMemory.allocateEach(this, shapes);
    }

    @Override
    public void downloadAll(List<Tensor> src, float[][] dst) {
        DeviceMemory.downloadEach(this, src, dst);
    }

    @Override
    public void uploadAll(List<Tensor> dst, float[][] src) {
        DeviceMemory.uploadEach(this, dst, src);
    }

    @Override
    public void denseForward(Tensor a, Tensor w, Tensor bias, Activation act, Tensor out, int m) {
        DeviceOps.denseForwardUnfused(this, a, w, bias, act, out, m);
    }

    @Override
    public void denseBackwardData(Tensor delta, Tensor w, Tensor below, Activation act, Tensor out, int m) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax's derivative is a row's Jacobian, not element-wise");
        DeviceOps.denseBackwardDataUnfused(this, delta, w, below, act, out, m);
    }

    @Override
    public void denseParamGrads(Tensor delta, Tensor a, Tensor weightGrad, Tensor biasGrad, int m) {
        DeviceOps.denseParamGradsUnfused(this, delta, a, weightGrad, biasGrad, m);
    }

    /** Always: the same arithmetic either way, and the op sequence a device that folds the step runs. */
    @Override
    public boolean foldsSgdStep(int n, int k, int m) {
        return true;
    }

    @Override
    public void denseSgdStep(Optimizer opt, Tensor delta, Tensor a, Tensor weight, Tensor bias, Tensor weightGrad, Tensor biasGrad,
                             Tensor weightVelocity, Tensor biasVelocity, int m) {
        DeviceOps.denseSgdStepUnfused(this, opt, delta, a, weight, bias, weightGrad, biasGrad, weightVelocity, biasVelocity, m);
    }

    @Override
    public void optimizerStepAll(Optimizer opt, long step, List<Tensor> params, List<Tensor> grads, List<Tensor> state1, List<Tensor> state2) {
        DeviceOps.optimizerStepEach(this, opt, step, params, grads, state1, state2);
    }

    @Override
    public void batchNormTrain(Tensor xt, Tensor gammaT, Tensor betaT, Tensor meanT, Tensor varT, Tensor xhatT, Tensor rstdT, Tensor yt, int m) {
        float[] x = t(xt).data, gamma = t(gammaT).data, beta = t(betaT).data, rm = t(meanT).data, rv = t(varT).data;
        float[] xhat = t(xhatT).data, rstd = t(rstdT).data, y = t(yt).data;
        int n = xt.cols();
        float mom = BatchNormSpec.MOMENTUM;
        for (int j = 0; j < n; j++) {
            float s = 0f;
            for (int r = 0; r < m; r++) s += x[r * n + j];
            float mean = s / m, v = 0f;
            for (int r = 0; r < m; r++) {
                float d = x[r * n + j] - mean;
                v += d * d;
            }
            float rs = 1f / (float) Math.sqrt(v / m + BatchNormSpec.EPS); // in float, as the kernel
            rstd[j] = rs;
            for (int r = 0; r < m; r++) {
                float h = (x[r * n + j] - mean) * rs;
                xhat[r * n + j] = h;
                y[r * n + j] = gamma[j] * h + beta[j];
            }
            rm[j] = (1f - mom) * rm[j] + mom * mean;
            rv[j] = (1f - mom) * rv[j] + mom * (v / (m - 1));
        }
    }

    @Override
    public void batchNormEval(Tensor xt, Tensor gammaT, Tensor betaT, Tensor meanT, Tensor varT, Tensor yt, int m) {
        float[] x = t(xt).data, gamma = t(gammaT).data, beta = t(betaT).data, rm = t(meanT).data, rv = t(varT).data, y = t(yt).data;
        int n = xt.cols();
        for (int j = 0; j < n; j++) {
            float rs = 1f / (float) Math.sqrt(rv[j] + BatchNormSpec.EPS);
            for (int r = 0; r < m; r++) y[r * n + j] = gamma[j] * ((x[r * n + j] - rm[j]) * rs) + beta[j];
        }
    }

    @Override
    public void batchNormBackward(Tensor dyT, Tensor xhatT, Tensor rstdT, Tensor gammaT, Tensor dxT, Tensor dgammaT, Tensor dbetaT, int m) {
        float[] dy = t(dyT).data, xhat = t(xhatT).data, rstd = t(rstdT).data, gamma = t(gammaT).data, dgamma = t(dgammaT).data, dbeta = t(dbetaT).data;
        float[] dx = dxT == null ? null : t(dxT).data;
        int n = dyT.cols();
        for (int j = 0; j < n; j++) {
            float sb = 0f, sg = 0f;
            for (int r = 0; r < m; r++) {
                sb += dy[r * n + j];
                sg += dy[r * n + j] * xhat[r * n + j];
            }
            dgamma[j] = sg;
            dbeta[j] = sb;
            if (dx == null) continue;
            float k = gamma[j] * rstd[j] / m;
            for (int r = 0; r < m; r++) dx[r * n + j] = k * (m * dy[r * n + j] - sb - xhat[r * n + j] * sg);
        }
    }

    @Override
    public void layerNormForward(Tensor xt, Tensor gammaT, Tensor betaT, Tensor xhatT, Tensor rstdT, Tensor yt, int m) {
        float[] x = t(xt).data, gamma = t(gammaT).data, beta = t(betaT).data, xhat = t(xhatT).data, rstd = t(rstdT).data, y = t(yt).data;
        int n = xt.cols();
        for (int r = 0; r < m; r++) {
            int o = r * n;
            float s = 0f;
            for (int j = 0; j < n; j++) s += x[o + j];
            float mean = s / n, v = 0f;
            for (int j = 0; j < n; j++) {
                float d = x[o + j] - mean;
                v += d * d;
            }
            float rs = 1f / (float) Math.sqrt(v / n + LayerNormSpec.EPS); // in float, as the kernel
            rstd[r] = rs;
            for (int j = 0; j < n; j++) {
                float h = (x[o + j] - mean) * rs;
                xhat[o + j] = h;
                y[o + j] = gamma[j] * h + beta[j];
            }
        }
    }

    @Override
    public void layerNormBackward(Tensor dyT, Tensor xhatT, Tensor rstdT, Tensor gammaT, Tensor dxT, Tensor dgammaT, Tensor dbetaT, int m) {
        float[] dy = t(dyT).data, xhat = t(xhatT).data, rstd = t(rstdT).data, gamma = t(gammaT).data, dgamma = t(dgammaT).data, dbeta = t(dbetaT).data;
        int n = dyT.cols();
        for (int j = 0; j < n; j++) {
            float sg = 0f, sb = 0f;
            for (int r = 0; r < m; r++) {
                sg += dy[r * n + j] * xhat[r * n + j];
                sb += dy[r * n + j];
            }
            dgamma[j] = sg;
            dbeta[j] = sb;
        }
        if (dxT == null) return;
        float[] dx = t(dxT).data;
        for (int r = 0; r < m; r++) {
            int o = r * n;
            float a = 0f, b = 0f;
            for (int j = 0; j < n; j++) {
                float g = dy[o + j] * gamma[j];
                a += g;
                b += g * xhat[o + j];
            }
            float ma = a / n, mb = b / n, rs = rstd[r];
            for (int j = 0; j < n; j++) dx[o + j] = rs * (dy[o + j] * gamma[j] - ma - xhat[o + j] * mb);
        }
    }

    @Override
    public void activate(Tensor zt, Activation act, Tensor outT, int m) {
        if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax is row-wise; use biasActivation");
        float[] z = t(zt).data, out = t(outT).data;
        for (int i = 0, end = m * zt.cols(); i < end; i++) out[i] = act.apply(z[i]);
    }

    @Override
    public void activationBackward(Tensor gt, Tensor at, Activation act, int m) {
        float[] g = t(gt).data;
        float[] a = t(at).data;
        int n = gt.cols();
        if (act == Activation.SOFTMAX) {
            for (int i = 0; i < m; i++) {
                int row = i * n;
                float dot = 0f;
                for (int j = 0; j < n; j++) dot += g[row + j] * a[row + j];
                for (int j = 0; j < n; j++) g[row + j] = a[row + j] * (g[row + j] - dot);
            }
            return;
        }
        for (int i = 0, end = m * n; i < end; i++) g[i] *= act.derivative(a[i]);
    }

    @Override
    public void lossGradient(Loss loss, Tensor outT, Tensor targetT, int m, Tensor gradT, Tensor lossSumT) {
        float[] p = t(outT).data;
        float[] y = t(targetT).data;
        float[] g = t(gradT).data;
        int n = outT.cols();
        float batchLoss = 0f;
        for (int i = 0; i < m; i++) {
            float rowLoss = 0f;
            for (int j = i * n, end = j + n; j < end; j++) {
                rowLoss += loss.elementLoss(p[j], y[j]);
                g[j] = loss.elementGradient(p[j], y[j], m, n);
            }
            batchLoss += rowLoss;
        }
        t(lossSumT).data[0] += (float) loss.scale(batchLoss, m, n);
    }

    @Override
    public void weightedLossGradient(Tensor outT, Tensor targetT, Tensor weightsT, int m, Tensor gradT, Tensor lossSumT) {
        float[] p = t(outT).data, y = t(targetT).data, w = t(weightsT).data, g = t(gradT).data;
        int n = outT.cols();
        float total = 0f;
        for (int i = 0; i < m; i++) total += rowWeight(w, y, i * n, n);
        float batchLoss = 0f;
        for (int i = 0; i < m; i++) {
            float r = rowWeight(w, y, i * n, n);
            float rowLoss = 0f;
            for (int j = i * n, end = j + n; j < end; j++) {
                rowLoss += Loss.CROSS_ENTROPY.elementLoss(p[j], y[j]);
                g[j] = total == 0f ? 0f : r * (p[j] - y[j]) / total;
            }
            batchLoss += total == 0f ? 0f : r * rowLoss / total;
        }
        t(lossSumT).data[0] += batchLoss;
    }

    private static float rowWeight(float[] w, float[] y, int off, int n) {
        float r = 0f;
        for (int j = 0; j < n; j++) r += w[j] * y[off + j];
        return r;
    }

    @Override
    public void sumOfSquares(Tensor x, Tensor partialsT, int offset) {
        float[] v = t(x).data, out = t(partialsT).data;
        for (int c = 0, start = 0; start < v.length; c++, start += SQUARES_CHUNK) {
            float s = 0f;
            for (int i = start, end = Math.min(start + SQUARES_CHUNK, v.length); i < end; i++) s += v[i] * v[i];
            out[offset + c] = s;
        }
    }

    @Override
    public void clipCoefficient(Tensor partialsT, int count, float maxNorm, Tensor coefT) {
        float[] p = t(partialsT).data;
        float s = 0f;
        for (int i = 0; i < count; i++) s += p[i];
        t(coefT).data[0] = Math.min(1f, maxNorm / ((float) Math.sqrt(s) + 1e-6f));
    }

    @Override
    public void scale(Tensor x, Tensor coefT) {
        float[] v = t(x).data;
        float c = t(coefT).data[0];
        for (int i = 0; i < v.length; i++) v[i] *= c;
    }

    @Override
    public void columnSums(Tensor dt, Tensor outT, int m) {
        float[] d = t(dt).data;
        float[] o = t(outT).data;
        int n = dt.cols();
        Arrays.fill(o, 0, n, 0f);
        for (int i = 0; i < m; i++) {
            int row = i * n;
            for (int j = 0; j < n; j++) o[j] += d[row + j];
        }
    }

    @Override
    public void optimizerStep(Optimizer opt, long step, Tensor param, Tensor grad, Tensor s1, Tensor s2) {
        float[] p = t(param).data;
        float[] g = t(grad).data;
        float wd = opt.weightDecay();
        float lr = opt.learningRate();
        switch (opt.kind()) {
            case SGD:
                for (int i = 0; i < p.length; i++) p[i] -= lr * (g[i] + wd * p[i]);
                break;
            case MOMENTUM: {
                float[] v = t(s1).data;
                float mu = opt.momentum();
                for (int i = 0; i < p.length; i++) {
                    v[i] = mu * v[i] + (g[i] + wd * p[i]);
                    p[i] -= lr * v[i];
                }
                break;
            }
            case ADAM:
            case ADAMW: {
                float[] mo = t(s1).data;
                float decay = opt.parameterDecay();
                wd = opt.gradientDecay();
                float[] ve = t(s2).data;
                float b1 = opt.beta1(), b2 = opt.beta2(), eps = opt.epsilon();
                float stepSize = lr / opt.biasCorrection1(step);
                float sqrtBc2 = (float) Math.sqrt(opt.biasCorrection2(step));
                for (int i = 0; i < p.length; i++) {
                    p[i] *= decay;
                    float gi = g[i] + wd * p[i];
                    mo[i] = b1 * mo[i] + (1f - b1) * gi;
                    ve[i] = b2 * ve[i] + (1f - b2) * gi * gi;
                    float denom = (float) Math.sqrt(ve[i]) / sqrtBc2 + eps;
                    p[i] -= stepSize * (mo[i] / denom);
                }
                break;
            }
            default:
                throw new IllegalStateException(opt.kind().toString());
        }
    }

    /** The op's reference, on the tensors' own arrays. */
    @Override
    public void run(KernelOp op, Tensor[] args, int m) {
        float[][] values = new float[args.length][];
        for (int i = 0; i < args.length; i++) values[i] = args[i] == null ? null : t(args[i]).data;
        op.reference(values, args, m);
    }

    @Override
    public void dropout(Tensor srcT, Tensor dstT, long key, int threshold, float scale, int m) {
        float[] s = t(srcT).data, d = t(dstT).data;
        for (int i = 0, n = m * srcT.cols(); i < n; i++) d[i] = DropoutSpec.keeps(key, i, threshold) ? s[i] * scale : 0f;
    }

    @Override
    public void gather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst) {
        DeviceOps.checkGather(src, index, offset, count, dst);
        float[] s = t(src).data;
        float[] d = t(dst).data;
        int[] idx = ((EjmlIndices) index).data;
        int n = src.cols();
        for (int r = 0; r < count; r++) System.arraycopy(s, idx[offset + r] * n, d, r * n, n);
    }

    @Override
    public void gatherBatch(Tensor x, Tensor y, IndexBuffer index, int offset, int count, Tensor batchX, Tensor batchY) {
        gather(x, index, offset, count, batchX);
        gather(y, index, offset, count, batchY);
    }

    @Override
    public long capacityBytes() {
        return dev.clprop.util.Memory.free();
    }

    @Override
    public long maxTensorBytes() {
        return 4L * (Integer.MAX_VALUE - 8);
    }

    @Override
    public void finish() {
        // synchronous
    }

    @Override
    public int liveBuffers() {
        return live;
    }

    @Override
    public void close() {
        // nothing native to release
    }
}
