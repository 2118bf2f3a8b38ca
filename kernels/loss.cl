// Losses: per-row loss terms and the gradient with respect to the output (for cross-entropy,
// with respect to the logits: (p - y) / m, fused), then a fixed-order reduction of the row
// terms into a running loss sum. No atomics: the sum is bit-reproducible.
// OpenCL C 1.2. element_loss and element_gradient come from loss_functions.cl, built before this file.

// One work-item per row: grad[i,:] and row_loss[i] = sum_j element_loss.
__kernel void loss_gradient(__global const float* out, __global const float* target, const int m, const int n,
                            const int loss, __global float* grad, __global float* row_loss)
{
    const int i = get_global_id(0);
    if (i >= m) return;
    float sum = 0.0f;
    for (int j = i * n; j < i * n + n; j++) {
        sum += element_loss(loss, out[j], target[j]);
        grad[j] = element_gradient(loss, out[j], target[j], m, n);
    }
    row_loss[i] = sum;
}

// A single work-item adds scale * sum_i row_loss[i] (in row order) to loss_sum[0].
__kernel void loss_accumulate(__global const float* row_loss, const int m, const float scale, __global float* loss_sum)
{
    if (get_global_id(0) != 0) return;
    float sum = 0.0f;
    for (int i = 0; i < m; i++) sum += row_loss[i];
    loss_sum[0] += sum * scale;
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

// Class-weighted cross-entropy (torch.nn.CrossEntropyLoss(weight=w)). One work-item: the weight of
// each row, r_i = sum_j w_j * target[i,j], and their total, in row order.
__kernel void class_weight_total(__global const float* target, __global const float* class_weights, const int m, const int n,
                                 __global float* row_weight, __global float* total)
{
    if (get_global_id(0) != 0) return;
    float sum = 0.0f;
    for (int i = 0; i < m; i++) {
        float r = 0.0f;
        for (int j = 0; j < n; j++) r += class_weights[j] * target[i * n + j];
        row_weight[i] = r;
        sum += r;
    }
    total[0] = sum;
}

// One work-item per row: grad = r_i (p - y) / total (w.r.t. the logits) and the row's share of the
// weighted mean loss, r_i * sum_j -y ln p / total (0 when every row weighs 0).
__kernel void weighted_loss_gradient(__global const float* out, __global const float* target, __global const float* row_weight,
                                     __global const float* total, const int m, const int n, __global float* grad, __global float* row_loss)
{
    const int i = get_global_id(0);
    if (i >= m) return;
    const float t = total[0];
    const float r = row_weight[i];
    float sum = 0.0f;
    for (int j = i * n; j < i * n + n; j++) {
        sum += element_loss(LOSS_CROSS_ENTROPY, out[j], target[j]);
        grad[j] = t == 0.0f ? 0.0f : r * (out[j] - target[j]) / t;
    }
    row_loss[i] = t == 0.0f ? 0.0f : r * sum / t;
}
