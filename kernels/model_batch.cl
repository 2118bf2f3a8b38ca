// Many models of one shape trained together (a sweep or an ensemble): every kernel covers all of them,
// so a training step costs the launches of one model, not of K. dev.clprop.train.ModelBatchOps holds
// the host side and the float32 reference of each kernel.
// Layouts: model k's rows of a batch tensor are rows k*cap .. k*cap + m - 1 (cap rows per model, m in
// use); its parameters are row k of a K x stride block, each layer's weight (n x in, row-major) at
// w_off and its bias at b_off (-1: none); row k of `hyper` holds its settings at the HP_* columns.
// Model k of a launch over K*m rows is row / m. Every sum runs in a fixed order. Where a work-item
// takes ITEM_WIDTH neighbouring elements as one float8 (a row's last, partial chunk one at a time): PoCL
// does not vectorize these kernels across work-items (the model index and the loops defeat it), and
// one float per work-item ran 4-8x slower. Ranges are 1-d over (row, chunk), so that a narrow row
// does not leave most of a 2-d work-group idle. OpenCL C 1.2. act_apply/act_derivative/softmax_row, element_loss/element_gradient and mix come from
// the shared function files, built before this one; HP_* and OPT_* come as -D options generated from
// dev.clprop.train.ModelBatchOps.

#ifndef ITEM_WIDTH
#error "build with the -D options clprop generates (ITEM_WIDTH)"
#endif
#if ITEM_WIDTH != 8
#error "model_batch.cl is written for ITEM_WIDTH 8 (float8)"
#endif
#if !defined(HP_LR) || !defined(HP_MOMENTUM) || !defined(HP_BETA1) || !defined(HP_BETA2) || !defined(HP_EPSILON) \
    || !defined(HP_GRADIENT_DECAY) || !defined(HP_PARAMETER_DECAY) || !defined(HP_SEED) \
    || !defined(OPT_SGD) || !defined(OPT_MOMENTUM)
#error "build with the -D options clprop generates from dev.clprop.train.ModelBatchOps (HP_*, OPT_*)"
#endif

// A 64-bit value kept as four 16-bit parts (each exact in a float), the low part first.
inline ulong hyper_u64(__global const float* h)
{
    return (ulong) (uint) h[0] | ((ulong) (uint) h[1] << 16) | ((ulong) (uint) h[2] << 32) | ((ulong) (uint) h[3] << 48);
}

// A minibatch per model: row i of model k is row order[k, offset + i] of x (and of y where ny > 0).
// order holds row numbers as floats (exact below 2^24, which the host checks). A 1-d range over (row, chunk), chunks fastest.
inline void mb_copy_chunk(__global const float* s, __global float* d, const int c, const int n)
{
    if (c + ITEM_WIDTH <= n) {
        vstore8(vload8(0, s + c), 0, d + c);
    } else {
        for (int q = c; q < n; q++) d[q] = s[q];
    }
}

__kernel void mb_gather(__global const float* x, __global const float* y, __global const float* order, __global float* bx,
                        __global float* by, const int order_len, const int offset, const int m, const int cap, const int nx,
                        const int ny, const int models)
{
    const int chunks = (max(nx, ny) + ITEM_WIDTH - 1) / ITEM_WIDTH, gid = get_global_id(0);
    const int c = (gid % chunks) * ITEM_WIDTH, r = gid / chunks;
    if (r >= models * m) return;
    const int k = r / m, i = r % m;
    const size_t row = (size_t) order[(size_t) k * order_len + offset + i];
    const size_t dst = (size_t) k * cap + i;
    if (c < nx) mb_copy_chunk(x + row * nx, bx + dst * nx, c, nx);
    if (c < ny) mb_copy_chunk(y + row * ny, by + dst * ny, c, ny);
}

// A dense layer's forward pass: z = a W^T + b, out = f(z), and pre = z where the layer keeps it.
// A work-item takes ITEM_WIDTH neighbouring outputs of one row (fewer in the row's last chunk), each a
// dot product taken ITEM_WIDTH products at a time, then the remainder; the row of a is read once for
// all of them. A 1-d range over (K*m, chunks of n), chunks fastest. f is never softmax (mb_softmax follows a linear product).
__kernel void mb_dense_forward(__global const float* a, __global const float* params, __global float* pre, __global float* out,
                               const int m, const int cap, const int in, const int n, const int stride, const int w_off,
                               const int b_off, const int keep_pre, const int act, const int models)
{
    const int chunks = (n + ITEM_WIDTH - 1) / ITEM_WIDTH, gid = get_global_id(0);
    const int j0 = (gid % chunks) * ITEM_WIDTH, r = gid / chunks;
    if (r >= models * m) return;
    const int k = r / m, i = r % m;
    __global const float* ar = a + ((size_t) k * cap + i) * in;
    __global const float* w = params + (size_t) k * stride + w_off + (size_t) j0 * in;
    const size_t o = ((size_t) k * cap + i) * n + j0;
    float z[ITEM_WIDTH];
    if (j0 + ITEM_WIDTH <= n) {
        // a whole chunk of outputs: the accumulators unrolled, so that they stay in registers
        float8 acc[ITEM_WIDTH];
        #pragma unroll
        for (int q = 0; q < ITEM_WIDTH; q++) acc[q] = (float8)(0.0f);
        int p = 0;
        for (; p + ITEM_WIDTH <= in; p += ITEM_WIDTH) {
            const float8 av = vload8(0, ar + p);
            #pragma unroll
            for (int q = 0; q < ITEM_WIDTH; q++) acc[q] += av * vload8(0, w + (size_t) q * in + p);
        }
        #pragma unroll
        for (int q = 0; q < ITEM_WIDTH; q++) {
            const float8 v = acc[q];
            z[q] = ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
            for (int t = p; t < in; t++) z[q] += ar[t] * w[(size_t) q * in + t];
        }
    } else {
        for (int q = 0; q < n - j0; q++) {
            float8 acc = (float8)(0.0f);
            int p = 0;
            for (; p + ITEM_WIDTH <= in; p += ITEM_WIDTH) acc += vload8(0, ar + p) * vload8(0, w + (size_t) q * in + p);
            z[q] = ((acc.s0 + acc.s1) + (acc.s2 + acc.s3)) + ((acc.s4 + acc.s5) + (acc.s6 + acc.s7));
            for (int t = p; t < in; t++) z[q] += ar[t] * w[(size_t) q * in + t];
        }
    }
    for (int q = 0; q < min(ITEM_WIDTH, n - j0); q++) {
        const float s = b_off >= 0 ? z[q] + params[(size_t) k * stride + b_off + j0 + q] : z[q];
        if (keep_pre) pre[o + q] = s;
        out[o + q] = act_apply(act, s);
    }
}

// Row-wise softmax in place; one work-item per row.
__kernel void mb_softmax(__global float* z, const int m, const int cap, const int n, const int models)
{
    const int r = get_global_id(0);
    if (r >= models * m) return;
    softmax_row(z + ((size_t) (r / m) * cap + r % m) * n, n);
}

// Inverted dropout with each model's own mask: the key of DropoutSpec.key(seed, step, layer), from the
// model's seed in hyper, and its threshold and scale at columns field and field + 1. Element e of
// model k's m x n block survives as in dropout.cl. Used forward and, on gradients, backward.
__kernel void mb_dropout(__global const float* src, __global float* dst, __global const float* hyper, const int hyper_cols,
                         const int field, const int m, const int cap, const int n, const int mask_step, const int layer, const int models)
{
    const int gid = get_global_id(0);
    const int c = gid % n, r = gid / n;
    if (r >= models * m) return;
    const int k = r / m, i = r % m;
    __global const float* h = hyper + (size_t) k * hyper_cols;
    const ulong key = mix(mix(mix(hyper_u64(h + HP_SEED)) ^ (ulong) mask_step) ^ (ulong) layer);
    const int drawn = (int) (mix(key + (ulong) (i * n + c) * 0x9E3779B97F4A7C15UL) >> 40);
    const size_t o = ((size_t) k * cap + i) * n + c;
    dst[o] = drawn >= (int) h[field] ? src[o] * h[field + 1] : 0.0f;
}

// The loss gradient of each model's batch and its loss added to loss_sum[k], one work-group of
// LOSS_GROUP work-items per model (rows over its work-items, the sum in group_sum's fixed order), as
// loss_gradient_sum computes it (loss_sum[k] += scale * the sum of the terms), or, with class weights
// (row k of class_weights), as weighted_loss_gradient_sum does. Where softmax is set, each row's
// logits in out are first made probabilities (as mb_softmax does): the output layer's softmax, fused
// here in training.
__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void mb_loss(__global float* out, __global const float* target, __global float* grad, __global float* loss_sum,
             __global const float* class_weights, const int weighted, const int softmax, const int m, const int cap,
             const int n, const int loss, const float scale, const int models)
{
    __local float part[LOSS_GROUP];
    const int k = get_group_id(0), lid = get_local_id(0);
    const size_t base = (size_t) k * cap * n;
    __global const float* w = class_weights + (size_t) k * n;
    float total = 0.0f;
    if (weighted) {
        float s = 0.0f;
        for (int i = lid; i < m; i += LOSS_GROUP) for (int j = 0; j < n; j++) s += w[j] * target[base + i * n + j];
        part[lid] = s;
        group_sum(part);
        total = part[0];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float sum = 0.0f;
    for (int i = lid; i < m; i += LOSS_GROUP) {
        if (softmax) softmax_row(out + base + (size_t) i * n, n);
        float terms = 0.0f, r = 0.0f;
        if (weighted) for (int j = 0; j < n; j++) r += w[j] * target[base + i * n + j];
        for (int j = 0; j < n; j++) {
            const size_t e = base + i * n + j;
            terms += element_loss(loss, out[e], target[e]);
            grad[e] = !weighted ? element_gradient(loss, out[e], target[e], m, n) : total == 0.0f ? 0.0f : r * (out[e] - target[e]) / total;
        }
        sum += !weighted ? terms : total == 0.0f ? 0.0f : r * terms / total;
    }
    part[lid] = sum;
    group_sum(part);
    if (lid == 0) loss_sum[k] += weighted ? part[0] : part[0] * scale;
}

// grad <- grad * f'(a), f' taken from what the layer keeps (its output, or z for gelu and silu).
// A 1-d range over (row, chunk), chunks fastest.
__kernel void mb_activation_backward(__global float* grad, __global const float* a, const int m, const int cap, const int n,
                                     const int act, const int models)
{
    const int chunks = (n + ITEM_WIDTH - 1) / ITEM_WIDTH, gid = get_global_id(0);
    const int c = (gid % chunks) * ITEM_WIDTH, r = gid / chunks;
    if (r >= models * m) return;
    const size_t o = ((size_t) (r / m) * cap + r % m) * n;
    if (c + ITEM_WIDTH <= n) {
        vstore8(vload8(0, grad + o + c) * act_derivative8(act, vload8(0, a + o + c)), 0, grad + o + c);
    } else {
        for (int q = c; q < n; q++) grad[o + q] *= act_derivative(act, a[o + q]);
    }
}

// A dense layer's parameter gradients: dW[j,p] = sum_i d[i,j] a[i,p], ITEM_WIDTH neighbouring p per
// work-item, and, in the same launch, the bias's db[j] = sum_i d[i,j] in the chunk after the last (where
// b_off >= 0). Rows in order. A 1-d range over (K*n, chunks of in plus one), chunks fastest.
__kernel void mb_weight_grad(__global const float* d, __global const float* a, __global float* grads, const int m,
                             const int cap, const int in, const int n, const int stride, const int w_off, const int b_off,
                             const int models)
{
    const int chunks = (in + ITEM_WIDTH - 1) / ITEM_WIDTH, gid = get_global_id(0);
    const int chunk = gid % (chunks + 1), r = gid / (chunks + 1);
    if (r >= models * n || (chunk == chunks && b_off < 0)) return;
    const int k = r / n, j = r % n;
    __global const float* dk = d + (size_t) k * cap * n + j;
    if (chunk == chunks) {
        float s = 0.0f;
        for (int i = 0; i < m; i++) s += dk[(size_t) i * n];
        grads[(size_t) k * stride + b_off + j] = s;
        return;
    }
    const int p = chunk * ITEM_WIDTH;
    __global const float* ak = a + (size_t) k * cap * in + p;
    __global float* g = grads + (size_t) k * stride + w_off + (size_t) j * in + p;
    if (p + ITEM_WIDTH <= in) {
        float8 s = (float8)(0.0f);
        for (int i = 0; i < m; i++) s += dk[(size_t) i * n] * vload8(0, ak + (size_t) i * in);
        vstore8(s, 0, g);
    } else {
        for (int q = 0; q < in - p; q++) {
            float s = 0.0f;
            for (int i = 0; i < m; i++) s += dk[(size_t) i * n] * ak[(size_t) i * in + q];
            g[q] = s;
        }
    }
}

// The gradient a dense layer passes back: da[i,p] = sum_j d[i,j] W[j,p], j in order, ITEM_WIDTH
// neighbouring p per work-item; where the layer below is dense with activation act (not ACT_LINEAR),
// times its derivative f'(below[i,p]) (what mb_activation_backward would do next, fused). A 1-d range over (K*m, chunks of in), chunks fastest.
__kernel void mb_backward_data(__global const float* d, __global const float* params, __global float* da, __global const float* below,
                               const int act, const int m, const int cap, const int in, const int n, const int stride,
                               const int w_off, const int models)
{
    const int chunks = (in + ITEM_WIDTH - 1) / ITEM_WIDTH, gid = get_global_id(0);
    const int p = (gid % chunks) * ITEM_WIDTH, r = gid / chunks;
    if (r >= models * m) return;
    const int k = r / m, i = r % m;
    __global const float* dr = d + ((size_t) k * cap + i) * n;
    __global const float* w = params + (size_t) k * stride + w_off + p;
    const size_t at = ((size_t) k * cap + i) * in + p;
    if (p + ITEM_WIDTH <= in) {
        float8 s = (float8)(0.0f);
        for (int j = 0; j < n; j++) s += dr[j] * vload8(0, w + (size_t) j * in);
        if (act != ACT_LINEAR) s *= act_derivative8(act, vload8(0, below + at));
        vstore8(s, 0, da + at);
    } else {
        for (int q = 0; q < in - p; q++) {
            float s = 0.0f;
            for (int j = 0; j < n; j++) s += dr[j] * w[(size_t) j * in + q];
            if (act != ACT_LINEAR) s *= act_derivative(act, below[at + q]);
            da[at + q] = s;
        }
    }
}

// Clipping by each model's global gradient norm (torch.nn.utils.clip_grad_norm_): one work-item per
// model, coef[k] = min(1, max_norm / (sqrt(sum of squares) + 1e-6)); mb_optimizer applies it.
__kernel void mb_clip_coefficient(__global const float* grads, const int count, const float max_norm, __global float* coef,
                                  const int models)
{
    const int k = get_global_id(0);
    if (k >= models) return;
    __global const float* g = grads + (size_t) k * count;
    float s = 0.0f;
    for (int i = 0; i < count; i++) s += g[i] * g[i];
    coef[k] = fmin(1.0f, max_norm / (sqrt(s) + 1e-6f));
}

// Every parameter of every model in one launch, a 1-d range over (K, chunks of count), with each model's own
// settings from hyper: the updates of optimizer.cl (sgd_step, momentum_step, adam_step), the gradient
// first multiplied by coef[k] where clip is set. Adam's step size is lr / bc1; bc1 and sqrt_bc2 depend
// on the step alone, which all models share. ITEM_WIDTH elements per work-item as float8, the last
// chunk one at a time with the same expressions.
#define MB_UPDATE(T, P, G, S1, S2) { \
    const T g = clip ? (G) * coef[k] : (G); \
    if (kind == OPT_SGD) { \
        P = P - lr * (g + wd * P); \
    } else if (kind == OPT_MOMENTUM) { \
        const T vi = h[HP_MOMENTUM] * S1 + (g + wd * P); \
        S1 = vi; \
        P = P - lr * vi; \
    } else { \
        const float b1 = h[HP_BETA1], b2 = h[HP_BETA2]; \
        const T pd = h[HP_PARAMETER_DECAY] * P; \
        const T gi = g + wd * pd; \
        const T mi = b1 * S1 + (1.0f - b1) * gi; \
        const T vi = b2 * S2 + (1.0f - b2) * gi * gi; \
        S1 = mi; \
        S2 = vi; \
        P = pd - (lr / bc1) * (mi / (sqrt(vi) / sqrt_bc2 + h[HP_EPSILON])); \
    } }

__kernel void mb_optimizer(__global float* params, __global const float* grads, __global float* s1, __global float* s2,
                           __global const float* hyper, const int hyper_cols, __global const float* coef, const int clip,
                           const int count, const int kind, const float bc1, const float sqrt_bc2, const int models)
{
    const int chunks = (count + ITEM_WIDTH - 1) / ITEM_WIDTH, gid = get_global_id(0);
    const int i = (gid % chunks) * ITEM_WIDTH, k = gid / chunks;
    if (k >= models) return;
    __global const float* h = hyper + (size_t) k * hyper_cols;
    const float lr = h[HP_LR], wd = h[HP_GRADIENT_DECAY];
    const size_t e = (size_t) k * count + i;
    if (i + ITEM_WIDTH <= count) {
        float8 p = vload8(0, params + e), m1 = vload8(0, s1 + e), m2 = vload8(0, s2 + e);
        MB_UPDATE(float8, p, vload8(0, grads + e), m1, m2)
        vstore8(p, 0, params + e);
        if (kind != OPT_SGD) vstore8(m1, 0, s1 + e);
        if (kind != OPT_SGD && kind != OPT_MOMENTUM) vstore8(m2, 0, s2 + e);
    } else {
        for (size_t q = e; q < (size_t) k * count + count; q++) {
            float p = params[q], m1 = s1[q], m2 = s2[q];
            MB_UPDATE(float, p, grads[q], m1, m2)
            params[q] = p;
            if (kind != OPT_SGD) s1[q] = m1;
            if (kind != OPT_SGD && kind != OPT_MOMENTUM) s2[q] = m2;
        }
    }
}
