// Inverted dropout's mask, drawn from a counter-based hash so that every device, and the EJML
// reference, draws the same mask for the same (seed, step, layer): element i survives when the top
// 24 bits of splitmix64(key + i * golden) reach the threshold round(p * 2^24). Used both ways:
// forward (input -> output) and backward (the output's gradient -> the input's), with one key, so
// the backward pass needs no stored mask. The same function as dev.clprop.model.DropoutSpec.keeps.
// OpenCL C 1.2. mix comes from hash_functions.cl, built before this file.

// dst[i] = src[i] * scale if element i survives, else 0, for i < count.
__kernel void dropout(__global const float* src, __global float* dst, const int count, const ulong key,
                      const int threshold, const float scale)
{
    const int i = get_global_id(0);
    if (i >= count) return;
    const int h = (int) (mix(key + (ulong) i * 0x9E3779B97F4A7C15UL) >> 40);
    dst[i] = h >= threshold ? src[i] * scale : 0.0f;
}
