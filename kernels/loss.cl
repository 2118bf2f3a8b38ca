// Losses: the gradient with respect to the output (for cross-entropy, with respect to the logits:
// (p - y) / m, fused) and the batch's loss added to a running sum, in one launch of one work-group:
// each work-item takes rows lid, lid + LOSS_GROUP, ..., and the partial sums combine in a fixed tree
// order in local memory. No atomics: the sum is bit-reproducible. (Two launches before, a row kernel
// and a one-item sum; three with class weights.)
// OpenCL C 1.2. element_loss, element_gradient and group_sum come from loss_functions.cl, built before this file.

// grad[i,:] for every row and loss_sum[0] += scale * sum_ij element_loss.
__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void loss_gradient_sum(__global const float* out, __global const float* target, const int m, const int n, const int loss,
                       const float scale, __global float* grad, __global float* loss_sum)
{
    __local float part[LOSS_GROUP];
    const int lid = get_local_id(0);
    float s = 0.0f;
    for (int i = lid; i < m; i += LOSS_GROUP) {
        float row = 0.0f;
        for (int j = i * n; j < i * n + n; j++) {
            row += element_loss(loss, out[j], target[j]);
            grad[j] = element_gradient(loss, out[j], target[j], m, n);
        }
        s += row;
    }
    part[lid] = s;
    group_sum(part);
    if (lid == 0) loss_sum[0] += part[0] * scale;
}

// Class-weighted cross-entropy (torch.nn.CrossEntropyLoss(weight=w)): each row weighs
// r_i = sum_j w_j * target[i,j]; grad = r_i (p - y) / total (w.r.t. the logits), and the batch adds
// sum_i r_i * sum_j -y ln p / total to loss_sum[0] (nothing, and zero gradients, when every row weighs 0).
__kernel __attribute__((reqd_work_group_size(LOSS_GROUP, 1, 1)))
void weighted_loss_gradient_sum(__global const float* out, __global const float* target, __global const float* class_weights,
                                const int m, const int n, __global float* grad, __global float* loss_sum)
{
    __local float part[LOSS_GROUP];
    const int lid = get_local_id(0);
    float w = 0.0f;
    for (int i = lid; i < m; i += LOSS_GROUP) {
        for (int j = 0; j < n; j++) w += class_weights[j] * target[i * n + j];
    }
    part[lid] = w;
    group_sum(part);
    const float t = part[0];
    barrier(CLK_LOCAL_MEM_FENCE); // every work-item has read the total before part is reused
    float s = 0.0f;
    for (int i = lid; i < m; i += LOSS_GROUP) {
        float r = 0.0f, row = 0.0f;
        for (int j = 0; j < n; j++) r += class_weights[j] * target[i * n + j];
        for (int j = i * n; j < i * n + n; j++) {
            row += element_loss(LOSS_CROSS_ENTROPY, out[j], target[j]);
            grad[j] = t == 0.0f ? 0.0f : r * (out[j] - target[j]) / t;
        }
        s += t == 0.0f ? 0.0f : r * row / t;
    }
    part[lid] = s;
    group_sum(part);
    if (lid == 0) loss_sum[0] += part[0];
}

#ifndef ITEM_WIDTH
#error "build with the -D options clprop generates (ITEM_WIDTH)"
#endif
#if ITEM_WIDTH != 8
#error "column_sums is written for ITEM_WIDTH 8 (float8)"
#endif

// Bias gradient: out[j] = sum_{i<m} delta[i,j], rows in order. ITEM_WIDTH columns per work-item as
// one float8 (each lane sums its own column in row order, so the result is that of one work-item
// per column), launched in small work-groups so that the few work-items spread over compute units.
__kernel void column_sums(__global const float* delta, const int m, const int n, __global float* out)
{
    const int c = get_global_id(0) * ITEM_WIDTH;
    if (c >= n) return;
    if (c + ITEM_WIDTH <= n) {
        float8 sum = (float8)(0.0f);
        for (int i = 0; i < m; i++) sum += vload8(0, delta + (size_t) i * n + c);
        vstore8(sum, 0, out + c);
    } else {
        for (int j = c; j < n; j++) {
            float sum = 0.0f;
            for (int i = 0; i < m; i++) sum += delta[(size_t) i * n + j];
            out[j] = sum;
        }
    }
}
