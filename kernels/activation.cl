// Activations: the forward epilogue (bias + activation, in place) and the backward delta
// (incoming gradient times the activation's derivative, in place). Derivatives are taken from
// the layer's output a = f(z), which is all the backward pass keeps.
// OpenCL C 1.2. act_apply and act_derivative come from activation_functions.cl, built before this file.

// z[i,j] <- f(z[i,j] + bias[j]) for the first m rows; bias is ignored unless has_bias.
__kernel void bias_activation(__global float* z, __global const float* bias, const int has_bias,
                              const int m, const int n, const int act)
{
    const int gid = get_global_id(0);
    if (gid >= m * n) return;
    float v = z[gid];
    if (has_bias) v += bias[gid % n];
    z[gid] = act_apply(act, v);
}

// One work-item per row: z[i,:] <- softmax(z[i,:] + bias), the row maximum subtracted first.
__kernel void bias_softmax(__global float* z, __global const float* bias, const int has_bias,
                           const int m, const int n)
{
    const int i = get_global_id(0);
    if (i >= m) return;
    __global float* row = z + i * n;
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) {
        float v = row[j];
        if (has_bias) v += bias[j];
        row[j] = v;
        mx = fmax(mx, v);
    }
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        const float e = exp(row[j] - mx);
        row[j] = e;
        sum += e;
    }
    for (int j = 0; j < n; j++) row[j] /= sum;
}

// grad[i] <- grad[i] * f'(z[i]), from a = f(z).
__kernel void activation_backward(__global float* grad, __global const float* a, const int count, const int act)
{
    const int gid = get_global_id(0);
    if (gid >= count) return;
    grad[gid] *= act_derivative(act, a[gid]);
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
