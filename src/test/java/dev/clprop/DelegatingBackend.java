package dev.clprop;

import dev.clprop.device.DeviceOps;
import dev.clprop.device.Backend;
import dev.clprop.device.IndexBuffer;
import dev.clprop.device.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.loss.Loss;
import dev.clprop.optim.Optimizer;

/** Passes every call to another backend; test doubles override the one op they falsify. */
public abstract class DelegatingBackend implements Backend {
    protected final Backend inner;

    protected DelegatingBackend(Backend inner) {
        this.inner = inner;
    }

    /** Adds {@code delta} to element {@code index} of {@code t} (how the doubles make an op wrong). */
    protected void perturb(Tensor t, int index, float delta) {
        float[] v = new float[t.size()];
        inner.download(t, v);
        v[index] += delta;
        inner.upload(t, v);
    }

    @Override public String name() { return getClass().getSimpleName() + "(" + inner.name() + ")"; }
    @Override public Tensor allocate(int rows, int cols) { return inner.allocate(rows, cols); }
    @Override public java.util.List<Tensor> allocateAll(java.util.List<int[]> shapes) { return inner.allocateAll(shapes); }
    @Override public void downloadAll(java.util.List<Tensor> src, float[][] dst) { inner.downloadAll(src, dst); }
    @Override public void uploadAll(java.util.List<Tensor> dst, float[][] src) { inner.uploadAll(dst, src); }
    // the compute paths run unfused through this wrapper, so that an op a subclass overrides (a fault, a count) takes part
    @Override public void denseForward(Tensor a, Tensor w, Tensor b, Activation act, Tensor out, int m) { DeviceOps.denseForwardUnfused(this, a, w, b, act, out, m); }
    @Override public void denseParamGrads(Tensor d, Tensor a, Tensor wg, Tensor bg, int m) { DeviceOps.denseParamGradsUnfused(this, d, a, wg, bg, m); }
    @Override public void denseSgdStep(Optimizer o, Tensor d, Tensor a, Tensor w, Tensor b, Tensor wg, Tensor bg, Tensor wv, Tensor bv, int m) { DeviceOps.denseSgdStepUnfused(this, o, d, a, w, b, wg, bg, wv, bv, m); }
    @Override public void denseBackwardData(Tensor d, Tensor w, Tensor below, Activation act, Tensor out, int m) { DeviceOps.denseBackwardDataUnfused(this, d, w, below, act, out, m); }
    @Override public void optimizerStepAll(Optimizer o, long step, java.util.List<Tensor> p, java.util.List<Tensor> g, java.util.List<Tensor> s1, java.util.List<Tensor> s2) {
        DeviceOps.optimizerStepEach(this, o, step, p, g, s1, s2);
    }
    @Override public IndexBuffer allocateIndices(int length) { return inner.allocateIndices(length); }
    @Override public void upload(Tensor dst, float[] src) { inner.upload(dst, src); }
    @Override public void uploadIndices(IndexBuffer dst, int[] src) { inner.uploadIndices(dst, src); }
    @Override public void download(Tensor src, float[] dst) { inner.download(src, dst); }
    @Override public void zero(Tensor t) { inner.zero(t); }
    @Override public void gemmForward(Tensor a, Tensor w, Tensor out, int m) { inner.gemmForward(a, w, out, m); }
    @Override public void gemmBackwardData(Tensor d, Tensor w, Tensor out, int m) { inner.gemmBackwardData(d, w, out, m); }
    @Override public void gemmWeightGrad(Tensor d, Tensor a, Tensor out, int m) { inner.gemmWeightGrad(d, a, out, m); }
    @Override public void biasActivation(Tensor z, Tensor b, Activation act, int m) { inner.biasActivation(z, b, act, m); }
    @Override public void activate(Tensor z, Activation act, Tensor out, int m) { inner.activate(z, act, out, m); }
    @Override public void batchNormTrain(Tensor x, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor h, Tensor r, Tensor y, int m) { inner.batchNormTrain(x, g, b, rm, rv, h, r, y, m); }
    @Override public void batchNormEval(Tensor x, Tensor g, Tensor b, Tensor rm, Tensor rv, Tensor y, int m) { inner.batchNormEval(x, g, b, rm, rv, y, m); }
    @Override public void batchNormBackward(Tensor dy, Tensor h, Tensor r, Tensor g, Tensor dx, Tensor dg, Tensor db, int m) { inner.batchNormBackward(dy, h, r, g, dx, dg, db, m); }
    @Override public void layerNormForward(Tensor x, Tensor g, Tensor b, Tensor h, Tensor r, Tensor y, int m) { inner.layerNormForward(x, g, b, h, r, y, m); }
    @Override public void layerNormBackward(Tensor dy, Tensor h, Tensor r, Tensor g, Tensor dx, Tensor dg, Tensor db, int m) { inner.layerNormBackward(dy, h, r, g, dx, dg, db, m); }
    @Override public void activationBackward(Tensor g, Tensor a, Activation act, int m) { inner.activationBackward(g, a, act, m); }
    @Override public void lossGradient(Loss l, Tensor o, Tensor t, int m, Tensor g, Tensor s) { inner.lossGradient(l, o, t, m, g, s); }
    @Override public void weightedLossGradient(Tensor o, Tensor t, Tensor w, int m, Tensor g, Tensor s) { inner.weightedLossGradient(o, t, w, m, g, s); }
    @Override public void sumOfSquares(Tensor t, Tensor p, int off) { inner.sumOfSquares(t, p, off); }
    @Override public void clipCoefficient(Tensor p, int count, float max, Tensor c) { inner.clipCoefficient(p, count, max, c); }
    @Override public void scale(Tensor t, Tensor c) { inner.scale(t, c); }
    @Override public void columnSums(Tensor d, Tensor out, int m) { inner.columnSums(d, out, m); }
    @Override public void optimizerStep(Optimizer o, long step, Tensor p, Tensor g, Tensor s1, Tensor s2) { inner.optimizerStep(o, step, p, g, s1, s2); }
    @Override public void dropout(Tensor s, Tensor d, long key, int threshold, float scale, int m) { inner.dropout(s, d, key, threshold, scale, m); }
    @Override public void run(dev.clprop.device.KernelOp op, Tensor[] args, int m) { inner.run(op, args, m); }
    @Override public void gatherBatch(Tensor x, Tensor y, IndexBuffer ix, int off, int count, Tensor bx, Tensor by) { inner.gatherBatch(x, y, ix, off, count, bx, by); }
    @Override public void gather(Tensor src, IndexBuffer ix, int off, int count, Tensor dst) { inner.gather(src, ix, off, count, dst); }
    @Override public long capacityBytes() { return inner.capacityBytes(); }
    @Override public boolean foldsSgdStep(int n, int k, int m) { return inner.foldsSgdStep(n, k, m); }
    @Override public GemmWorkspace gemmWorkspace(int batch, java.util.List<dev.clprop.model.ParamShape> w) { return inner.gemmWorkspace(batch, w); }
    @Override public long maxTensorBytes() { return inner.maxTensorBytes(); }
    @Override public void finish() { inner.finish(); }
    @Override public int liveBuffers() { return inner.liveBuffers(); }
    @Override public void close() { inner.close(); }
}
