// The activations and their derivatives as functions, shared by the programs that need them: the
// activation kernels (activation.cl) and the tiled GEMM's forward epilogue (gemm.cl). The host
// builds this file first in each of those programs; a file never includes another.
// OpenCL C 1.2. ACT_* and LEAKY_SLOPE come as -D options generated from
// dev.clprop.model.Activation (dev.clprop.device.opencl.KernelConstants); they are never retyped here.

#if !defined(ACT_SIGMOID) || !defined(ACT_TANH) || !defined(ACT_RELU) || !defined(ACT_LEAKY_RELU) || !defined(ACT_LINEAR) || !defined(LEAKY_SLOPE)
#error "build with the -D options clprop generates from dev.clprop.model.Activation (ACT_*, LEAKY_SLOPE)"
#endif

inline float act_apply(const int act, const float z)
{
    switch (act) {
        case ACT_SIGMOID: return 1.0f / (1.0f + exp(-z));
        case ACT_TANH: return tanh(z);
        case ACT_RELU: return z > 0.0f ? z : 0.0f;
        case ACT_LEAKY_RELU: return z > 0.0f ? z : LEAKY_SLOPE * z;
        default: return z;
    }
}

inline float act_derivative(const int act, const float a)
{
    switch (act) {
        case ACT_SIGMOID: return a * (1.0f - a);
        case ACT_TANH: return 1.0f - a * a;
        case ACT_RELU: return a > 0.0f ? 1.0f : 0.0f;
        case ACT_LEAKY_RELU: return a > 0.0f ? 1.0f : LEAKY_SLOPE;
        default: return 1.0f;
    }
}
