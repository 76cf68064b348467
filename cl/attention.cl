/* Fused attention, flash style (online softmax; the Lq x Lk scores never
 * reach memory): per z = n*C + c,
 *   y[z] (Dv x Lq, dense) = (softmax_rows(scale * Q[z] . K[z]) . V[z])^T
 * with Q[z] Lq x D, K[z] D x Lk, V[z] Lk x Dv read through any strided
 * views (NonLocal2d: Q = theta^T, K = phi, V = g^T; y is then the NCHW map
 * of the result, no transpose).
 *
 * attention_pack: Q, K, V into float panels in one workspace buffer:
 *   qp[z][qb][d][8] = Q(qb*8 + i, d)   (0 past Lq), from element 0;
 *   kp[z][kb][d][8] = K(d, kb*8 + j)   (0 past Lk), from kp_off;
 *   vp[z][j][dv]    = V(j, dv)          (0 past Lk and Dv), from vp_off;
 *   global (max(D, Dv), max(NQB, NKB*8), N*C) with NQB = ceil(Lq/8),
 *   NKB = ceil(Lk/8); each item writes what its indices select.
 * attention_cpu (CPU family): one work-item (local size 1) per 8 queries
 *   of one z, global (NQB, 1, N*C). Per block of 8 keys: the 8 x 8 scores
 *   as eight float8 FMA chains over D (registers); the running max m,
 *   sum l and the rescale exp(m_old - m_new) per query (the exps on float8
 *   vectors: scalar ones cost more than the FMAs at D = 32); then acc[8][Dv]
 *   (private, L1) = acc * rescale + p . V-block, walked one float8 of Dv
 *   at a time so that the eight query rows stay in registers. Keys past
 *   Lk get score -inf (weight 0). At the end y[dv][q] = acc / l.
 * Macros: DV (Dv rounded up to 8: the private accumulator), DTYPE. */

#define QB 8
#define KB 8

__kernel void attention_pack(__global const st_t *q, int q_off, int q_sn, int q_sc, int q_sl,
                             int q_sd, __global const st_t *k, int k_off, int k_sn, int k_sc,
                             int k_sd, int k_sl, __global const st_t *v, int v_off, int v_sn,
                             int v_sc, int v_sl, int v_sd, __global float *restrict ws,
                             int kp_off, int vp_off, int C, int Lq, int Lk, int D, int Dv) {
    const int d = get_global_id(0), r = get_global_id(1), z = get_global_id(2);
    const int n = z / C, c = z - n * C;
    const int NQB = (Lq + QB - 1) / QB, NKB = (Lk + KB - 1) / KB;
    if (d < D && r < NQB) {
        const __global st_t *qz = q + q_off + n * q_sn + c * q_sc + d * q_sd;
        __global float *o = ws + ((z * NQB + r) * D + d) * QB;
        for (int i = 0; i < QB; i++) {
            const int l = r * QB + i;
            o[i] = l < Lq ? LD(qz, l * q_sl) : 0.0f;
        }
    }
    if (d < D && r < NKB) {
        const __global st_t *kz = k + k_off + n * k_sn + c * k_sc + d * k_sd;
        __global float *o = ws + kp_off + ((z * NKB + r) * D + d) * KB;
        for (int j = 0; j < KB; j++) {
            const int l = r * KB + j;
            o[j] = l < Lk ? LD(kz, l * k_sl) : 0.0f;
        }
    }
    if (d < DV && r < NKB * KB) {
        ws[vp_off + (z * NKB * KB + r) * DV + d] =
            r < Lk && d < Dv ? LD(v, v_off + n * v_sn + c * v_sc + r * v_sl + d * v_sd) : 0.0f;
    }
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
attention_cpu(__global const float *ws, int kp_off, int vp_off, __global st_t *y, int y_off,
              int y_bs, int C, int Lq, int Lk, int D, int Dv, float scale) {
    const int qb = get_global_id(0), z = get_global_id(2);
    const int n = z / C, c = z - n * C;
    const int NQB = (Lq + QB - 1) / QB, NKB = (Lk + KB - 1) / KB;
    const __global float *qp = ws + (z * NQB + qb) * D * QB;
    float8 acc[QB][DV / 8];
    float m[QB], l[QB];
    for (int i = 0; i < QB; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
        for (int u = 0; u < DV / 8; u++) acc[i][u] = 0.0f;
    }
    for (int kb = 0; kb < NKB; kb++) {
        const __global float *kp = ws + kp_off + (z * NKB + kb) * D * KB;
        float8 s[QB];
        for (int i = 0; i < QB; i++) s[i] = 0.0f;
        for (int d = 0; d < D; d++) {
            const float8 kv = vload8(d, kp);
            for (int i = 0; i < QB; i++) s[i] = fma((float8)qp[d * QB + i], kv, s[i]);
        }
        /* keys past Lk: score -inf, weight 0 (the last block only) */
        const int nk = Lk - kb * KB;
        const float8 lane = (float8)(0, 1, 2, 3, 4, 5, 6, 7);
        const float8 kmask = nk >= KB ? (float8)0.0f : select((float8)0.0f, (float8)(-INFINITY),
                                                              isgreaterequal(lane, (float8)nk));
        float p[QB][KB], corr[QB];
        for (int i = 0; i < QB; i++) {
            const float8 t = s[i] * scale + kmask;
            const float4 h4 = fmax(t.lo, t.hi);
            const float2 h2 = fmax(h4.lo, h4.hi);
            const float mx = fmax(m[i], fmax(h2.x, h2.y));
            corr[i] = exp(m[i] - mx);
            const float8 pv = exp(t - mx);
            const float4 s4 = pv.lo + pv.hi;
            const float2 s2 = s4.lo + s4.hi;
            l[i] = l[i] * corr[i] + (s2.x + s2.y);
            m[i] = mx;
            vstore8(pv, 0, p[i]);
        }
        const __global float *vp = ws + vp_off + (z * NKB + kb) * KB * DV;
        for (int u = 0; u < DV / 8; u++) {
            float8 a[QB];
            for (int i = 0; i < QB; i++) a[i] = acc[i][u] * corr[i];
            for (int j = 0; j < KB; j++) {
                const float8 vv = vload8(u, vp + j * DV);
                for (int i = 0; i < QB; i++) a[i] = fma((float8)p[i][j], vv, a[i]);
            }
            for (int i = 0; i < QB; i++) acc[i][u] = a[i];
        }
    }
    const int nq = min(QB, Lq - qb * QB);
    __global st_t *yz = y + y_off + n * y_bs + c * Dv * Lq + qb * QB;
    for (int u = 0; u < DV / 8; u++)
        for (int e = 0; e < 8 && u * 8 + e < Dv; e++) {
            float t[QB];
            for (int i = 0; i < QB; i++) {
                float8 a = acc[i][u];
                float av[8];
                vstore8(a, 0, av);
                t[i] = av[e] / l[i];
            }
            for (int i = 0; i < nq; i++) ST(yz, (u * 8 + e) * Lq + i, t[i]);
        }
}
