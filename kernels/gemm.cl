// General matrix multiply for the three forms training needs, through strides:
//   C[i,j] = sum_p A(i,p) * B(p,j),  A(i,p) = a[i*a_rs + p*a_cs],  B(p,j) = b[p*b_rs + j*b_cs]
//   forward        C(m,n) = X(m,k) . W(n,k)^T   a_rs=k a_cs=1   b_rs=1 b_cs=k
//   backward-data  C(m,k) = D(m,n) . W(n,k)     a_rs=n a_cs=1   b_rs=k b_cs=1
//   weight-grad    C(n,k) = D(m,n)^T . X(m,k)   a_rs=1 a_cs=n   b_rs=k b_cs=1
// A work-group computes a TS_M x TS_N tile of C through TS_K-deep slices staged in local memory;
// each work-item accumulates WPT_M x WPT_N outputs in registers. Any M, N, K: out-of-range
// elements load as zero and are not stored. Each output is summed by one work-item in a fixed
// order, so results are bit-reproducible on a given device.
// The forward form may apply the layer's epilogue to each output before it is stored:
//   C[i,j] = f(sum + bias[j]) with f = act (ACT_LINEAR and has_bias 0 for a plain product),
// the same arithmetic as the gemm and bias_activation kernels one after the other, in one launch.
// OpenCL C 1.2. Tunables below are defaults; the host overrides them with -D options.
// act_apply comes from activation_functions.cl, built before this file.

#ifndef TS_M
#define TS_M 64
#endif
#ifndef TS_N
#define TS_N 64
#endif
#ifndef TS_K
#define TS_K 16
#endif
#ifndef WPT_M
#define WPT_M 4
#endif
#ifndef WPT_N
#define WPT_N 4
#endif

#define RTS_M (TS_M / WPT_M)
#define RTS_N (TS_N / WPT_N)
#define THREADS (RTS_M * RTS_N)

__kernel __attribute__((reqd_work_group_size(RTS_N, RTS_M, 1)))
void gemm(const int M, const int N, const int K,
          __global const float* restrict a, const int a_rs, const int a_cs,
          __global const float* restrict b, const int b_rs, const int b_cs,
          __global float* restrict c, const int ldc,
          __global const float* restrict bias, const int has_bias, const int act)
{
    __local float As[TS_K][TS_M];
    __local float Bs[TS_K][TS_N];

    const int tn = get_local_id(0);
    const int tm = get_local_id(1);
    const int tid = tm * RTS_N + tn;
    const int m0 = get_group_id(1) * TS_M;
    const int n0 = get_group_id(0) * TS_N;

    float acc[WPT_M][WPT_N];
    for (int r = 0; r < WPT_M; r++)
        for (int s = 0; s < WPT_N; s++)
            acc[r][s] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TS_K) {
        // Stage the slices. Neighbouring work-items read neighbouring addresses along whichever
        // index has unit stride, so loads coalesce for every form.
        for (int e = tid; e < TS_K * TS_M; e += THREADS) {
            int p, i;
            if (a_cs == 1) { p = e % TS_K; i = e / TS_K; } else { i = e % TS_M; p = e / TS_M; }
            const int gi = m0 + i, gp = k0 + p;
            As[p][i] = (gi < M && gp < K) ? a[gi * a_rs + gp * a_cs] : 0.0f;
        }
        for (int e = tid; e < TS_K * TS_N; e += THREADS) {
            int p, j;
            if (b_cs == 1) { j = e % TS_N; p = e / TS_N; } else { p = e % TS_K; j = e / TS_K; }
            const int gj = n0 + j, gp = k0 + p;
            Bs[p][j] = (gj < N && gp < K) ? b[gp * b_rs + gj * b_cs] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        for (int p = 0; p < TS_K; p++) {
            float areg[WPT_M];
            for (int r = 0; r < WPT_M; r++) areg[r] = As[p][tm + r * RTS_M];
            for (int s = 0; s < WPT_N; s++) {
                const float bv = Bs[p][tn + s * RTS_N];
                for (int r = 0; r < WPT_M; r++) acc[r][s] = fma(areg[r], bv, acc[r][s]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int r = 0; r < WPT_M; r++) {
        const int i = m0 + tm + r * RTS_M;
        if (i >= M) continue;
        for (int s = 0; s < WPT_N; s++) {
            const int j = n0 + tn + s * RTS_N;
            if (j < N) c[i * ldc + j] = act_apply(act, has_bias ? acc[r][s] + bias[j] : acc[r][s]);
        }
    }
}
