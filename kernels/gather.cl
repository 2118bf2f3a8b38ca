// Forms a minibatch from a device-resident dataset: dst[r,:] = src[index[offset + r],:].
// OpenCL C 1.2.

__kernel void gather_rows(__global const float* src, __global const int* index, const int offset,
                          const int count, const int n, __global float* dst)
{
    const int gid = get_global_id(0);
    if (gid >= count * n) return;
    const int r = gid / n;
    const int c = gid - r * n;
    dst[gid] = src[index[offset + r] * n + c];
}
