// Many models of one shape trained together (a sweep or an ensemble): every kernel covers all of them,
// so a training step costs the launches of one model, not of K. dev.clprop.train.ModelBatchOps holds
// the host side and the float32 reference of each kernel.
// Layouts: model k's rows of a batch tensor are rows k*cap .. k*cap + m - 1 (cap rows per model, m in
// use); its parameters are row k of a K x stride block, each layer's weight (n x in, row-major) at
// w_off and its bias at b_off (-1: none); row k of `hyper` holds its settings at the HP_* columns.
// Model k of a launch over K*m rows is row / m. Every sum runs in a fixed order, as the one-model
// kernels' do. OpenCL C 1.2. act_apply/act_derivative, element_loss/element_gradient and mix come from
// the shared function files, built before this one; HP_* and OPT_* come as -D options generated from
// dev.clprop.train.ModelBatchOps.

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
// order holds row numbers as floats (exact below 2^24, which the host checks).
__kernel void mb_gather(__global const float* x, __global const float* y, __global const float* order, __global float* bx,
                        __global float* by, const int order_len, const int offset, const int m, const int cap, const int nx,
                        const int ny, const int models)
{
    const int c = get_global_id(0), r = get_global_id(1);
    if (r >= models * m) return;
    const int k = r / m, i = r % m;
    const size_t row = (size_t) order[(size_t) k * order_len + offset + i];
    const size_t dst = (size_t) k * cap + i;
    if (c < nx) bx[dst * nx + c] = x[row * nx + c];
    if (c < ny) by[dst * ny + c] = y[row * ny + c];
}

// A dense layer's forward pass: z = a W^T + b, out = f(z), and pre = z where the layer keeps it.
// One work-item per output; f is never softmax (mb_softmax follows a linear product).
__kernel void mb_dense_forward(__global const float* a, __global const float* params, __global float* pre, __global float* out,
                               const int m, const int cap, const int in, const int n, const int stride, const int w_off,
                               const int b_off, const int keep_pre, const int act, const int models)
{
    const int j = get_global_id(0), r = get_global_id(1);
    if (j >= n || r >= models * m) return;
    const int k = r / m, i = r % m;
    __global const float* ar = a + ((size_t) k * cap + i) * in;
    __global const float* w = params + (size_t) k * stride + w_off + (size_t) j * in;
    float s = 0.0f;
    for (int p = 0; p < in; p++) s += ar[p] * w[p];
    if (b_off >= 0) s += params[(size_t) k * stride + b_off + j];
    const size_t o = ((size_t) k * cap + i) * n + j;
    if (keep_pre) pre[o] = s;
    out[o] = act_apply(act, s);
}

// Row-wise softmax in place, the row maximum subtracted first; one work-item per row.
__kernel void mb_softmax(__global float* z, const int m, const int cap, const int n, const int models)
{
    const int r = get_global_id(0);
    if (r >= models * m) return;
    __global float* row = z + ((size_t) (r / m) * cap + r % m) * n;
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) mx = fmax(mx, row[j]);
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        const float e = exp(row[j] - mx);
        row[j] = e;
        sum += e;
    }
    for (int j = 0; j < n; j++) row[j] /= sum;
}

// Inverted dropout with each model's own mask: the key of DropoutSpec.key(seed, step, layer), from the
// model's seed in hyper, and its threshold and scale at columns field and field + 1. Element e of
// model k's m x n block survives as in dropout.cl. Used forward and, on gradients, backward.
__kernel void mb_dropout(__global const float* src, __global float* dst, __global const float* hyper, const int hyper_cols,
                         const int field, const int m, const int cap, const int n, const int mask_step, const int layer, const int models)
{
    const int c = get_global_id(0), r = get_global_id(1);
    if (c >= n || r >= models * m) return;
    const int k = r / m, i = r % m;
    __global const float* h = hyper + (size_t) k * hyper_cols;
    const ulong key = mix(mix(mix(hyper_u64(h + HP_SEED)) ^ (ulong) mask_step) ^ (ulong) layer);
    const int drawn = (int) (mix(key + (ulong) (i * n + c) * 0x9E3779B97F4A7C15UL) >> 40);
    const size_t o = ((size_t) k * cap + i) * n + c;
    dst[o] = drawn >= (int) h[field] ? src[o] * h[field + 1] : 0.0f;
}

// The loss gradient of each model's batch, one work-item per model, rows in order: as loss_gradient then
// loss_accumulate compute it (loss_sum[k] += scale * sum of the rows' terms), or, with class weights (row k
// of class_weights), as class_weight_total and weighted_loss_gradient do.
__kernel void mb_loss(__global const float* out, __global const float* target, __global float* grad, __global float* loss_sum,
                      __global const float* class_weights, const int weighted, const int m, const int cap, const int n,
                      const int loss, const float scale, const int models)
{
    const int k = get_global_id(0);
    if (k >= models) return;
    const size_t base = (size_t) k * cap * n;
    __global const float* w = class_weights + (size_t) k * n;
    float total = 0.0f;
    if (weighted) {
        for (int i = 0; i < m; i++) {
            float r = 0.0f;
            for (int j = 0; j < n; j++) r += w[j] * target[base + i * n + j];
            total += r;
        }
    }
    float sum = 0.0f;
    for (int i = 0; i < m; i++) {
        float row = 0.0f, r = 0.0f;
        if (weighted) for (int j = 0; j < n; j++) r += w[j] * target[base + i * n + j];
        for (int j = 0; j < n; j++) {
            const size_t e = base + i * n + j;
            row += element_loss(loss, out[e], target[e]);
            grad[e] = !weighted ? element_gradient(loss, out[e], target[e], m, n) : total == 0.0f ? 0.0f : r * (out[e] - target[e]) / total;
        }
        sum += !weighted ? row : total == 0.0f ? 0.0f : r * row / total;
    }
    loss_sum[k] += weighted ? sum : sum * scale;
}

// grad <- grad * f'(a), f' taken from what the layer keeps (its output, or z for gelu and silu).
__kernel void mb_activation_backward(__global float* grad, __global const float* a, const int m, const int cap, const int n,
                                     const int act, const int models)
{
    const int c = get_global_id(0), r = get_global_id(1);
    if (c >= n || r >= models * m) return;
    const size_t o = ((size_t) (r / m) * cap + r % m) * n + c;
    grad[o] *= act_derivative(act, a[o]);
}

// A dense layer's parameter gradients: dW[j,p] = sum_i d[i,j] a[i,p] for p < in, and, in the same
// launch, the bias's db[j] = sum_i d[i,j] at p = in. Rows in order. A 2-d range (in + 1, K*n).
__kernel void mb_weight_grad(__global const float* d, __global const float* a, __global float* grads, const int m,
                             const int cap, const int in, const int n, const int stride, const int w_off, const int b_off,
                             const int models)
{
    const int p = get_global_id(0), r = get_global_id(1);
    if (p > in || r >= models * n || (p == in && b_off < 0)) return;
    const int k = r / n, j = r % n;
    __global const float* dk = d + (size_t) k * cap * n;
    float s = 0.0f;
    if (p < in) {
        __global const float* ak = a + (size_t) k * cap * in;
        for (int i = 0; i < m; i++) s += dk[i * n + j] * ak[i * in + p];
        grads[(size_t) k * stride + w_off + (size_t) j * in + p] = s;
    } else {
        for (int i = 0; i < m; i++) s += dk[i * n + j];
        grads[(size_t) k * stride + b_off + j] = s;
    }
}

// The gradient a dense layer passes back: da[i,p] = sum_j d[i,j] W[j,p], j in order.
__kernel void mb_backward_data(__global const float* d, __global const float* params, __global float* da, const int m,
                               const int cap, const int in, const int n, const int stride, const int w_off, const int models)
{
    const int p = get_global_id(0), r = get_global_id(1);
    if (p >= in || r >= models * m) return;
    const int k = r / m, i = r % m;
    __global const float* dr = d + ((size_t) k * cap + i) * n;
    __global const float* w = params + (size_t) k * stride + w_off + p;
    float s = 0.0f;
    for (int j = 0; j < n; j++) s += dr[j] * w[(size_t) j * in];
    da[((size_t) k * cap + i) * in + p] = s;
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

// Every parameter of every model in one launch, a 2-d range (count, K), with each model's own settings
// from hyper: the updates of optimizer.cl (sgd_step, momentum_step, adam_step), the gradient first
// multiplied by coef[k] where clip is set. Adam's step size is lr / bc1; bc1 and sqrt_bc2 depend on the
// step alone, which all models share.
__kernel void mb_optimizer(__global float* params, __global const float* grads, __global float* s1, __global float* s2,
                           __global const float* hyper, const int hyper_cols, __global const float* coef, const int clip,
                           const int count, const int kind, const float bc1, const float sqrt_bc2, const int models)
{
    const int i = get_global_id(0), k = get_global_id(1);
    if (i >= count || k >= models) return;
    __global const float* h = hyper + (size_t) k * hyper_cols;
    const size_t e = (size_t) k * count + i;
    const float g = clip ? grads[e] * coef[k] : grads[e];
    const float lr = h[HP_LR], wd = h[HP_GRADIENT_DECAY];
    if (kind == OPT_SGD) {
        params[e] -= lr * (g + wd * params[e]);
    } else if (kind == OPT_MOMENTUM) {
        const float gi = g + wd * params[e];
        const float vi = h[HP_MOMENTUM] * s1[e] + gi;
        s1[e] = vi;
        params[e] -= lr * vi;
    } else {
        const float b1 = h[HP_BETA1], b2 = h[HP_BETA2];
        const float p = h[HP_PARAMETER_DECAY] * params[e];
        const float gi = g + wd * p;
        const float mi = b1 * s1[e] + (1.0f - b1) * gi;
        const float vi = b2 * s2[e] + (1.0f - b2) * gi * gi;
        s1[e] = mi;
        s2[e] = vi;
        const float denom = sqrt(vi) / sqrt_bc2 + h[HP_EPSILON];
        params[e] = p - (lr / bc1) * (mi / denom);
    }
}
