// The activations and their derivatives, and a row's softmax, as functions shared by the programs that
// need them: the op kernels (activation.cl, model_batch.cl, ...) and the tiled GEMM's forward epilogue
// (gemm.cl). The host builds this file first in each of those programs; a file never includes another.
// act_derivative takes what the layer keeps: the output a = f(z), or z itself for gelu and silu (not
// monotonic, so a does not determine z; dev.clprop.model.Activation#derivativeNeedsInput).
// OpenCL C 1.2. ACT_* and LEAKY_SLOPE come as -D options generated from
// dev.clprop.model.Activation (dev.clprop.device.opencl.KernelConstants); they are never retyped here.

#if !defined(ACT_SIGMOID) || !defined(ACT_TANH) || !defined(ACT_RELU) || !defined(ACT_LEAKY_RELU) || !defined(ACT_LINEAR) \
    || !defined(ACT_GELU) || !defined(ACT_SILU) || !defined(ACT_ELU) || !defined(LEAKY_SLOPE)
#error "build with the -D options clprop generates from dev.clprop.model.Activation (ACT_*, LEAKY_SLOPE)"
#endif

inline float act_apply(const int act, const float z)
{
    switch (act) {
        case ACT_SIGMOID: return 1.0f / (1.0f + exp(-z));
        case ACT_TANH: return tanh(z);
        case ACT_RELU: return z > 0.0f ? z : 0.0f;
        case ACT_LEAKY_RELU: return z > 0.0f ? z : LEAKY_SLOPE * z;
        case ACT_GELU: return 0.5f * z * (1.0f + erf(z * M_SQRT1_2_F));
        case ACT_SILU: return z / (1.0f + exp(-z));
        case ACT_ELU: return z > 0.0f ? z : expm1(z);
        default: return z;
    }
}

// 1/sqrt(2 pi), the standard normal density's factor
#define INV_SQRT_2PI 0.398942280401432678f

inline float act_derivative(const int act, const float a)
{
    switch (act) {
        case ACT_GELU: return 0.5f * (1.0f + erf(a * M_SQRT1_2_F)) + a * exp(-0.5f * a * a) * INV_SQRT_2PI;
        case ACT_SILU: { const float s = 1.0f / (1.0f + exp(-a)); return s * (1.0f + a * (1.0f - s)); }
        case ACT_SIGMOID: return a * (1.0f - a);
        case ACT_TANH: return 1.0f - a * a;
        case ACT_RELU: return a > 0.0f ? 1.0f : 0.0f;
        case ACT_LEAKY_RELU: return a > 0.0f ? 1.0f : LEAKY_SLOPE;
        case ACT_ELU: return a > 0.0f ? 1.0f : a + 1.0f;
        default: return 1.0f;
    }
}

// The same functions on 8 values at once, for the kernels that take ITEM_WIDTH elements per
// work-item: one switch per 8 values, and vector exp and tanh (PoCL does not vectorize a runtime
// switch over work-items; the scalar kernels ran at ~0.7 ns per element). Vector and scalar math
// may differ in the last bit.
inline float8 act_apply8(const int act, const float8 z)
{
    switch (act) {
        case ACT_SIGMOID: return 1.0f / (1.0f + exp(-z));
        case ACT_TANH: return tanh(z);
        case ACT_RELU: return select((float8)(0.0f), z, isgreater(z, (float8)(0.0f)));
        case ACT_LEAKY_RELU: return select(LEAKY_SLOPE * z, z, isgreater(z, (float8)(0.0f)));
        case ACT_GELU: return 0.5f * z * (1.0f + erf(z * M_SQRT1_2_F));
        case ACT_SILU: return z / (1.0f + exp(-z));
        case ACT_ELU: return select(expm1(z), z, isgreater(z, (float8)(0.0f)));
        default: return z;
    }
}

inline float8 act_derivative8(const int act, const float8 a)
{
    switch (act) {
        case ACT_GELU: return 0.5f * (1.0f + erf(a * M_SQRT1_2_F)) + a * exp(-0.5f * a * a) * INV_SQRT_2PI;
        case ACT_SILU: { const float8 s = 1.0f / (1.0f + exp(-a)); return s * (1.0f + a * (1.0f - s)); }
        case ACT_SIGMOID: return a * (1.0f - a);
        case ACT_TANH: return 1.0f - a * a;
        case ACT_RELU: return select((float8)(0.0f), (float8)(1.0f), isgreater(a, (float8)(0.0f)));
        case ACT_LEAKY_RELU: return select((float8)(LEAKY_SLOPE), (float8)(1.0f), isgreater(a, (float8)(0.0f)));
        case ACT_ELU: return select(a + 1.0f, (float8)(1.0f), isgreater(a, (float8)(0.0f)));
        default: return (float8)(1.0f);
    }
}

// A row of n logits made probabilities in place, the row maximum subtracted first (bias_softmax's and the many-model kernels').
inline void softmax_row(__global float* row, const int n)
{
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) mx = fmax(mx, row[j]);
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        const float e = exp(row[j] - mx);
        row[j] = e;
        sum += e;
    }
    for (int j = 0; j < n; j++) row[j] /= sum;
}
