package dev.clprop.train;

import dev.clprop.device.KernelLauncher;
import dev.clprop.device.KernelOp;
import dev.clprop.device.Tensor;
import dev.clprop.device.Tolerance;
import dev.clprop.loss.Loss;
import dev.clprop.model.Activation;
import dev.clprop.model.DropoutSpec;
import dev.clprop.optim.Optimizer;

import java.util.List;

/**
 * The ops of {@link ModelBatch}, each covering K models in one launch ({@code kernels/model_batch.cl}):
 * per op, its definition on host arrays (which the EJML backend runs, and which the kernel tests compare
 * with) and its launch. Layouts are in the kernel file's header: model k's rows of a batch tensor start
 * at row k·cap; its parameters, gradients and optimizer state are row k of a K × stride block; row k of
 * the hyper tensor holds its settings at the {@link Hyper} columns.
 */
public final class ModelBatchOps {
    private ModelBatchOps() {
    }

    static final String FILE = "model_batch.cl";

    /** The columns of a model's row of the hyper tensor; the kernel file takes them as HP_* options. */
    enum Hyper {
        /** The learning rate now (the schedule's). */
        LR(1),
        /** Momentum's μ. */
        MOMENTUM(1),
        /** Adam's β1. */
        BETA1(1),
        /** Adam's β2. */
        BETA2(1),
        /** Adam's ε. */
        EPSILON(1),
        /** What weight decay adds to the gradient ({@link Optimizer#gradientDecay}). */
        GRADIENT_DECAY(1),
        /** The factor each parameter is multiplied by first ({@link Optimizer#parameterDecay}). */
        PARAMETER_DECAY(1),
        /** The seed of the model's dropout masks, as four 16-bit parts, low first (each exact in a float). */
        SEED(4);

        final int width;

        Hyper(int width) {
            this.width = width;
        }

        /** The first column of this field. */
        int column() {
            int c = 0;
            for (Hyper h : values()) {
                if (h == this) return c;
                c += h.width;
            }
            throw new IllegalStateException();
        }

        /** Columns of the fixed fields; each dropout layer adds two (threshold, scale) after them. */
        static int fixedColumns() {
            return SEED.column() + SEED.width;
        }
    }

    /** The -D options model_batch.cl is built with: the hyper columns and the optimizer codes. */
    static String buildOptions() {
        StringBuilder sb = new StringBuilder();
        for (Hyper h : Hyper.values()) sb.append(" -DHP_").append(h.name()).append('=').append(h.column());
        sb.append(" -DOPT_SGD=").append(Optimizer.Kind.SGD.code()).append(" -DOPT_MOMENTUM=").append(Optimizer.Kind.MOMENTUM.code());
        return sb.toString().trim();
    }

    /** Splits a 64-bit value into the four 16-bit parts the kernels read (see {@link Hyper#SEED}). */
    static void putU64(float[] row, int at, long v) {
        for (int q = 0; q < 4; q++) row[at + q] = (float) ((v >>> (16 * q)) & 0xFFFF);
    }

    static long u64(float[] row, int at) {
        long v = 0;
        for (int q = 0; q < 4; q++) v |= ((long) row[at + q]) << (16 * q);
        return v;
    }

    /** Work-items for n elements taken {@link KernelOp#ITEM_WIDTH} at a time. */
    static long chunks(int n) {
        return (n + KernelOp.ITEM_WIDTH - 1) / KernelOp.ITEM_WIDTH;
    }

    /** What every op shares: its file, its options, its name and the arguments it modifies. */
    private abstract static class Op implements KernelOp {
        private final String name;
        private final List<Integer> outputs;

        Op(String name, Integer... outputs) {
            this.name = name;
            this.outputs = List.of(outputs);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<Integer> outputs() {
            return outputs;
        }

        @Override
        public String kernelFile() {
            return FILE;
        }

        @Override
        public String buildOptions() {
            return ModelBatchOps.buildOptions();
        }
    }

    /**
     * A minibatch per model. Args: x, y (or null), order (K × orderLen row numbers), bx, by (or null):
     * row i of model k is row order[k, offset + i] of x and y. Modifies bx, by.
     */
    static final class Gather extends Op {
        final int models, cap, orderLen, offset;

        Gather(int models, int cap, int orderLen, int offset) {
            super("mb_gather", 3, 4);
            this.models = models;
            this.cap = cap;
            this.orderLen = orderLen;
            this.offset = offset;
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int nx = args[0].cols(), ny = args[1] == null ? 0 : args[1].cols();
            for (int k = 0; k < models; k++) {
                for (int i = 0; i < m; i++) {
                    int row = (int) v[2][k * orderLen + offset + i], dst = k * cap + i;
                    System.arraycopy(v[0], row * nx, v[3], dst * nx, nx);
                    if (ny > 0) System.arraycopy(v[1], row * ny, v[4], dst * ny, ny);
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int nx = args[0].cols(), ny = args[1] == null ? 0 : args[1].cols();
            device.kernel("mb_gather").tensor("x", args[0]).tensor("y", args[1] == null ? args[0] : args[1]).tensor("order", args[2]).tensor("bx", args[3])
                    .tensor("by", args[4] == null ? args[3] : args[4]).i32("order_len", orderLen).i32("offset", offset).i32("m", m).i32("cap", cap)
                    .i32("nx", nx).i32("ny", ny).i32("models", models).items(chunks(Math.max(nx, ny)) * models * m);
        }
    }

    /** Where a dense layer's weight and bias are in a model's row of the parameter block. */
    record DenseShape(int in, int n, int stride, int weightOffset, int biasOffset) {
        boolean hasBias() {
            return biasOffset >= 0;
        }
    }

    /**
     * A dense layer's forward pass. Args: a, params, pre (or null), out: z = a·Wᵀ + b, out = f(z), and
     * pre = z when given. f is not softmax ({@link Softmax} follows a linear product). Modifies pre, out.
     */
    static final class DenseForward extends Op {
        final int models, cap;
        final DenseShape s;
        final Activation act;

        DenseForward(int models, int cap, DenseShape s, Activation act) {
            super("mb_dense_forward", 2, 3);
            if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax is row-wise: a linear product, then Softmax");
            this.models = models;
            this.cap = cap;
            this.s = s;
            this.act = act;
        }

        @Override
        public Tolerance tolerance(Tensor[] args, int m) {
            return Tolerance.gemm(s.in());
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            float[] a = v[0], p = v[1], pre = v[2], out = v[3];
            for (int k = 0; k < models; k++) {
                for (int i = 0; i < m; i++) {
                    int ar = (k * cap + i) * s.in();
                    for (int j = 0; j < s.n(); j++) {
                        int w = k * s.stride() + s.weightOffset() + j * s.in();
                        float sum = 0f;
                        for (int q = 0; q < s.in(); q++) sum += a[ar + q] * p[w + q];
                        if (s.hasBias()) sum += p[k * s.stride() + s.biasOffset() + j];
                        int o = (k * cap + i) * s.n() + j;
                        if (pre != null) pre[o] = sum;
                        out[o] = act.apply(sum);
                    }
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            device.kernel("mb_dense_forward").tensor("a", args[0]).tensor("params", args[1]).tensor("pre", args[2] == null ? args[3] : args[2])
                    .tensor("out", args[3]).i32("m", m).i32("cap", cap).i32("in", s.in()).i32("n", s.n()).i32("stride", s.stride())
                    .i32("w_off", s.weightOffset()).i32("b_off", s.biasOffset()).i32("keep_pre", args[2] == null ? 0 : 1).i32("act", act.code())
                    .i32("models", models).items(chunks(s.n()) * models * m);
        }
    }

    /** Row-wise softmax in place. Args: z. Modifies z. */
    static final class Softmax extends Op {
        final int models, cap;

        Softmax(int models, int cap) {
            super("mb_softmax", 0);
            this.models = models;
            this.cap = cap;
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int n = args[0].cols();
            float[] z = v[0];
            for (int k = 0; k < models; k++) {
                for (int i = 0; i < m; i++) {
                    int row = (k * cap + i) * n;
                    float mx = Float.NEGATIVE_INFINITY, sum = 0f;
                    for (int j = 0; j < n; j++) mx = Math.max(mx, z[row + j]);
                    for (int j = 0; j < n; j++) {
                        z[row + j] = (float) Math.exp(z[row + j] - mx);
                        sum += z[row + j];
                    }
                    for (int j = 0; j < n; j++) z[row + j] /= sum;
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            device.kernel("mb_softmax").tensor("z", args[0]).i32("m", m).i32("cap", cap).i32("n", args[0].cols()).i32("models", models).items((long) models * m);
        }
    }

    /**
     * Inverted dropout with each model's own mask ({@link DropoutSpec#key}(seed, step, layer), the seed
     * from the model's hyper row, its threshold and scale at columns field and field + 1). Args: src, dst,
     * hyper. Modifies dst.
     */
    static final class Dropout extends Op {
        final int models, cap, field, step, layer;

        Dropout(int models, int cap, int field, int step, int layer) {
            super("mb_dropout", 1);
            this.models = models;
            this.cap = cap;
            this.field = field;
            this.step = step;
            this.layer = layer;
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int n = args[0].cols(), h = args[2].cols();
            for (int k = 0; k < models; k++) {
                long key = DropoutSpec.key(u64(v[2], k * h + Hyper.SEED.column()), step, layer);
                int threshold = (int) v[2][k * h + field];
                float scale = v[2][k * h + field + 1];
                for (int i = 0; i < m; i++) {
                    for (int c = 0; c < n; c++) {
                        int o = (k * cap + i) * n + c;
                        v[1][o] = DropoutSpec.keeps(key, (long) i * n + c, threshold) ? v[0][o] * scale : 0f;
                    }
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int n = args[0].cols();
            device.kernel("mb_dropout").tensor("src", args[0]).tensor("dst", args[1]).tensor("hyper", args[2]).i32("hyper_cols", args[2].cols())
                    .i32("field", field).i32("m", m).i32("cap", cap).i32("n", n).i32("mask_step", step).i32("layer", layer).i32("models", models)
                    .items((long) n * models * m);
        }
    }

    /**
     * The loss gradient of each model's batch and its loss added to lossSum[k], as {@link Loss#scale}
     * of the element terms; with class weights (row k of classWeights), cross-entropy weighted as
     * torch.nn.CrossEntropyLoss(weight=w). Args: out, target, grad, lossSum, classWeights (or null).
     * Modifies grad, lossSum, and out where it applies the softmax.
     */
    static final class LossGradient extends Op {
        final int models, cap;
        final Loss loss;
        final boolean softmax;

        /** softmax: out holds the output layer's logits, which this op first turns into probabilities (in place, as {@link Softmax}). */
        LossGradient(int models, int cap, Loss loss, boolean softmax) {
            super("mb_loss", softmax ? new Integer[]{0, 2, 3} : new Integer[]{2, 3});
            this.models = models;
            this.cap = cap;
            this.loss = loss;
            this.softmax = softmax;
        }

        @Override
        public Tolerance tolerance(Tensor[] args, int m) {
            return Tolerance.gemm(m * args[0].cols());
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int n = args[0].cols();
            float[] out = v[0], y = v[1], grad = v[2], sums = v[3], w = v[4];
            if (softmax) new Softmax(models, cap).reference(new float[][]{out}, new Tensor[]{args[0]}, m);
            float scale = (float) loss.scale(1.0, m, n);
            for (int k = 0; k < models; k++) {
                int base = k * cap * n;
                float total = 0f;
                if (w != null) {
                    for (int i = 0; i < m; i++) total += rowWeight(w, k * n, y, base + i * n, n);
                }
                float sum = 0f;
                for (int i = 0; i < m; i++) {
                    float row = 0f, r = w == null ? 0f : rowWeight(w, k * n, y, base + i * n, n);
                    for (int j = 0; j < n; j++) {
                        int e = base + i * n + j;
                        row += loss.elementLoss(out[e], y[e]);
                        grad[e] = w == null ? loss.elementGradient(out[e], y[e], m, n) : total == 0f ? 0f : r * (out[e] - y[e]) / total;
                    }
                    sum += w == null ? row : total == 0f ? 0f : r * row / total;
                }
                sums[k] += w == null ? sum * scale : sum;
            }
        }

        private static float rowWeight(float[] w, int at, float[] y, int row, int n) {
            float r = 0f;
            for (int j = 0; j < n; j++) r += w[at + j] * y[row + j];
            return r;
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int n = args[0].cols();
            device.kernel("mb_loss").tensor("out", args[0]).tensor("target", args[1]).tensor("grad", args[2]).tensor("loss_sum", args[3])
                    .tensor("class_weights", args[4] == null ? args[3] : args[4]).i32("weighted", args[4] == null ? 0 : 1).i32("softmax", softmax ? 1 : 0).i32("m", m).i32("cap", cap)
                    .i32("n", n).i32("loss", loss.code()).f32("scale", (float) loss.scale(1.0, m, n)).i32("models", models).groups(models, KernelOp.LOSS_GROUP);
        }
    }

    /** grad ← grad · f′(a), f′ taken from what the layer keeps (its output, or z for gelu and silu). Args: grad, a. Modifies grad. */
    static final class ActivationBackward extends Op {
        final int models, cap;
        final Activation act;

        ActivationBackward(int models, int cap, Activation act) {
            super("mb_activation_backward", 0);
            if (act == Activation.SOFTMAX) throw new IllegalArgumentException("softmax's Jacobian is row-wise; a model batch fuses it into cross-entropy only");
            this.models = models;
            this.cap = cap;
            this.act = act;
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int n = args[0].cols();
            for (int k = 0; k < models; k++) {
                for (int o = k * cap * n, end = o + m * n; o < end; o++) v[0][o] *= act.derivative(v[1][o]);
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int n = args[0].cols();
            device.kernel("mb_activation_backward").tensor("grad", args[0]).tensor("a", args[1]).i32("m", m).i32("cap", cap).i32("n", n)
                    .i32("act", act.code()).i32("models", models).items(chunks(n) * models * m);
        }
    }

    /**
     * A dense layer's parameter gradients in one launch: dW = dᵀ·a and, where it has a bias, db = the
     * column sums of d, rows in order. Args: d, a, grads (the K × stride block). Modifies grads.
     */
    static final class WeightGrad extends Op {
        final int models, cap;
        final DenseShape s;

        WeightGrad(int models, int cap, DenseShape s) {
            super("mb_weight_grad", 2);
            this.models = models;
            this.cap = cap;
            this.s = s;
        }

        @Override
        public Tolerance tolerance(Tensor[] args, int m) {
            return Tolerance.gemm(m);
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            float[] d = v[0], a = v[1], g = v[2];
            int in = s.in(), n = s.n();
            for (int k = 0; k < models; k++) {
                int dk = k * cap * n, ak = k * cap * in, row = k * s.stride();
                for (int j = 0; j < n; j++) {
                    for (int p = 0; p < in; p++) {
                        float sum = 0f;
                        for (int i = 0; i < m; i++) sum += d[dk + i * n + j] * a[ak + i * in + p];
                        g[row + s.weightOffset() + j * in + p] = sum;
                    }
                    if (s.hasBias()) {
                        float sum = 0f;
                        for (int i = 0; i < m; i++) sum += d[dk + i * n + j];
                        g[row + s.biasOffset() + j] = sum;
                    }
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            device.kernel("mb_weight_grad").tensor("d", args[0]).tensor("a", args[1]).tensor("grads", args[2]).i32("m", m).i32("cap", cap)
                    .i32("in", s.in()).i32("n", s.n()).i32("stride", s.stride()).i32("w_off", s.weightOffset()).i32("b_off", s.biasOffset())
                    .i32("models", models).items((chunks(s.in()) + 1L) * models * s.n());
        }
    }

    /**
     * The gradient a dense layer passes back: da = d·W, times f′(below) where the layer below is dense
     * with activation f (its {@link ActivationBackward}, fused; {@link Activation#LINEAR}: none). Args: d,
     * params, da, below (what that layer keeps for its derivative, or null). Modifies da.
     */
    static final class BackwardData extends Op {
        final int models, cap;
        final DenseShape s;
        final Activation below;

        BackwardData(int models, int cap, DenseShape s, Activation below) {
            super("mb_backward_data", 2);
            if (below == Activation.SOFTMAX) throw new IllegalArgumentException("softmax is an output layer's");
            this.models = models;
            this.cap = cap;
            this.s = s;
            this.below = below;
        }

        @Override
        public Tolerance tolerance(Tensor[] args, int m) {
            return Tolerance.gemm(s.n());
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            float[] d = v[0], p = v[1], da = v[2];
            int in = s.in(), n = s.n();
            for (int k = 0; k < models; k++) {
                for (int i = 0; i < m; i++) {
                    int dr = (k * cap + i) * n, w = k * s.stride() + s.weightOffset();
                    for (int q = 0; q < in; q++) {
                        float sum = 0f;
                        for (int j = 0; j < n; j++) sum += d[dr + j] * p[w + j * in + q];
                        int at = (k * cap + i) * in + q;
                        da[at] = below == Activation.LINEAR ? sum : sum * below.derivative(v[3][at]);
                    }
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            device.kernel("mb_backward_data").tensor("d", args[0]).tensor("params", args[1]).tensor("da", args[2])
                    .tensor("below", args[3] == null ? args[2] : args[3]).i32("act", below.code()).i32("m", m).i32("cap", cap)
                    .i32("in", s.in()).i32("n", s.n()).i32("stride", s.stride()).i32("w_off", s.weightOffset()).i32("models", models)
                    .items(chunks(s.in()) * models * m);
        }
    }

    /** Each model's clipping coefficient, min(1, maxNorm / (‖g‖ + 1e-6)). Args: grads (K × count), coef (K × 1). Modifies coef. */
    static final class ClipCoefficient extends Op {
        final int models;
        final float maxNorm;

        ClipCoefficient(int models, float maxNorm) {
            super("mb_clip_coefficient", 1);
            this.models = models;
            this.maxNorm = maxNorm;
        }

        @Override
        public Tolerance tolerance(Tensor[] args, int m) {
            return Tolerance.gemm(args[0].cols());
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int count = args[0].cols();
            for (int k = 0; k < models; k++) {
                float s = 0f;
                for (int i = k * count; i < (k + 1) * count; i++) s += v[0][i] * v[0][i];
                v[1][k] = Math.min(1f, maxNorm / ((float) Math.sqrt(s) + 1e-6f));
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            device.kernel("mb_clip_coefficient").tensor("grads", args[0]).i32("count", args[0].cols()).f32("max_norm", maxNorm).tensor("coef", args[1])
                    .i32("models", models).items(models);
        }
    }

    /**
     * Every parameter of every model, with each model's settings from its hyper row: the updates of
     * {@link dev.clprop.device.DeviceOps#optimizerStep}, the gradient first multiplied by coef[k] where
     * clipping is on. Args: params, grads, state1 (or null), state2 (or null), hyper, coef (or null).
     * Modifies params and the states.
     */
    static final class Update extends Op {
        final int models;
        final Optimizer.Kind kind;
        final float bc1, sqrtBc2;

        /** bc1 and sqrtBc2: Adam's bias corrections at this step (1 for the others). */
        Update(int models, Optimizer.Kind kind, float bc1, float sqrtBc2) {
            super("mb_optimizer", 0, 2, 3);
            this.models = models;
            this.kind = kind;
            this.bc1 = bc1;
            this.sqrtBc2 = sqrtBc2;
        }

        @Override
        public void reference(float[][] v, Tensor[] args, int m) {
            int count = args[0].cols(), hc = args[4].cols();
            float[] p = v[0], g = v[1], s1 = v[2], s2 = v[3], h = v[4], coef = v[5];
            for (int k = 0; k < models; k++) {
                int hk = k * hc;
                float lr = h[hk + Hyper.LR.column()], wd = h[hk + Hyper.GRADIENT_DECAY.column()];
                for (int e = k * count; e < (k + 1) * count; e++) {
                    float gi = coef != null ? g[e] * coef[k] : g[e];
                    switch (kind) {
                        case SGD -> p[e] -= lr * (gi + wd * p[e]);
                        case MOMENTUM -> {
                            float gd = gi + wd * p[e];
                            float vi = h[hk + Hyper.MOMENTUM.column()] * s1[e] + gd;
                            s1[e] = vi;
                            p[e] -= lr * vi;
                        }
                        default -> {
                            float b1 = h[hk + Hyper.BETA1.column()], b2 = h[hk + Hyper.BETA2.column()];
                            float pe = h[hk + Hyper.PARAMETER_DECAY.column()] * p[e];
                            float gd = gi + wd * pe;
                            float mi = b1 * s1[e] + (1f - b1) * gd;
                            float vi = b2 * s2[e] + (1f - b2) * gd * gd;
                            s1[e] = mi;
                            s2[e] = vi;
                            float denom = (float) Math.sqrt(vi) / sqrtBc2 + h[hk + Hyper.EPSILON.column()];
                            p[e] = pe - (lr / bc1) * (mi / denom);
                        }
                    }
                }
            }
        }

        @Override
        public void launch(KernelLauncher device, Tensor[] args, int m) {
            int count = args[0].cols();
            device.kernel("mb_optimizer").tensor("params", args[0]).tensor("grads", args[1]).tensor("s1", args[2] == null ? args[0] : args[2])
                    .tensor("s2", args[3] == null ? args[0] : args[3]).tensor("hyper", args[4]).i32("hyper_cols", args[4].cols())
                    .tensor("coef", args[5] == null ? args[4] : args[5]).i32("clip", args[5] == null ? 0 : 1).i32("count", count).i32("kind", kind.code())
                    .f32("bc1", bc1).f32("sqrt_bc2", sqrtBc2).i32("models", models).items(chunks(count) * models);
        }
    }
}
