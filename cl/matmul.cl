/* Batched matrix product of strided views: per z = n*C + c,
 *   y[z] (M x P, dense) = act(alpha * A[z] (M x K) . B[z] (K x P)),
 * element (m, k) of A[z] at a[a_off + n*a_sn + c*a_sc + m*a_sm + k*a_sk],
 * (k, p) of B[z] at b[b_off + n*b_sn + c*b_sc + k*b_sk + p*b_sp], y[z] at
 * y[y_off + n*y_bs + (c*M + m)*P + p]. Accumulation in float.
 *
 * matmul_tiled (GPU family). One work-group: a TM x TP tile of y[z] (rows
 *   m0 = group 1 * TM, columns p0 = group 0 * TP, z = group 2), over K in
 *   TK-deep slices staged in local memory as As[k][m], Bs[k][p] (one
 *   padding word per row: the K-contiguous loads write along k). The
 *   loads are mapped so that consecutive items read consecutive addresses
 *   of the operand's contiguous axis, chosen at build time: A_MC (A's M
 *   axis is the contiguous one: a transposed view) else along K; B_KC (B's
 *   K axis: a transposed view) else along P; zero outside the matrix.
 *   One work-item (tx, ty) of TDP x TDM: a WM x WP register block, rows
 *   ty + i*TDM, columns tx + j*TDP (consecutive items: consecutive Bs words
 *   and output columns, one broadcast As word).
 *   Global size (ceil(P/TP)*TDP*TDM, ceil(M/TM), N*C), local (TDP*TDM).
 *
 * matmul_cpu (CPU family): one work-item (local size 1) per MR x 16 block:
 *   per k, one 16-wide load of B's row, MR broadcasts of A, MR vector FMAs
 *   into MR float16 accumulators that stay in registers (PoCL compiles a
 *   one-item group as plain code, the vectors become AVX registers). B must
 *   be P-contiguous: the launcher packs another layout first
 *   (matmul_pack_b, into float, B_PACKED). Rows past M are clamped to M-1
 *   (computed, not stored); the last column block is gathered with bounds.
 *   Global size (NMB*NPB, 1, N*C) over NMB = ceil(M/MR) row blocks and
 *   NPB = ceil(P/16) column blocks, cut into super-blocks of SB row blocks
 *   times all column blocks, row blocks fastest: consecutive items (one
 *   PoCL thread's run) share B's column block, and a super-block's A
 *   panel (SB*MR x K, sized by the launcher for the L2) is reused across
 *   all column blocks.
 * Macros: TM TP TK TDM TDP (GPU), A_MC, B_KC, MR, SB, B_PACKED (CPU), ACT,
 *   DTYPE. Launcher: every element index fits an int. */

#ifdef TM
#define WM (TM / TDM)
#define WP (TP / TDP)
#define NT (TDM * TDP)

__kernel __attribute__((reqd_work_group_size(NT, 1, 1))) void
matmul_tiled(__global const st_t *a, int a_off, int a_sn, int a_sc, int a_sm, int a_sk,
             __global const st_t *b, int b_off, int b_sn, int b_sc, int b_sk, int b_sp,
             __global st_t *y, int y_off, int y_bs, int C, int M, int K, int P, float alpha) {
    __local float As[TK][TM + 1], Bs[TK][TP + 1];
    const int tid = get_local_id(0), tx = tid % TDP, ty = tid / TDP;
    const int p0 = get_group_id(0) * TP, m0 = get_group_id(1) * TM, z = get_group_id(2);
    const int n = z / C, c = z - n * C;
    const __global st_t *az = a + a_off + n * a_sn + c * a_sc;
    const __global st_t *bz = b + b_off + n * b_sn + c * b_sc;
    float acc[WM][WP];
    for (int i = 0; i < WM; i++)
        for (int j = 0; j < WP; j++) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int e = tid; e < TM * TK; e += NT) {
#if A_MC
            const int mm = e % TM, kk = e / TM;
#else
            const int kk = e % TK, mm = e / TK;
#endif
            const int m = m0 + mm, k = k0 + kk;
            As[kk][mm] = m < M && k < K ? LD(az, m * a_sm + k * a_sk) : 0.0f;
        }
        for (int e = tid; e < TP * TK; e += NT) {
#if B_KC
            const int kk = e % TK, pp = e / TK;
#else
            const int pp = e % TP, kk = e / TP;
#endif
            const int p = p0 + pp, k = k0 + kk;
            Bs[kk][pp] = p < P && k < K ? LD(bz, k * b_sk + p * b_sp) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TK; kk++) {
            float av[WM], bv[WP];
            for (int i = 0; i < WM; i++) av[i] = As[kk][ty + i * TDM];
            for (int j = 0; j < WP; j++) bv[j] = Bs[kk][tx + j * TDP];
            for (int i = 0; i < WM; i++)
                for (int j = 0; j < WP; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    __global st_t *yz = y + y_off + n * y_bs + c * M * P;
    for (int i = 0; i < WM; i++) {
        const int m = m0 + ty + i * TDM;
        if (m >= M) break;
        for (int j = 0; j < WP; j++) {
            const int p = p0 + tx + j * TDP;
            if (p < P) ST(yz, m * P + p, clbb_act(alpha * acc[i][j]));
        }
    }
}
#endif

#ifdef MR
#if B_PACKED
typedef float b_t;
#define LDB(p, i) ((p)[i])
#define LDB16(p) vload16(0, (p))
#else
typedef st_t b_t;
#define LDB(p, i) LD(p, i)
#define LDB16(p) LDN(16, 0, (p))
#endif

/* bp[z][k][p] = B[z](k, p) as float, dense: global (P, K, N*C) */
__kernel void matmul_pack_b(__global const st_t *b, int b_off, int b_sn, int b_sc, int b_sk,
                            int b_sp, __global float *restrict bp, int C, int K, int P) {
    const int p = get_global_id(0), k = get_global_id(1), z = get_global_id(2);
    const int n = z / C, c = z - n * C;
    bp[(z * K + k) * P + p] = LD(b, b_off + n * b_sn + c * b_sc + k * b_sk + p * b_sp);
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
matmul_cpu(__global const st_t *a, int a_off, int a_sn, int a_sc, int a_sm, int a_sk,
           __global const b_t *b, int b_off, int b_sn, int b_sc, int b_sk, __global st_t *y,
           int y_off, int y_bs, int C, int M, int K, int P, float alpha) {
    const int NMB = (M + MR - 1) / MR, NPB = (P + 15) / 16;
    const int g = get_global_id(0), z = get_global_id(2);
    const int sb = g / (SB * NPB), rem = g - sb * SB * NPB;
    const int sbn = min(SB, NMB - sb * SB);
    const int mb = sb * SB + rem % sbn, pb = rem / sbn;
    const int m0 = mb * MR, p0 = pb * 16;
    const int n = z / C, c = z - n * C;
    const __global st_t *az = a + a_off + n * a_sn + c * a_sc;
    const __global b_t *bz = b + b_off + n * b_sn + c * b_sc + p0;
    int ar[MR];
    for (int i = 0; i < MR; i++) ar[i] = min(m0 + i, M - 1) * a_sm;
    float16 acc[MR];
    for (int i = 0; i < MR; i++) acc[i] = 0.0f;
    if (p0 + 16 <= P) {
        for (int k = 0; k < K; k++) {
            const float16 bv = LDB16(bz + k * b_sk);
            const int ak = k * a_sk;
            for (int i = 0; i < MR; i++) acc[i] = fma((float16)LD(az, ar[i] + ak), bv, acc[i]);
        }
    } else {
        const int np = P - p0;
        for (int k = 0; k < K; k++) {
            float bt[16];
            for (int j = 0; j < 16; j++) bt[j] = j < np ? LDB(bz, k * b_sk + j) : 0.0f;
            const float16 bv = vload16(0, bt);
            const int ak = k * a_sk;
            for (int i = 0; i < MR; i++) acc[i] = fma((float16)LD(az, ar[i] + ak), bv, acc[i]);
        }
    }
    __global st_t *yz = y + y_off + n * y_bs + (c * M + m0) * P + p0;
    const int nm = min(MR, M - m0), np = min(16, P - p0);
    for (int i = 0; i < nm; i++) {
        float t[16];
        vstore16(alpha * acc[i], 0, t);
        for (int j = 0; j < 16; j++) t[j] = clbb_act(t[j]);
        if (np == 16) STN(16, vload16(0, t), 0, yz + i * P);
        else
            for (int j = 0; j < np; j++) ST(yz, i * P + j, t[j]);
    }
}
#endif
