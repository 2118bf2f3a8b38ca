// The losses as functions, shared by the programs that need them: the loss kernels (loss.cl) and the
// many-model kernels (model_batch.cl). The host builds this file before those in each program; a file
// never includes another. element_loss is one element's unscaled term, element_gradient its gradient
// (for cross-entropy with respect to the logits, the softmax fused). Same formulas as dev.clprop.loss.Loss.
// group_sum: the fixed-order sum of a work-group's partial sums.
// OpenCL C 1.2. LOSS_*, BCE_LOG_FLOOR, BCE_GRAD_EPS and HUBER_DELTA come as -D options generated from
// dev.clprop.loss.Loss (dev.clprop.device.opencl.KernelConstants); they are never retyped here.

#if !defined(LOSS_HALF_SSE) || !defined(LOSS_MSE) || !defined(LOSS_BCE) || !defined(LOSS_CROSS_ENTROPY) || !defined(LOSS_HUBER) \
    || !defined(BCE_LOG_FLOOR) || !defined(BCE_GRAD_EPS) || !defined(HUBER_DELTA)
#error "build with the -D options clprop generates from dev.clprop.loss.Loss (LOSS_*, BCE_LOG_FLOOR, BCE_GRAD_EPS, HUBER_DELTA)"
#endif

inline float element_loss(const int loss, const float p, const float y)
{
    switch (loss) {
        case LOSS_HALF_SSE: { const float d = y - p; return 0.5f * d * d; }
        case LOSS_MSE: { const float d = y - p; return d * d; }
        case LOSS_BCE: return -(y * fmax(log(p), BCE_LOG_FLOOR) + (1.0f - y) * fmax(log(1.0f - p), BCE_LOG_FLOOR));
        case LOSS_HUBER: { const float z = fabs(p - y); return z < HUBER_DELTA ? 0.5f * z * z : HUBER_DELTA * (z - 0.5f * HUBER_DELTA); }
        default: return y == 0.0f ? 0.0f : -y * log(fmax(p, FLT_MIN));
    }
}

inline float element_gradient(const int loss, const float p, const float y, const int m, const int n)
{
    switch (loss) {
        case LOSS_HALF_SSE: return p - y;
        case LOSS_MSE: return 2.0f * (p - y) / ((float) m * n);
        case LOSS_BCE: return (p - y) / fmax(p * (1.0f - p), BCE_GRAD_EPS) / ((float) m * n);
        case LOSS_HUBER: return clamp(p - y, -HUBER_DELTA, HUBER_DELTA) / ((float) m * n);
        default: return (p - y) / m;
    }
}

// The work-group size of the loss kernels, which sum a batch's terms in one work-group (a power of two).
#ifndef LOSS_GROUP
#error "build with the -D options clprop generates (LOSS_GROUP)"
#endif

// part[0] <- the sum of part[0 .. LOSS_GROUP-1], pairwise in a fixed order; every work-item of the group calls it.
inline void group_sum(__local float* part)
{
    const int lid = get_local_id(0);
    for (int stride = LOSS_GROUP / 2; stride > 0; stride >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < stride) part[lid] += part[lid + stride];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}
