// nn.PReLU(width): y = x > 0 ? x : a_j·x, one trainable slope a_j per feature (dev.clprop.nn.PRelu,
// which holds these kernels' host side and their float32 reference). OpenCL C 1.2.

// One work-item per element of the first m rows.
__kernel void prelu_forward(__global const float* x, __global const float* slope, __global float* y, const int m, const int n)
{
    const int j = get_global_id(0), r = get_global_id(1);
    if (j >= n || r >= m) return;
    const float v = x[r * n + j];
    y[r * n + j] = v > 0.0f ? v : slope[j] * v;
}

// One work-item per feature j: dx = dy·(x > 0 ? 1 : a_j) unless has_dx is 0 (the first layer), and
// dslope_j = Σ_r dy·(x > 0 ? 0 : x), summed in row order.
__kernel void prelu_backward(__global const float* dy, __global const float* x, __global const float* slope, __global float* dx,
                             __global float* dslope, const int m, const int n, const int has_dx)
{
    const int j = get_global_id(0);
    if (j >= n) return;
    const float a = slope[j];
    float s = 0.0f;
    for (int r = 0; r < m; r++) {
        const float g = dy[r * n + j], v = x[r * n + j];
        if (has_dx) dx[r * n + j] = v > 0.0f ? g : a * g;
        if (!(v > 0.0f)) s += g * v;
    }
    dslope[j] = s;
}
