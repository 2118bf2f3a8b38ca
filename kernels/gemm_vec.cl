// GEMM for devices that run work-items as CPU threads (PoCL, vendor CPU drivers): no local
// memory and no barriers; each work-item keeps a block of C in explicit float vectors, so the
// compiler emits SIMD directly instead of relying on work-item-loop vectorization.
// Two kernels cover the three training forms:
//   gemm_nt  C(M,N) = A(M,K) . B(N,K)^T, both rows contiguous along K     (forward)
//   gemm_nn  C(M,N) = A'(M,K) . B(K,N), B rows contiguous along N,
//            A'(i,p) = a[i*a_rs + p*a_cs]                                  (backward-data, weight-grad)
// and for long K the work of both is done on packed panels (gemm_pack_a, gemm_pack_b or gemm_pack_bt,
// then gemm_packed; at the end).
// Every output is accumulated by one work-item in a fixed order: results are bit-reproducible.
// The register-block loops carry #pragma unroll: without it PoCL's LLVM kept the accumulators in
// a stack array and every FMA went through memory.
// act_apply, act_derivative and act_derivative8 come from activation_functions.cl, built before this file.
// OpenCL C 1.2. Tunables below are defaults; the host overrides them with -D options.

#ifndef VW
#define VW 16           // vector width: 4, 8 or 16 floats
#endif
#ifndef NT_RM
#define NT_RM 4         // gemm_nt: rows of C per work-item
#endif
#ifndef NT_RN
#define NT_RN 4         // gemm_nt: columns of C per work-item
#endif
#ifndef NN_RM
#define NN_RM 6         // gemm_nn: rows of C per work-item
#endif
#ifndef NN_CV
#define NN_CV 2         // gemm_nn: vectors of VW columns per work-item
#endif

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define floatV XCAT(float, VW)
#define vloadV XCAT(vload, VW)
#define vstoreV XCAT(vstore, VW)

inline float hsum(floatV v)
{
#if VW == 16
    float8 s8 = v.lo + v.hi;
    float4 s4 = s8.lo + s8.hi;
#elif VW == 8
    float4 s4 = v.lo + v.hi;
#else
    float4 s4 = v;
#endif
    float2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}

// bias_along: 0 stores the product as it is; 1 stores act(C(i,j) + bias[j]) and 2 act(C(i,j) + bias[i]) (the
// forward pass of a dense layer, its output's units along C's columns or, for one row computed as W.x, along
// its rows): the arithmetic of bias_activation after the product, in one launch (act_apply on scalars).
__kernel void gemm_nt(const int M, const int N, const int K,
                      __global const float* restrict a, const int lda,
                      __global const float* restrict b, const int ldb,
                      __global float* restrict c, const int ldc,
                      __global const float* restrict bias, const int bias_along, const int act)
{
    const int j0 = get_global_id(0) * NT_RN;
    const int i0 = get_global_id(1) * NT_RM;
    if (i0 >= M || j0 >= N) return;
    // Rows past the edge are clamped to the last one: loads stay in bounds, results are not stored.
    __global const float* ar[NT_RM];
    __global const float* br[NT_RN];
    #pragma unroll
    for (int r = 0; r < NT_RM; r++) ar[r] = a + min(i0 + r, M - 1) * lda;
    #pragma unroll
    for (int s = 0; s < NT_RN; s++) br[s] = b + min(j0 + s, N - 1) * ldb;

    floatV acc[NT_RM][NT_RN];
    #pragma unroll
    for (int r = 0; r < NT_RM; r++)
        #pragma unroll
        for (int s = 0; s < NT_RN; s++) acc[r][s] = (floatV)(0.0f);

    int p = 0;
    for (; p + VW <= K; p += VW) {
        floatV av[NT_RM];
        #pragma unroll
        for (int r = 0; r < NT_RM; r++) av[r] = vloadV(0, ar[r] + p);
        #pragma unroll
        for (int s = 0; s < NT_RN; s++) {
            const floatV bv = vloadV(0, br[s] + p);
            #pragma unroll
            for (int r = 0; r < NT_RM; r++) acc[r][s] = fma(av[r], bv, acc[r][s]);
        }
    }
    #pragma unroll
    for (int r = 0; r < NT_RM; r++) {
        #pragma unroll
        for (int s = 0; s < NT_RN; s++) {
            if (i0 + r < M && j0 + s < N) {
                float sum = hsum(acc[r][s]);
                for (int q = p; q < K; q++) sum = fma(ar[r][q], br[s][q], sum);
                if (bias_along == 1) sum += bias[j0 + s];
                else if (bias_along == 2) sum += bias[i0 + r];
                c[(i0 + r) * ldc + j0 + s] = act == ACT_LINEAR ? sum : act_apply(act, sum);
            }
        }
    }
}

// g ⊙ f'(x) for one vector, f' taken as activation_backward takes it (float8 at a time)
inline floatV times_derivative(const int act, const floatV g, const floatV x)
{
#if VW == 16
    return g * (float16)(act_derivative8(act, x.lo), act_derivative8(act, x.hi));
#elif VW == 8
    return g * act_derivative8(act, x);
#else
    return g * act_derivative8(act, (float8)(x, x)).lo;
#endif
}

// A parameter after one SGD step with gradient g: plain, as sgd_step takes it, or with momentum as
// momentum_step takes it (its velocity at *vel, updated). The same expressions, so the same bits.
inline float sgd_stepped(const float old, const float g, __global float* vel, const int momentum,
                         const float lr, const float wd, const float mu)
{
    float step = g + wd * old;
    if (momentum) {
        step = mu * *vel + step;
        *vel = step;
    }
    return old - lr * step;
}

// sgd_stepped on VW values; the velocity is vector v at vel.
inline floatV sgd_steppedV(const floatV old, const floatV g, const int v, __global float* vel, const int momentum,
                           const float lr, const float wd, const float mu)
{
    floatV step = g + wd * old;
    if (momentum) {
        step = mu * vloadV(v, vel) + step;
        vstoreV(step, v, vel);
    }
    return old - lr * step;
}

// With row_sums set, the work-items one column past C's also write sums[i] = sum over p of A'(i,p),
// p in order, added one at a time as column_sums adds (the same bits): the weight-gradient form's bias
// gradient, in the product's launch. With deriv_act other than ACT_LINEAR, each C(i,j) is stored times
// f'(deriv_in[i*ldc + j]): the backward-data form's product with the derivative of the layer below,
// which activation_backward would apply next. With sgd_step set, C and sums hold parameters (a dense
// layer's weight and bias) and take one SGD step with the product and the sums as their gradients, in
// place of storing them: the weight-gradient form with sgd_step's update (or, with sgd_momentum set,
// momentum_step's, the velocities in vel and sums_vel, shaped as C and sums), in one launch.
__kernel void gemm_nn(const int M, const int N, const int K,
                      __global const float* restrict a, const int a_rs, const int a_cs,
                      __global const float* restrict b, const int ldb,
                      __global float* restrict c, const int ldc,
                      const int row_sums, __global float* restrict sums,
                      const int deriv_act, __global const float* restrict deriv_in,
                      const int sgd_step, const float sgd_lr, const float sgd_wd,
                      const int sgd_momentum, const float sgd_mu, __global float* restrict vel, __global float* restrict sums_vel)
{
    const int j0 = get_global_id(0) * (VW * NN_CV);
    const int i0 = get_global_id(1) * NN_RM;
    if (row_sums && get_global_id(0) == (N + VW * NN_CV - 1) / (VW * NN_CV)) {
        for (int r = 0; r < NN_RM && i0 + r < M; r++) {
            float s = 0.0f;
            for (int p = 0; p < K; p++) s += a[(i0 + r) * a_rs + p * a_cs];
            sums[i0 + r] = sgd_step ? sgd_stepped(sums[i0 + r], s, sums_vel + i0 + r, sgd_momentum, sgd_lr, sgd_wd, sgd_mu) : s;
        }
        return;
    }
    if (i0 >= M || j0 >= N) return;
    int arow[NN_RM];
    #pragma unroll
    for (int r = 0; r < NN_RM; r++) arow[r] = min(i0 + r, M - 1) * a_rs;

    if (j0 + VW * NN_CV <= N) {
        floatV acc[NN_RM][NN_CV];
        #pragma unroll
        for (int r = 0; r < NN_RM; r++)
            #pragma unroll
            for (int v = 0; v < NN_CV; v++) acc[r][v] = (floatV)(0.0f);
        for (int p = 0; p < K; p++) {
            __global const float* brow = b + p * ldb + j0;
            floatV bv[NN_CV];
            #pragma unroll
            for (int v = 0; v < NN_CV; v++) bv[v] = vloadV(v, brow);
            #pragma unroll
            for (int r = 0; r < NN_RM; r++) {
                const floatV av = (floatV)(a[arow[r] + p * a_cs]);
                #pragma unroll
                for (int v = 0; v < NN_CV; v++) acc[r][v] = fma(av, bv[v], acc[r][v]);
            }
        }
        #pragma unroll
        for (int r = 0; r < NN_RM; r++) {
            #pragma unroll
            for (int v = 0; v < NN_CV; v++) {
                if (i0 + r < M) {
                    const int at = (i0 + r) * ldc + j0;
                    const floatV g = deriv_act == ACT_LINEAR ? acc[r][v] : times_derivative(deriv_act, acc[r][v], vloadV(v, deriv_in + at));
                    if (sgd_step) {
                        const floatV old = vloadV(v, c + at);
                        vstoreV(sgd_steppedV(old, g, v, vel + at, sgd_momentum, sgd_lr, sgd_wd, sgd_mu), v, c + at);
                    } else {
                        vstoreV(g, v, c + at);
                    }
                }
            }
        }
    } else {
        // ragged right edge: whole vectors while they fit, then one column at a time; each sum
        // is formed in the same order as in the full-width path
        const int nv = (N - j0) / VW;
        for (int v = 0; v < nv; v++) {
            floatV acc[NN_RM];
            #pragma unroll
            for (int r = 0; r < NN_RM; r++) acc[r] = (floatV)(0.0f);
            for (int p = 0; p < K; p++) {
                const floatV bv = vloadV(v, b + p * ldb + j0);
                #pragma unroll
                for (int r = 0; r < NN_RM; r++) acc[r] = fma((floatV)(a[arow[r] + p * a_cs]), bv, acc[r]);
            }
            #pragma unroll
            for (int r = 0; r < NN_RM; r++) {
                if (i0 + r < M) {
                    const int at = (i0 + r) * ldc + j0;
                    const floatV g = deriv_act == ACT_LINEAR ? acc[r] : times_derivative(deriv_act, acc[r], vloadV(v, deriv_in + at));
                    if (sgd_step) {
                        const floatV old = vloadV(v, c + at);
                        vstoreV(sgd_steppedV(old, g, v, vel + at, sgd_momentum, sgd_lr, sgd_wd, sgd_mu), v, c + at);
                    } else {
                        vstoreV(g, v, c + at);
                    }
                }
            }
        }
        for (int r = 0; r < NN_RM && i0 + r < M; r++) {
            for (int j = j0 + nv * VW; j < N; j++) {
                float sum = 0.0f;
                for (int p = 0; p < K; p++) sum = fma(a[arow[r] + p * a_cs], b[p * ldb + j], sum);
                if (deriv_act != ACT_LINEAR) sum *= act_derivative(deriv_act, deriv_in[(i0 + r) * ldc + j]);
                const int at = (i0 + r) * ldc + j;
                c[at] = sgd_step ? sgd_stepped(c[at], sum, vel + at, sgd_momentum, sgd_lr, sgd_wd, sgd_mu) : sum;
            }
        }
    }
}

// Packed form of gemm_nn for long K. gemm_nn reads a VW·NN_CV-wide strip of B a row per step, ldb
// floats apart, and A' through strides; once the strip outgrows L1 (K of a few hundred; at 1024 the
// rows are 4 KB apart and share one cache set) every step misses. The host then copies A' into
// panels of NN_RM rows and B into panels of VW·NN_CV columns, each laid out along K, so gemm_packed
// reads two contiguous streams. Edges are zero-padded in the panels; gemm_packed forms every sum in
// the same order as gemm_nn, so both give the same bits. gemm_nt keeps NT_RM + NT_RN rows of K
// floats per work-item and falls off the same way at larger K; its packed form sums in another
// order (one FMA chain per output instead of VW lanes added at the end), so its bits differ.
#define NN_W (VW * NN_CV)
// The packing kernels take ITEM_WIDTH steps of K per work-item (gemm_pack_bt as one float8 per row);
// the host sizes their ranges with the same constant.
#ifndef ITEM_WIDTH
#error "build with the -D options clprop generates (ITEM_WIDTH)"
#endif
#if ITEM_WIDTH != 8
#error "the packing kernels are written for ITEM_WIDTH 8 (float8)"
#endif

// c[q] = (r[0][q], ..., r[7][q]): an 8×8 transpose in three rounds of two-source shuffles, so that
// the packing kernels load and store whole vectors (one scalar store per float bound them at ~10 GB/s)
inline void transpose8(const float8 r[8], float8 c[8])
{
    float8 t[8], u[8];
    #pragma unroll
    for (int i = 0; i < 8; i += 2) {
        t[i]     = (float8)(r[i].s0, r[i + 1].s0, r[i].s1, r[i + 1].s1, r[i].s4, r[i + 1].s4, r[i].s5, r[i + 1].s5);
        t[i + 1] = (float8)(r[i].s2, r[i + 1].s2, r[i].s3, r[i + 1].s3, r[i].s6, r[i + 1].s6, r[i].s7, r[i + 1].s7);
    }
    #pragma unroll
    for (int i = 0; i < 8; i += 4) {
        u[i]     = (float8)(t[i].s01, t[i + 2].s01, t[i].s45, t[i + 2].s45);
        u[i + 1] = (float8)(t[i].s23, t[i + 2].s23, t[i].s67, t[i + 2].s67);
        u[i + 2] = (float8)(t[i + 1].s01, t[i + 3].s01, t[i + 1].s45, t[i + 3].s45);
        u[i + 3] = (float8)(t[i + 1].s23, t[i + 3].s23, t[i + 1].s67, t[i + 3].s67);
    }
    #pragma unroll
    for (int q = 0; q < 4; q++) {
        c[q]     = (float8)(u[q].lo, u[q + 4].lo);
        c[q + 4] = (float8)(u[q].hi, u[q + 4].hi);
    }
}

// r[s] = 8 floats from row s (rows `stride` floats apart from `base`), zero from row `valid` on
inline void load_rows8(__global const float* base, const int stride, const int valid, float8 r[8])
{
    #pragma unroll
    for (int s = 0; s < 8; s++) r[s] = s < valid ? vload8(0, base + s * stride) : (float8)(0.0f);
}

// ap[ip][p][r] = A'(ip·NN_RM + r, p) = a[(ip·NN_RM + r)·a_rs + p·a_cs], 0 past row M
__kernel void gemm_pack_a(const int M, const int K, __global const float* restrict a, const int a_rs, const int a_cs,
                          __global float* restrict ap)
{
    const int p0 = get_global_id(0) * ITEM_WIDTH, ip = get_global_id(1);
    const int i0 = ip * NN_RM;
    if (p0 >= K || i0 >= M) return;
    __global float* o = ap + (long) ip * K * NN_RM;
    const int pe = min(p0 + ITEM_WIDTH, K);
#if NN_RM <= 8
    if (a_cs == 1 && i0 + NN_RM <= M && pe == p0 + ITEM_WIDTH) {
        // A' row-major (the forward pass's input): NN_RM rows of 8 steps, transposed to 8 steps of NN_RM
        float8 r[8], c[8];
        load_rows8(a + i0 * a_rs + p0, a_rs, NN_RM, r);
        transpose8(r, c);
        #pragma unroll
        for (int q = 0; q < 8; q++) {
            __global float* d = o + (p0 + q) * NN_RM;
#if NN_RM == 8
            vstore8(c[q], 0, d);
#elif NN_RM == 6
            vstore4(c[q].lo, 0, d);
            vstore2(c[q].s45, 0, d + 4);
#elif NN_RM == 4
            vstore4(c[q].lo, 0, d);
#else
            float l[8];
            vstore8(c[q], 0, l);
            for (int s = 0; s < NN_RM; s++) d[s] = l[s];
#endif
        }
        return;
    }
#endif
    if (a_rs == 1 && i0 + NN_RM <= M) {
        // A' is a transposed view (the weight gradient's δᵀ): each step's NN_RM values are contiguous,
        // a copy the compiler turns into vector moves
        for (int p = p0; p < pe; p++) {
            __global const float* src = a + i0 + p * a_cs;
            #pragma unroll
            for (int r = 0; r < NN_RM; r++) o[p * NN_RM + r] = src[r];
        }
        return;
    }
    #pragma unroll
    for (int r = 0; r < NN_RM; r++) {
        const int i = i0 + r;
        if (i < M) { for (int p = p0; p < pe; p++) o[p * NN_RM + r] = a[i * a_rs + p * a_cs]; }
        else { for (int p = p0; p < pe; p++) o[p * NN_RM + r] = 0.0f; }
    }
}

// bp[jp][p][s] = b[p·ldb + jp·NN_W + s], 0 past column N
__kernel void gemm_pack_b(const int K, const int N, __global const float* restrict b, const int ldb,
                          __global float* restrict bp)
{
    const int jp = get_global_id(0), p0 = get_global_id(1) * ITEM_WIDTH;
    const int j0 = jp * NN_W;
    if (p0 >= K || j0 >= N) return;
    __global float* o = bp + (long) jp * K * NN_W;
    const int pe = min(p0 + ITEM_WIDTH, K);
    if (j0 + NN_W <= N) {
        for (int p = p0; p < pe; p++) {
            #pragma unroll
            for (int v = 0; v < NN_CV; v++) vstoreV(vloadV(v, b + p * ldb + j0), v, o + p * NN_W);
        }
    } else {
        for (int p = p0; p < pe; p++)
            for (int s = 0; s < NN_W; s++) o[p * NN_W + s] = j0 + s < N ? b[p * ldb + j0 + s] : 0.0f;
    }
}

// The same panels from B given as its transpose (the forward pass's W, N×K row-major):
// bp[jp][p][s] = w[(jp·NN_W + s)·ldw + p], 0 past column N
__kernel void gemm_pack_bt(const int K, const int N, __global const float* restrict w, const int ldw,
                           __global float* restrict bp)
{
    const int jp = get_global_id(0), p0 = get_global_id(1) * ITEM_WIDTH;
    const int j0 = jp * NN_W;
    if (p0 >= K || j0 >= N) return;
    __global float* o = bp + (long) jp * K * NN_W;
#if NN_W % 8 == 0
    if (p0 + ITEM_WIDTH <= K) {
        // 8 rows of W at a time, transposed to 8 steps of 8 panel columns
        #pragma unroll
        for (int h = 0; h < NN_W; h += 8) {
            float8 r[8], c[8];
            load_rows8(w + (j0 + h) * ldw + p0, ldw, N - j0 - h, r);
            transpose8(r, c);
            #pragma unroll
            for (int q = 0; q < 8; q++) vstore8(c[q], 0, o + (p0 + q) * NN_W + h);
        }
        return;
    }
#endif
    if (p0 + ITEM_WIDTH <= K) {
        for (int s = 0; s < NN_W; s++) {
            const float8 v = j0 + s < N ? vload8(0, w + (j0 + s) * ldw + p0) : (float8)(0.0f);
            o[(p0 + 0) * NN_W + s] = v.s0; o[(p0 + 1) * NN_W + s] = v.s1;
            o[(p0 + 2) * NN_W + s] = v.s2; o[(p0 + 3) * NN_W + s] = v.s3;
            o[(p0 + 4) * NN_W + s] = v.s4; o[(p0 + 5) * NN_W + s] = v.s5;
            o[(p0 + 6) * NN_W + s] = v.s6; o[(p0 + 7) * NN_W + s] = v.s7;
        }
    } else {
        for (int p = p0; p < K; p++)
            for (int s = 0; s < NN_W; s++) o[p * NN_W + s] = j0 + s < N ? w[(j0 + s) * ldw + p] : 0.0f;
    }
}

// C(M,N) = A'·B from the panels of gemm_pack_a and gemm_pack_b (or gemm_pack_bt); C row-major with ldc.
// Row panels run along dimension 0: consecutive work-items share one panel of B (K×NN_W floats,
// 128 KB at K = 2048, kept in L2) and stream the narrower panels of A.
__kernel void gemm_packed(const int M, const int N, const int K,
                          __global const float* restrict ap, __global const float* restrict bp,
                          __global float* restrict c, const int ldc)
{
    const int ip = get_global_id(0), jp = get_global_id(1);
    const int j0 = jp * NN_W, i0 = ip * NN_RM;
    if (i0 >= M || j0 >= N) return;
    __global const float* a = ap + (long) ip * K * NN_RM;
    __global const float* b = bp + (long) jp * K * NN_W;
    floatV acc[NN_RM][NN_CV];
    #pragma unroll
    for (int r = 0; r < NN_RM; r++)
        #pragma unroll
        for (int v = 0; v < NN_CV; v++) acc[r][v] = (floatV)(0.0f);
    for (int p = 0; p < K; p++) {
        floatV bv[NN_CV];
        #pragma unroll
        for (int v = 0; v < NN_CV; v++) bv[v] = vloadV(v, b + p * NN_W);
        #pragma unroll
        for (int r = 0; r < NN_RM; r++) {
            const floatV av = (floatV)(a[p * NN_RM + r]);
            #pragma unroll
            for (int v = 0; v < NN_CV; v++) acc[r][v] = fma(av, bv[v], acc[r][v]);
        }
    }
    if (j0 + NN_W <= N) {
        #pragma unroll
        for (int r = 0; r < NN_RM; r++)
            #pragma unroll
            for (int v = 0; v < NN_CV; v++)
                if (i0 + r < M) vstoreV(acc[r][v], v, c + (i0 + r) * ldc + j0);
    } else {
        #pragma unroll
        for (int r = 0; r < NN_RM; r++) {
            if (i0 + r >= M) continue;
            float row[NN_W];
            #pragma unroll
            for (int v = 0; v < NN_CV; v++) vstoreV(acc[r][v], v, row);
            for (int s = 0; s < N - j0; s++) c[(i0 + r) * ldc + j0 + s] = row[s];
        }
    }
}
