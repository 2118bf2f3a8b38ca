// Forms a minibatch from a device-resident dataset: dst[r,:] = src[index[offset + r],:].
// OpenCL C 1.2. A 2-d range (chunk, row): each work-item copies ITEM_WIDTH neighbouring floats of
// one source row as one float8, and neighbouring work-items neighbouring chunks, which GPUs
// coalesce. One float per work-item (the earlier form) moved 8-15 GB/s on PoCL, where a plain copy
// moves ~30: per-work-group overhead, 16x4 floats each. Chunks move 29-33 GB/s (512 rows of 784).

#ifndef ITEM_WIDTH
#error "build with the -D options clprop generates (ITEM_WIDTH)"
#endif
#if ITEM_WIDTH != 8
#error "gather_rows is written for ITEM_WIDTH 8 (float8)"
#endif

__kernel void gather_rows(__global const float* src, __global const int* index, const int offset,
                          const int count, const int n, __global float* dst)
{
    const int c = get_global_id(0) * ITEM_WIDTH;
    const int r = get_global_id(1);
    if (c >= n || r >= count) return;
    __global const float* s = src + (size_t) index[offset + r] * n;
    __global float* d = dst + (size_t) r * n;
    if (c + ITEM_WIDTH <= n) {
        vstore8(vload8(0, s + c), 0, d + c);
    } else {
        for (int q = c; q < n; q++) d[q] = s[q]; // the row's last, partial chunk
    }
}
