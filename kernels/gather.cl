// Forms a minibatch from a device-resident dataset: dst[r,:] = src[index[offset + r],:].
// OpenCL C 1.2. A 2-d range (column, row) with columns fastest: neighbouring work-items copy
// neighbouring floats of one source row, which GPUs coalesce and CPU drivers (PoCL) turn into
// vector loads, with no division per element.

__kernel void gather_rows(__global const float* src, __global const int* index, const int offset,
                          const int count, const int n, __global float* dst)
{
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    if (c >= n || r >= count) return;
    dst[(size_t) r * n + c] = src[(size_t) index[offset + r] * n + c];
}
