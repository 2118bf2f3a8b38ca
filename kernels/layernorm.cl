// Layer normalization over each row's n features (torch.nn.LayerNorm(n, eps)): the row's mean and
// biased variance, xhat = (x - mean) / sqrt(var + eps), y = gamma * xhat + beta. The forward pass keeps
// xhat and 1/sqrt(var + eps) per row for the backward pass. Sums run in index order, one work-item
// per row (or per column for the parameter gradients): no atomics, bit-reproducible.
// OpenCL C 1.2. LAYERNORM_EPS comes as a -D option generated from dev.clprop.model.LayerNormSpec.

#ifndef LAYERNORM_EPS
#error "build with the -D options clprop generates (LAYERNORM_EPS)"
#endif

__kernel void layernorm_forward(__global const float* x, __global const float* gamma, __global const float* beta,
                                __global float* xhat, __global float* rstd, __global float* y, const int m, const int n)
{
    const int r = get_global_id(0);
    if (r >= m) return;
    const size_t o = (size_t) r * n;
    float s = 0.0f;
    for (int j = 0; j < n; j++) s += x[o + j];
    const float mean = s / n;
    float v = 0.0f;
    for (int j = 0; j < n; j++) {
        const float d = x[o + j] - mean;
        v += d * d;
    }
    const float rs = 1.0f / sqrt(v / n + LAYERNORM_EPS);
    rstd[r] = rs;
    for (int j = 0; j < n; j++) {
        const float h = (x[o + j] - mean) * rs;
        xhat[o + j] = h;
        y[o + j] = gamma[j] * h + beta[j];
    }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma, one work-item per row.
__kernel void layernorm_backward_data(__global const float* dy, __global const float* xhat, __global const float* rstd,
                                      __global const float* gamma, __global float* dx, const int m, const int n)
{
    const int r = get_global_id(0);
    if (r >= m) return;
    const size_t o = (size_t) r * n;
    float a = 0.0f, b = 0.0f;
    for (int j = 0; j < n; j++) {
        const float g = dy[o + j] * gamma[j];
        a += g;
        b += g * xhat[o + j];
    }
    const float ma = a / n, mb = b / n, rs = rstd[r];
    for (int j = 0; j < n; j++) dx[o + j] = rs * (dy[o + j] * gamma[j] - ma - xhat[o + j] * mb);
}

// dgamma[j] = sum over rows of dy * xhat, dbeta[j] = sum of dy, rows in order; one work-item per column.
__kernel void layernorm_backward_params(__global const float* dy, __global const float* xhat, __global float* dgamma,
                                        __global float* dbeta, const int m, const int n)
{
    const int j = get_global_id(0);
    if (j >= n) return;
    float sg = 0.0f, sb = 0.0f;
    for (int r = 0; r < m; r++) {
        const float d = dy[(size_t) r * n + j];
        sg += d * xhat[(size_t) r * n + j];
        sb += d;
    }
    dgamma[j] = sg;
    dbeta[j] = sb;
}
