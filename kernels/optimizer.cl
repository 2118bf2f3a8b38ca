// Parameter updates with torch.optim semantics; weight decay adds wd * p to the gradient first.
// Scalars that depend only on the step (Adam's bias corrections) are computed on the host.
// OpenCL C 1.2.

__kernel void sgd_step(__global float* p, __global const float* g, const int count, const float lr, const float wd)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    p[i] -= lr * (g[i] + wd * p[i]);
}

// v <- mu v + g;  p <- p - lr v
__kernel void momentum_step(__global float* p, __global const float* g, __global float* v, const int count,
                            const float lr, const float mu, const float wd)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const float gi = g[i] + wd * p[i];
    const float vi = mu * v[i] + gi;
    v[i] = vi;
    p[i] -= lr * vi;
}

#ifndef ITEM_WIDTH
#error "build with the -D options clprop generates (ITEM_WIDTH)"
#endif
#if ITEM_WIDTH != 8
#error "adam_step is written for ITEM_WIDTH 8 (float8)"
#endif

// p <- decay p;  g <- g + wd p;  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
// p <- p - step_size * m / (sqrt(v)/sqrt_bc2 + eps), with step_size = lr / (1 - b1^t) and sqrt_bc2 = sqrt(1 - b2^t).
// Adam: decay 1 and wd its L2 weight decay; AdamW: decay 1 - lr wd and wd 0 (the decay is decoupled).
// ITEM_WIDTH elements per work-item as float8: PoCL does not vectorize sqrt and division across
// work-items by itself, and the scalar form ran 4x slower on AVX2 (1.1 against 0.27 ns per element).
// The last work-item takes the remainder one element at a time, with the same expressions.
__kernel void adam_step(__global float* p, __global const float* g, __global float* mo, __global float* ve,
                        const int count, const float step_size, const float b1, const float b2,
                        const float sqrt_bc2, const float eps, const float wd, const float decay)
{
    const int i = get_global_id(0) * ITEM_WIDTH;
    if (i + ITEM_WIDTH <= count) {
        const float8 pi = decay * vload8(0, p + i);
        const float8 gi = vload8(0, g + i) + wd * pi;
        const float8 mi = b1 * vload8(0, mo + i) + (1.0f - b1) * gi;
        const float8 vi = b2 * vload8(0, ve + i) + (1.0f - b2) * gi * gi;
        vstore8(mi, 0, mo + i);
        vstore8(vi, 0, ve + i);
        const float8 denom = sqrt(vi) / sqrt_bc2 + eps;
        vstore8(pi - step_size * (mi / denom), 0, p + i);
    } else {
        for (int j = i; j < count; j++) {
            p[j] *= decay;
            const float gj = g[j] + wd * p[j];
            const float mj = b1 * mo[j] + (1.0f - b1) * gj;
            const float vj = b2 * ve[j] + (1.0f - b2) * gj * gj;
            mo[j] = mj;
            ve[j] = vj;
            const float denom = sqrt(vj) / sqrt_bc2 + eps;
            p[j] -= step_size * (mj / denom);
        }
    }
}

// Gradient clipping by the global norm (torch.nn.utils.clip_grad_norm_), on the device.
// One work-item per chunk of `chunk` elements: partials[offset + c] = sum of squares, in order.
__kernel void sum_squares(__global const float* t, const int count, const int chunk, __global float* partials, const int offset)
{
    const int c = get_global_id(0);
    const int start = c * chunk;
    if (start >= count) return;
    const int end = min(start + chunk, count);
    float s = 0.0f;
    for (int i = start; i < end; i++) s += t[i] * t[i];
    partials[offset + c] = s;
}

// One work-item: coef = min(1, max_norm / (sqrt(sum of the partials, in order) + 1e-6)).
__kernel void clip_coefficient(__global const float* partials, const int count, const float max_norm, __global float* coef)
{
    if (get_global_id(0) != 0) return;
    float s = 0.0f;
    for (int i = 0; i < count; i++) s += partials[i];
    coef[0] = fmin(1.0f, max_norm / (sqrt(s) + 1e-6f));
}

// t <- t * coef[0]
__kernel void scale_by(__global float* t, const int count, __global const float* coef)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    t[i] *= coef[0];
}
