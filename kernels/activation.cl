// Activations: the forward epilogue (bias + activation, in place) and the backward delta
// (incoming gradient times the activation's derivative, in place). Derivatives are taken from
// the layer's output a = f(z), or from z where a does not determine it (gelu, silu).
// OpenCL C 1.2. act_apply, act_derivative and softmax_row come from activation_functions.cl, built before this file.

#ifndef ITEM_WIDTH
#error "build with the -D options clprop generates (ITEM_WIDTH)"
#endif
#if ITEM_WIDTH != 8
#error "the activation kernels are written for ITEM_WIDTH 8 (float8)"
#endif

// z[i,j] <- f(z[i,j] + bias[j]) for the first m rows; bias is ignored unless has_bias.
// A 2-d range (chunk, row): ITEM_WIDTH neighbouring columns of one row per work-item.
__kernel void bias_activation(__global float* z, __global const float* bias, const int has_bias,
                              const int m, const int n, const int act)
{
    const int c = get_global_id(0) * ITEM_WIDTH;
    const int r = get_global_id(1);
    if (c >= n || r >= m) return;
    __global float* row = z + (size_t) r * n;
    if (c + ITEM_WIDTH <= n) {
        float8 v = vload8(0, row + c);
        if (has_bias) v += vload8(0, bias + c);
        vstore8(act_apply8(act, v), 0, row + c);
    } else {
        for (int j = c; j < n; j++) { // the row's last, partial chunk
            float v = row[j];
            if (has_bias) v += bias[j];
            row[j] = act_apply(act, v);
        }
    }
}

// One work-item per row: z[i,:] <- softmax(z[i,:] + bias), the row maximum subtracted first.
__kernel void bias_softmax(__global float* z, __global const float* bias, const int has_bias,
                           const int m, const int n)
{
    const int i = get_global_id(0);
    if (i >= m) return;
    __global float* row = z + i * n;
    if (has_bias) for (int j = 0; j < n; j++) row[j] += bias[j];
    softmax_row(row, n);
}

// out[i] <- f(z[i]), z unchanged: for activations whose derivative needs z (gelu, silu), which the
// layer keeps; ITEM_WIDTH elements per work-item.
__kernel void activation_forward(__global const float* z, __global float* out, const int count, const int act)
{
    const int i = get_global_id(0) * ITEM_WIDTH;
    if (i + ITEM_WIDTH <= count) {
        vstore8(act_apply8(act, vload8(0, z + i)), 0, out + i);
    } else {
        for (int j = i; j < count; j++) out[j] = act_apply(act, z[j]);
    }
}

// grad[i] <- grad[i] * f'(z[i]), f' taken from a = f(z), or from z for gelu and silu; ITEM_WIDTH elements per work-item.
__kernel void activation_backward(__global float* grad, __global const float* a, const int count, const int act)
{
    const int i = get_global_id(0) * ITEM_WIDTH;
    if (i + ITEM_WIDTH <= count) {
        vstore8(vload8(0, grad + i) * act_derivative8(act, vload8(0, a + i)), 0, grad + i);
    } else {
        for (int j = i; j < count; j++) grad[j] *= act_derivative(act, a[j]);
    }
}

// Softmax Jacobian-vector product, one work-item per row: g <- a * (g - sum(g * a)).
__kernel void softmax_backward(__global float* grad, __global const float* a, const int m, const int n)
{
    const int i = get_global_id(0);
    if (i >= m) return;
    __global float* g = grad + i * n;
    __global const float* p = a + i * n;
    float dot = 0.0f;
    for (int j = 0; j < n; j++) dot += g[j] * p[j];
    for (int j = 0; j < n; j++) g[j] = p[j] * (g[j] - dot);
}
