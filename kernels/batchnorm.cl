// Batch normalization of each feature over the batch's rows (torch.nn.BatchNorm1d(n, eps, momentum)).
// Training: the column's mean and biased variance normalize it, y = gamma * xhat + beta, and the running
// statistics move towards the batch's (the variance unbiased, times m / (m - 1)). Evaluation: the running
// statistics normalize. One work-item per column, rows summed in order: no atomics, bit-reproducible.
// OpenCL C 1.2. BATCHNORM_EPS and BATCHNORM_MOMENTUM come as -D options generated from dev.clprop.model.BatchNormSpec.

#if !defined(BATCHNORM_EPS) || !defined(BATCHNORM_MOMENTUM)
#error "build with the -D options clprop generates (BATCHNORM_EPS, BATCHNORM_MOMENTUM)"
#endif

__kernel void batchnorm_train(__global const float* x, __global const float* gamma, __global const float* beta,
                              __global float* running_mean, __global float* running_var, __global float* xhat,
                              __global float* rstd, __global float* y, const int m, const int n)
{
    const int j = get_global_id(0);
    if (j >= n) return;
    float s = 0.0f;
    for (int r = 0; r < m; r++) s += x[(size_t) r * n + j];
    const float mean = s / m;
    float v = 0.0f;
    for (int r = 0; r < m; r++) {
        const float d = x[(size_t) r * n + j] - mean;
        v += d * d;
    }
    const float var = v / m;
    const float rs = 1.0f / sqrt(var + BATCHNORM_EPS);
    rstd[j] = rs;
    for (int r = 0; r < m; r++) {
        const size_t i = (size_t) r * n + j;
        const float h = (x[i] - mean) * rs;
        xhat[i] = h;
        y[i] = gamma[j] * h + beta[j];
    }
    running_mean[j] = (1.0f - BATCHNORM_MOMENTUM) * running_mean[j] + BATCHNORM_MOMENTUM * mean;
    running_var[j] = (1.0f - BATCHNORM_MOMENTUM) * running_var[j] + BATCHNORM_MOMENTUM * (v / (m - 1));
}

__kernel void batchnorm_eval(__global const float* x, __global const float* gamma, __global const float* beta,
                             __global const float* running_mean, __global const float* running_var,
                             __global float* y, const int m, const int n)
{
    const int j = get_global_id(0);
    if (j >= n) return;
    const float rs = 1.0f / sqrt(running_var[j] + BATCHNORM_EPS);
    for (int r = 0; r < m; r++) {
        const size_t i = (size_t) r * n + j;
        y[i] = gamma[j] * ((x[i] - running_mean[j]) * rs) + beta[j];
    }
}

// dgamma = sum dy * xhat, dbeta = sum dy; dx = gamma * rstd / m * (m * dy - sum dy - xhat * sum(dy * xhat)).
__kernel void batchnorm_backward(__global const float* dy, __global const float* xhat, __global const float* rstd,
                                 __global const float* gamma, __global float* dx, const int has_dx,
                                 __global float* dgamma, __global float* dbeta, const int m, const int n)
{
    const int j = get_global_id(0);
    if (j >= n) return;
    float sb = 0.0f, sg = 0.0f;
    for (int r = 0; r < m; r++) {
        const size_t i = (size_t) r * n + j;
        sb += dy[i];
        sg += dy[i] * xhat[i];
    }
    dgamma[j] = sg;
    dbeta[j] = sb;
    if (!has_dx) return;
    const float k = gamma[j] * rstd[j] / m;
    for (int r = 0; r < m; r++) {
        const size_t i = (size_t) r * n + j;
        dx[i] = k * (m * dy[i] - sb - xhat[i] * sg);
    }
}
