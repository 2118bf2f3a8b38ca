// Activations: the forward epilogue (bias + activation, in place) and the backward delta
// (incoming gradient times the activation's derivative, in place). Derivatives are taken from
// the layer's output a = f(z), which is all the backward pass keeps.
// OpenCL C 1.2. ACT_* and LEAKY_SLOPE come as -D options generated from
// dev.clprop.model.Activation (dev.clprop.device.opencl.KernelConstants); they are never retyped here.

#if !defined(ACT_SIGMOID) || !defined(ACT_TANH) || !defined(ACT_RELU) || !defined(ACT_LEAKY_RELU) || !defined(ACT_LINEAR) || !defined(LEAKY_SLOPE)
#error "build with the -D options clprop generates from dev.clprop.model.Activation (ACT_*, LEAKY_SLOPE)"
#endif

inline float act_apply(const int act, const float z)
{
    switch (act) {
        case ACT_SIGMOID: return 1.0f / (1.0f + exp(-z));
        case ACT_TANH: return tanh(z);
        case ACT_RELU: return z > 0.0f ? z : 0.0f;
        case ACT_LEAKY_RELU: return z > 0.0f ? z : LEAKY_SLOPE * z;
        default: return z;
    }
}

inline float act_derivative(const int act, const float a)
{
    switch (act) {
        case ACT_SIGMOID: return a * (1.0f - a);
        case ACT_TANH: return 1.0f - a * a;
        case ACT_RELU: return a > 0.0f ? 1.0f : 0.0f;
        case ACT_LEAKY_RELU: return a > 0.0f ? 1.0f : LEAKY_SLOPE;
        default: return 1.0f;
    }
}

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
