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

// Copies chunk c (ITEM_WIDTH floats, or the row's last, partial chunk) of source row s to row d.
inline void copy_chunk(__global const float* s, __global float* d, const int c, const int n)
{
    if (c + ITEM_WIDTH <= n) {
        vstore8(vload8(0, s + c), 0, d + c);
    } else {
        for (int q = c; q < n; q++) d[q] = s[q];
    }
}

__kernel void gather_rows(__global const float* src, __global const int* index, const int offset,
                          const int count, const int n, __global float* dst)
{
    const int c = get_global_id(0) * ITEM_WIDTH;
    const int r = get_global_id(1);
    if (c >= n || r >= count) return;
    copy_chunk(src + (size_t) index[offset + r] * n, dst + (size_t) r * n, c, n);
}

// A training minibatch in one launch: its features and its targets through the same index, the range
// covering the wider of the two rows (a launch fewer per step than two gather_rows).
__kernel void gather_batch(__global const float* x, __global const float* y, __global const int* index, const int offset,
                           const int count, const int nx, const int ny, __global float* bx, __global float* by)
{
    const int c = get_global_id(0) * ITEM_WIDTH;
    const int r = get_global_id(1);
    if (r >= count) return;
    const size_t row = (size_t) index[offset + r];
    if (c < nx) copy_chunk(x + row * nx, bx + (size_t) r * nx, c, nx);
    if (c < ny) copy_chunk(y + row * ny, by + (size_t) r * ny, c, ny);
}
