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
 * matmul_cpu (CPU family), GotoBLAS style: A and B are first packed
 *   (matmul_pack_a / _b, any layout and dtype in) into float panels,
 *   MR rows x K and K x PW = NV*VW columns, k-major and zero-padded, so
 *   that the micro-kernel reads two contiguous streams whatever the views
 *   were and has no edge cases. One work-item (local size 1) per MR x PW
 *   block: per k, NV VW-wide loads of B's panel, MR broadcasts of A's,
 *   MR*NV vector FMAs into MR*NV floatVW accumulators that stay in
 *   registers (PoCL compiles a one-item group as plain code, the vectors
 *   become AVX registers: VW 8 is one AVX2 register, as conv2d_igemm_cpu's).
 *   A work-item computes CB consecutive column blocks of its row block
 *   (CB sized by the launcher for ~128 KiB of B panels: a one-item group
 *   costs PoCL about a microsecond, so short-K products need many blocks
 *   per item). Global size (NMB*NPC, 1, N*C) over NMB = ceil(M/MR) row
 *   blocks and NPC = ceil(NPB/CB) column chunks (NPB = ceil(P/PW)), cut
 *   into super-blocks of SB row blocks times all chunks, row blocks
 *   fastest: consecutive items (one PoCL thread's run) share B's chunk,
 *   and a super-block's A panels (SB*MR x K, sized for the L2) are reused
 *   across all chunks.
 * Macros: TM TP TK TDM TDP A_MC B_KC (GPU), MR NV VW SB CB (CPU), ACT,
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
#define PW (NV * VW)
#define VT CLBB_CAT(float, VW)
#define VLOAD CLBB_CAT(vload, VW)
#define VSTORE CLBB_CAT(vstore, VW)

/* Panels of the CPU micro-kernel, float, zero-padded:
 *   ap[z][mb][k][MR] = A[z](mb*MR + i, k)  (0 past M), global (K, NMB, N*C);
 *   bp[z][pb][k][PW] = B[z](k, pb*PW + j)  (0 past P), global (K, NPB, N*C);
 * B's panels follow A's in one buffer, from element bp_off. */
__kernel void matmul_pack_a(__global const st_t *a, int a_off, int a_sn, int a_sc, int a_sm,
                            int a_sk, __global float *restrict ap, int C, int M, int K) {
    const int k = get_global_id(0), mb = get_global_id(1), z = get_global_id(2);
    const int n = z / C, c = z - n * C, NMB = get_global_size(1);
    const __global st_t *az = a + a_off + n * a_sn + c * a_sc + k * a_sk;
    __global float *o = ap + ((z * NMB + mb) * K + k) * MR;
    for (int i = 0; i < MR; i++) {
        const int m = mb * MR + i;
        o[i] = m < M ? LD(az, m * a_sm) : 0.0f;
    }
}

__kernel void matmul_pack_b(__global const st_t *b, int b_off, int b_sn, int b_sc, int b_sk,
                            int b_sp, __global float *restrict bp, int bp_off, int C, int K,
                            int P) {
    const int k = get_global_id(0), pb = get_global_id(1), z = get_global_id(2);
    const int n = z / C, c = z - n * C, NPB = get_global_size(1);
    const __global st_t *bz = b + b_off + n * b_sn + c * b_sc + k * b_sk;
    __global float *o = bp + bp_off + ((z * NPB + pb) * K + k) * PW;
    const int p0 = pb * PW;
    if (b_sp == 1 && p0 + PW <= P) {
        for (int v = 0; v < NV; v++) VSTORE(LDN(VW, 0, bz + p0 + v * VW), v, o);
        return;
    }
    for (int j = 0; j < PW; j++) o[j] = p0 + j < P ? LD(bz, (p0 + j) * b_sp) : 0.0f;
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
matmul_cpu(__global const float *ap, int bp_off, __global st_t *y, int y_off, int y_bs, int C,
           int M, int K, int P, float alpha) {
    const int NMB = (M + MR - 1) / MR, NPB = (P + PW - 1) / PW, NPC = (NPB + CB - 1) / CB;
    const int g = get_global_id(0), z = get_global_id(2);
    const int sb = g / (SB * NPC), rem = g - sb * SB * NPC;
    const int sbn = min(SB, NMB - sb * SB);
    const int mb = sb * SB + rem % sbn, pc = rem / sbn;
    const int m0 = mb * MR, nm = min(MR, M - m0);
    const int n = z / C, c = z - n * C;
    const __global float *a = ap + (z * NMB + mb) * K * MR;
    __global st_t *yz = y + y_off + n * y_bs + (c * M + m0) * P;
    for (int pb = pc * CB; pb < min(NPB, pc * CB + CB); pb++) {
        const int p0 = pb * PW, np = min(PW, P - p0);
        const __global float *b = ap + bp_off + (z * NPB + pb) * K * PW;
        VT acc[MR][NV];
        for (int i = 0; i < MR; i++)
            for (int v = 0; v < NV; v++) acc[i][v] = 0.0f;
        for (int k = 0; k < K; k++) {
            VT bv[NV];
            for (int v = 0; v < NV; v++) bv[v] = VLOAD(k * NV + v, b);
            for (int i = 0; i < MR; i++) {
                const VT av = (VT)a[k * MR + i];
                for (int v = 0; v < NV; v++) acc[i][v] = fma(av, bv[v], acc[i][v]);
            }
        }
        for (int i = 0; i < nm; i++) {
            float t[PW];
            for (int v = 0; v < NV; v++) VSTORE(alpha * acc[i][v], v, t);
            for (int j = 0; j < PW; j++) t[j] = clbb_act(t[j]);
            if (np == PW)
                for (int v = 0; v < NV; v++) STN(VW, VLOAD(v, t), v, yz + i * P + p0);
            else
                for (int j = 0; j < np; j++) ST(yz, i * P + p0 + j, t[j]);
        }
    }
}
#endif
