package dev.clprop.backend.opencl;

import dev.clprop.backend.Backend;
import dev.clprop.backend.IndexBuffer;
import dev.clprop.backend.Tensor;
import dev.clprop.model.Activation;
import dev.clprop.model.Loss;
import dev.clprop.model.Optimizer;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops of a training step as OpenCL kernels on one device. Ops are queued on one in-order
 * queue and never wait; only downloads block. Programs are built once per backend (one context
 * on one device). With {@link #setProfiling} on, every launch is timed by its profiling event.
 */
public final class OpenClBackend implements Backend {
    private final ClContext ctx;
    private final GemmConfig gemmConfig;
    private final List<ClProgram> programs = new ArrayList<>();
    private final long buildNanos;
    private final cl_kernel gemmTiled, gemmNt, gemmNn, biasActivation, biasSoftmax, activationBackward, softmaxBackward,
            lossGradient, lossAccumulate, columnSums, sgd, momentum, adam, gatherRows;
    /** Scratch for per-row loss terms, grown to the largest batch seen. */
    private ClTensor rowLoss;
    private int live;
    private boolean profiling;
    private final Map<String, long[]> profile = new LinkedHashMap<>();

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
            ClProgram pg = build(gemm.file(), gemm.buildOptions());
            ClProgram pa = build("activation.cl", "");
            ClProgram pl = build("loss.cl", "");
            ClProgram po = build("optimizer.cl", "");
            ClProgram pga = build("gather.cl", "");
            buildNanos = System.nanoTime() - t0;
            boolean tiled = gemm instanceof GemmConfig.Tiled;
            gemmTiled = tiled ? pg.kernel("gemm") : null;
            gemmNt = tiled ? null : pg.kernel("gemm_nt");
            gemmNn = tiled ? null : pg.kernel("gemm_nn");
            biasActivation = pa.kernel("bias_activation");
            biasSoftmax = pa.kernel("bias_softmax");
            activationBackward = pa.kernel("activation_backward");
            softmaxBackward = pa.kernel("softmax_backward");
            lossGradient = pl.kernel("loss_gradient");
            lossAccumulate = pl.kernel("loss_accumulate");
            columnSums = pl.kernel("column_sums");
            sgd = po.kernel("sgd_step");
            momentum = po.kernel("momentum_step");
            adam = po.kernel("adam_step");
            gatherRows = pga.kernel("gather_rows");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private ClProgram build(String file, String options) {
        ClProgram p = new ClProgram(ctx, file, options);
        programs.add(p);
        return p;
    }

    public DeviceInfo device() {
        return ctx.device;
    }

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

    public void resetProfile() {
        profile.clear();
    }

    @Override
    public String name() {
        return ctx.device.describe();
    }

    final class ClTensor implements Tensor, IndexBuffer {
        final cl_mem mem;
        final int rows;
        final int cols;
        private boolean closed;

        ClTensor(int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
            long bytes = 4L * rows * cols;
            mem = CL.clCreateBuffer(ctx.context, CL.CL_MEM_READ_WRITE, bytes, null, null);
            live++;
            try {
                CL.clEnqueueFillBuffer(ctx.queue, mem, Pointer.to(new float[]{0f}), Sizeof.cl_float, 0, bytes, 0, null, null);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
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
        public int length() {
            return rows * cols;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                CL.clReleaseMemObject(mem);
                live--;
            }
        }
    }

    private static cl_mem mem(Object t) {
        return ((ClTensor) t).mem;
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return new ClTensor(rows, cols);
    }

    @Override
    public IndexBuffer allocateIndices(int length) {
        return new ClTensor(length, 1);
    }

    @Override
    public void upload(Tensor dst, float[] src) {
        if (src.length != dst.size()) throw new IllegalArgumentException("upload of " + src.length + " values into " + dst.size());
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueWriteBuffer(ctx.queue, mem(dst), CL.CL_TRUE, 0, 4L * src.length, Pointer.to(src), 0, null, ev);
        record("upload", ev);
    }

    @Override
    public void uploadIndices(IndexBuffer dst, int[] src) {
        if (src.length != dst.length()) throw new IllegalArgumentException("upload of " + src.length + " indices into " + dst.length());
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueWriteBuffer(ctx.queue, mem(dst), CL.CL_TRUE, 0, 4L * src.length, Pointer.to(src), 0, null, ev);
        record("upload", ev);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        if (dst.length != src.size()) throw new IllegalArgumentException("download of " + src.size() + " values into " + dst.length);
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueReadBuffer(ctx.queue, mem(src), CL.CL_TRUE, 0, 4L * dst.length, Pointer.to(dst), 0, null, ev);
        record("download", ev);
    }

    @Override
    public void zero(Tensor t) {
        CL.clEnqueueFillBuffer(ctx.queue, mem(t), Pointer.to(new float[]{0f}), Sizeof.cl_float, 0, 4L * t.size(), 0, null, null);
    }

    /** C(M,N) = A'·B' through strides (kernels/gemm.cl), for the tiled variant. */
    private void gemmTiled(String name, int M, int N, int K, Tensor a, int aRs, int aCs, Tensor b, int bRs, int bCs, Tensor c) {
        GemmConfig.Tiled g = (GemmConfig.Tiled) gemmConfig;
        long[] local = {g.tsn() / g.wptn(), g.tsm() / g.wptm()};
        long[] global = {ceilDiv(N, g.tsn()) * local[0], ceilDiv(M, g.tsm()) * local[1]};
        launch(name, gemmTiled, global, local, M, N, K, mem(a), aRs, aCs, mem(b), bRs, bCs, mem(c), N);
    }

    /** C(M,N) = A'·B with B row-major (kernels/gemm_vec.cl gemm_nn). */
    private void gemmNn(String name, int M, int N, int K, Tensor a, int aRs, int aCs, Tensor b, Tensor c) {
        GemmConfig.Vector g = (GemmConfig.Vector) gemmConfig;
        long[] global = {ceilDiv(N, (long) g.vw() * g.nnCv()), ceilDiv(M, g.nnRm())};
        launch(name, gemmNn, global, null, M, N, K, mem(a), aRs, aCs, mem(b), N, mem(c), N);
    }

    @Override
    public void gemmForward(Tensor a, Tensor w, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        if (gemmConfig instanceof GemmConfig.Vector g) {
            long[] global = {ceilDiv(n, g.ntRn()), ceilDiv(m, g.ntRm())};
            launch("gemm_forward", gemmNt, global, null, m, n, k, mem(a), k, mem(w), k, mem(out), n);
        } else {
            gemmTiled("gemm_forward", m, n, k, a, k, 1, w, 1, k, out);
        }
    }

    @Override
    public void gemmBackwardData(Tensor delta, Tensor w, Tensor out, int m) {
        int n = w.rows(), k = w.cols();
        if (gemmConfig instanceof GemmConfig.Vector) gemmNn("gemm_backward_data", m, k, n, delta, n, 1, w, out);
        else gemmTiled("gemm_backward_data", m, k, n, delta, n, 1, w, k, 1, out);
    }

    @Override
    public void gemmWeightGrad(Tensor delta, Tensor a, Tensor out, int m) {
        int n = delta.cols(), k = a.cols();
        if (gemmConfig instanceof GemmConfig.Vector) gemmNn("gemm_weight_grad", n, k, m, delta, 1, n, a, out);
        else gemmTiled("gemm_weight_grad", n, k, m, delta, 1, n, a, k, 1, out);
    }

    @Override
    public void biasActivation(Tensor z, Tensor bias, Activation act, int m) {
        int n = z.cols();
        cl_mem b = bias == null ? mem(z) : mem(bias); // any valid buffer when there is no bias
        int hasBias = bias == null ? 0 : 1;
        if (act == Activation.SOFTMAX) {
            launch("bias_softmax", biasSoftmax, new long[]{m}, null, mem(z), b, hasBias, m, n);
        } else {
            launch("bias_activation", biasActivation, new long[]{(long) m * n}, null, mem(z), b, hasBias, m, n, act.code);
        }
    }

    @Override
    public void activationBackward(Tensor grad, Tensor a, Activation act, int m) {
        int n = grad.cols();
        if (act == Activation.SOFTMAX) {
            launch("softmax_backward", softmaxBackward, new long[]{m}, null, mem(grad), mem(a), m, n);
        } else if (act != Activation.LINEAR) {
            launch("activation_backward", activationBackward, new long[]{(long) m * n}, null, mem(grad), mem(a), m * n, act.code);
        }
    }

    @Override
    public void lossGradient(Loss loss, Tensor output, Tensor target, int m, Tensor grad, Tensor lossSum) {
        int n = output.cols();
        ensureRowLoss(m);
        launch("loss_gradient", lossGradient, new long[]{m}, null, mem(output), mem(target), m, n, loss.code, mem(grad), rowLoss.mem);
        float scale = (float) loss.scale(1.0, m, n);
        launch("loss_accumulate", lossAccumulate, new long[]{1}, null, rowLoss.mem, m, scale, mem(lossSum));
    }

    private void ensureRowLoss(int m) {
        if (rowLoss != null && rowLoss.rows >= m) return;
        if (rowLoss != null) rowLoss.close();
        rowLoss = new ClTensor(m, 1);
    }

    @Override
    public void columnSums(Tensor delta, Tensor out, int m) {
        int n = delta.cols();
        launch("column_sums", columnSums, new long[]{n}, null, mem(delta), m, n, mem(out));
    }

    @Override
    public void optimizerStep(Optimizer opt, int step, Tensor param, Tensor grad, Tensor s1, Tensor s2) {
        int count = param.size();
        long[] global = {count};
        switch (opt.kind()) {
            case SGD:
                launch("sgd_step", sgd, global, null, mem(param), mem(grad), count, opt.lr(), opt.weightDecay());
                break;
            case MOMENTUM:
                launch("momentum_step", momentum, global, null, mem(param), mem(grad), mem(s1), count, opt.lr(), opt.momentum(), opt.weightDecay());
                break;
            case ADAM: {
                float stepSize = opt.lr() / opt.biasCorrection1(step);
                float sqrtBc2 = (float) Math.sqrt(opt.biasCorrection2(step));
                launch("adam_step", adam, global, null, mem(param), mem(grad), mem(s1), mem(s2), count, stepSize,
                        opt.beta1(), opt.beta2(), sqrtBc2, opt.eps(), opt.weightDecay());
                break;
            }
            default:
                throw new IllegalStateException(opt.kind().toString());
        }
    }

    @Override
    public void gather(Tensor src, IndexBuffer index, int offset, int count, Tensor dst) {
        int n = src.cols();
        launch("gather_rows", gatherRows, new long[]{(long) count * n}, null, mem(src), mem(index), offset, count, n, mem(dst));
    }

    @Override
    public void finish() {
        CL.clFinish(ctx.queue);
    }

    @Override
    public int liveBuffers() {
        return live - (rowLoss == null ? 0 : 1); // the row-loss scratch buffer is not the caller's
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private void launch(String name, cl_kernel k, long[] global, long[] local, Object... args) {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof cl_mem mem) CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(mem));
            else if (a instanceof Integer v) CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[]{v}));
            else if (a instanceof Float v) CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[]{v}));
            else throw new IllegalArgumentException("kernel argument " + i + " of " + name + ": " + a);
        }
        cl_event ev = profiling ? new cl_event() : null;
        CL.clEnqueueNDRangeKernel(ctx.queue, k, global.length, null, global, local, 0, null, ev);
        record(name, ev);
    }

    private void record(String name, cl_event ev) {
        if (ev == null) return;
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
        if (rowLoss != null) rowLoss.close();
        for (int i = programs.size() - 1; i >= 0; i--) programs.get(i).close();
        programs.clear();
        ctx.close();
    }
}
