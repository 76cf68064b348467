/* GeneralizedAttention core (mmcv): energy -> [mask] -> softmax over keys
 * -> . values, never storing the Lq x Lk matrix (online softmax).
 *
 * Tensors: v (N, M*DV, Lk), k (N, M*D, Lk), q (N, M*D, Lq), y (N, M*DV, Lq)
 * as NCHW images, Lq = Hq*Wq, Lk = Hk*Wk; query i is (i / Wq, i % Wq), key
 * j (j / Wk, j % Wk). The appr term dots qa = [bit 0] q + [bit 2] appr_bias
 * with k; the position terms come per query as a table of Wk + Hk floats
 * (geo: ex[kx] then ey[ky], made by gen_attention_geom), so a score is
 * qa.k + ex[kx] + ey[ky].
 *
 * gen_attention_geom: one work-item per table entry, global (Lq*(Wk+Hk)
 *   rounded up, N*M), the entries of one (n, m) contiguous: ex[kx] = gx[m,qx,kx] + [bit 1] q(i).px[m,qx,kx,:], ey[ky] =
 *   gy[m,qy,ky] + [bit 1] q(i').py[m,qy,ky,:], i' the transposed query for
 *   TRANSPOSED types (i' = qx*Wq + qy, the launcher checks Hq == Wq); gx,
 *   gy are geom_bias . px, py (zero without bit 3), px, py the host's
 *   position features.
 * gen_attention_flash (GPU family): a work-group of 128 items (16 x 8)
 *   per tile of 64 queries of one (n, m), global (ceil(Lq/64)*128, N*M).
 *   Per tile of 32 keys: K, V tiles to local memory, each item 4 queries x
 *   4 keys of scores from the resident qa tile, row maxima and sums
 *   through local memory, P to local memory, each item 4 queries x VT
 *   value channels of the output. Needs D, DV <= 64 (local memory).
 * gen_attention_cpu (CPU family): one work-item per query of one (n, m),
 *   global (Lq, N*M); key rows ky one at a time (rows outside the local
 *   window skipped), 8 keys of a row at a time as float8 (the key and
 *   value rows are contiguous along positions; ey is one scalar per row,
 *   ex 8 contiguous floats).
 * Both: SHORTCUT ('0010') masks every row as query 0 (mmcv computes one row
 * and broadcasts it).
 *
 * Macros: D, DV, M, HAS_Q0 (bit 0), HAS_AB (bit 2), HAS_K (bit 0 or 2),
 * HAS_Q1 (bit 1), HAS_POS (bit 1 or 3), TRANSPOSED, SHORTCUT, MASK
 * (spatial_range >= 0), SR (spatial_range), KVS (kv_stride), DTYPE. */

static inline int ga_floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* keys [lo, hi) of one axis that query index i sees (mmcv's map) */
static inline void ga_window(int i, int *lo, int *hi) {
    *lo = max(ga_floor_div(i - SR, KVS), 0);
    *hi = ga_floor_div(i + SR + 1, KVS) + 1;
}

#if HAS_POS
__kernel void gen_attention_geom(__global const st_t *q, int q_off, int q_bs,
                                 __global const float *restrict px,
                                 __global const float *restrict py,
                                 __global const float *restrict gx,
                                 __global const float *restrict gy,
                                 __global float *restrict geo, int Hq, int Wq, int Hk, int Wk) {
    const int T = Wk + Hk, Lq = Hq * Wq, e = get_global_id(0), nm = get_global_id(1);
    if (e >= Lq * T) return;
    const int i = e / T, j = e - i * T, n = nm / M, m = nm % M;
    const int qy = i / Wq, qx = i % Wq;
    float s;
    int qi = i;
    __global const float *f;
    if (j < Wk) {
        s = gx[(m * Wq + qx) * Wk + j];
        f = px + ((size_t)(m * Wq + qx) * Wk + j) * D;
    } else {
        s = gy[(m * Hq + qy) * Hk + (j - Wk)];
        f = py + ((size_t)(m * Hq + qy) * Hk + (j - Wk)) * D;
#if TRANSPOSED
        qi = qx * Wq + qy;
#endif
    }
#if HAS_Q1
    const __global st_t *qp = q + q_off + n * q_bs + (size_t)m * D * Lq + qi;
    for (int d = 0; d < D; d++) s = fma(LD(qp, (size_t)d * Lq), f[d], s);
#else
    (void)f;
    (void)qi;
#endif
    geo[(size_t)nm * Lq * T + e] = s;
}
#endif

#define BQ 64
#define BK 32
#define VT ((DV + 7) / 8)
#define DVP (VT * 8)

__kernel __attribute__((reqd_work_group_size(128, 1, 1)))
void gen_attention_flash(__global const st_t *v, int v_off, int v_bs,
                         __global const st_t *k, int k_off, int k_bs,
                         __global const st_t *q, int q_off, int q_bs,
                         __global const float *restrict ab,
                         __global const float *restrict geo,
                         __global st_t *y, int y_off, int y_bs,
                         int Wq, int Lq, int Wk, int Hk) {
#if HAS_K
    __local float Qs[D][BQ];
    __local float Ks[D][BK];
#endif
    /* rows padded by one float: the stores (V along keys, P by column)
     * and the loads of the value phase fall in distinct banks */
    __local float Vs[DVP][BK + 1];
    __local float Ps[BK][BQ + 1];
    __local float redm[BQ][9], reds[BQ][9];
    const int t = get_local_id(0), ty = t >> 3, tx = t & 7;
    const int nm = get_global_id(1), n = nm / M, m = nm % M;
    const int q0 = get_group_id(0) * BQ, Lk = Wk * Hk;
#if HAS_K
    for (int e = t; e < D * BQ; e += 128) {
        const int d = e / BQ, i = e % BQ;
        float val = 0.0f;
#if HAS_Q0
        if (q0 + i < Lq) val = LD(q, q_off + n * q_bs + (size_t)(m * D + d) * Lq + q0 + i);
#endif
#if HAS_AB
        val += ab[m * D + d];
#endif
        Qs[d][i] = val;
    }
#endif
    float mrow[4], lrow[4], o[4][VT];
    int ylo[4], yhi[4], xlo[4], xhi[4];
    __global const float *g[4];
    for (int a = 0; a < 4; a++) {
        mrow[a] = -INFINITY;
        lrow[a] = 0.0f;
        for (int c = 0; c < VT; c++) o[a][c] = 0.0f;
        const int qi = min(q0 + ty * 4 + a, Lq - 1);
        g[a] = geo + ((size_t)nm * Lq + qi) * (Wk + Hk);
#if SHORTCUT
        const int mi = 0;
#else
        const int mi = qi;
#endif
        ylo[a] = yhi[a] = xlo[a] = xhi[a] = 0;
#if MASK
        ga_window(mi / Wq, &ylo[a], &yhi[a]);
        ga_window(mi % Wq, &xlo[a], &xhi[a]);
#else
        (void)mi;
#endif
    }
    const __global st_t *kp = k + k_off + n * k_bs + (size_t)m * D * Lk;
    const __global st_t *vp = v + v_off + n * v_bs + (size_t)m * DV * Lk;
    for (int k0 = 0; k0 < Lk; k0 += BK) {
        barrier(CLK_LOCAL_MEM_FENCE);
#if HAS_K
        for (int e = t; e < D * BK; e += 128) {
            const int d = e / BK, j = e % BK;
            Ks[d][j] = k0 + j < Lk ? LD(kp, (size_t)d * Lk + k0 + j) : 0.0f;
        }
#endif
        for (int e = t; e < DVP * BK; e += 128) {
            const int c = e / BK, j = e % BK;
            Vs[c][j] = (k0 + j < Lk && c < DV) ? LD(vp, (size_t)c * Lk + k0 + j) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        float s[4][4];
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) s[a][b] = 0.0f;
#if HAS_K
        for (int d = 0; d < D; d++) {
            const float4 qv = vload4(0, &Qs[d][ty * 4]);
            const float4 kv = vload4(0, &Ks[d][tx * 4]);
            s[0][0] = fma(qv.x, kv.x, s[0][0]); s[0][1] = fma(qv.x, kv.y, s[0][1]);
            s[0][2] = fma(qv.x, kv.z, s[0][2]); s[0][3] = fma(qv.x, kv.w, s[0][3]);
            s[1][0] = fma(qv.y, kv.x, s[1][0]); s[1][1] = fma(qv.y, kv.y, s[1][1]);
            s[1][2] = fma(qv.y, kv.z, s[1][2]); s[1][3] = fma(qv.y, kv.w, s[1][3]);
            s[2][0] = fma(qv.z, kv.x, s[2][0]); s[2][1] = fma(qv.z, kv.y, s[2][1]);
            s[2][2] = fma(qv.z, kv.z, s[2][2]); s[2][3] = fma(qv.z, kv.w, s[2][3]);
            s[3][0] = fma(qv.w, kv.x, s[3][0]); s[3][1] = fma(qv.w, kv.y, s[3][1]);
            s[3][2] = fma(qv.w, kv.z, s[3][2]); s[3][3] = fma(qv.w, kv.w, s[3][3]);
        }
#endif
        int ky[4], kx[4];
        for (int b = 0; b < 4; b++) {
            /* keys past Lk (the last tile's tail) are masked below; clamped
             * here so that their table reads stay inside the row */
            const int j = min(k0 + tx * 4 + b, Lk - 1);
            ky[b] = j / Wk;
            kx[b] = j - ky[b] * Wk;
        }
        for (int a = 0; a < 4; a++) {
            float pm = -INFINITY;
            for (int b = 0; b < 4; b++) {
                float v = s[a][b];
#if HAS_POS
                v += g[a][kx[b]] + g[a][Wk + ky[b]];
#endif
#if MASK
                if (ky[b] < ylo[a] || ky[b] >= yhi[a] || kx[b] < xlo[a] || kx[b] >= xhi[a])
                    v = -INFINITY;
#endif
                s[a][b] = k0 + tx * 4 + b < Lk ? v : -INFINITY;
                pm = fmax(pm, s[a][b]);
            }
            redm[ty * 4 + a][tx] = pm;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        float alpha[4];
        for (int a = 0; a < 4; a++) {
            float mx = mrow[a];
            for (int u = 0; u < 8; u++) mx = fmax(mx, redm[ty * 4 + a][u]);
            alpha[a] = mx == -INFINITY ? 1.0f : exp(mrow[a] - mx);
            mrow[a] = mx;
            float ps = 0.0f;
            for (int b = 0; b < 4; b++) {
                const float p = s[a][b] == -INFINITY ? 0.0f : exp(s[a][b] - mx);
                Ps[tx * 4 + b][ty * 4 + a] = p;
                ps += p;
            }
            reds[ty * 4 + a][tx] = ps;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int a = 0; a < 4; a++) {
            float ls = 0.0f;
            for (int u = 0; u < 8; u++) ls += reds[ty * 4 + a][u];
            lrow[a] = lrow[a] * alpha[a] + ls;
            for (int c = 0; c < VT; c++) o[a][c] *= alpha[a];
        }
        for (int kk = 0; kk < BK; kk++) {
            const float4 pv = vload4(0, &Ps[kk][ty * 4]);
            float vr[VT];
            for (int c = 0; c < VT; c++) vr[c] = Vs[tx * VT + c][kk];
            for (int c = 0; c < VT; c++) {
                const float vv = vr[c];
                o[0][c] = fma(pv.x, vv, o[0][c]);
                o[1][c] = fma(pv.y, vv, o[1][c]);
                o[2][c] = fma(pv.z, vv, o[2][c]);
                o[3][c] = fma(pv.w, vv, o[3][c]);
            }
        }
    }
    __global st_t *yp = y + y_off + n * y_bs + (size_t)m * DV * Lq;
    for (int a = 0; a < 4; a++) {
        const int qi = q0 + ty * 4 + a;
        if (qi >= Lq) continue;
        const float inv = 1.0f / lrow[a];
        for (int c = 0; c < VT; c++) {
            const int col = tx * VT + c;
            if (col < DV) ST(yp, (size_t)col * Lq + qi, o[a][c] * inv);
        }
    }
}

__kernel void gen_attention_cpu(__global const st_t *v, int v_off, int v_bs,
                                __global const st_t *k, int k_off, int k_bs,
                                __global const st_t *q, int q_off, int q_bs,
                                __global const float *restrict ab,
                                __global const float *restrict geo,
                                __global st_t *y, int y_off, int y_bs,
                                int Wq, int Lq, int Wk, int Hk) {
    const int i = get_global_id(0), nm = get_global_id(1);
    if (i >= Lq) return;
    const int n = nm / M, m = nm % M, Lk = Wk * Hk;
#if HAS_K
    float qa[D];
    for (int d = 0; d < D; d++) {
        float val = 0.0f;
#if HAS_Q0
        val = LD(q, q_off + n * q_bs + (size_t)(m * D + d) * Lq + i);
#endif
#if HAS_AB
        val += ab[m * D + d];
#endif
        qa[d] = val;
    }
    const __global st_t *kp = k + k_off + n * k_bs + (size_t)m * D * Lk;
#endif
#if SHORTCUT
    const int mi = 0;
#else
    const int mi = i;
#endif
    int ylo = 0, yhi = Hk, xlo = 0, xhi = Wk;
#if MASK
    ga_window(mi / Wq, &ylo, &yhi);
    ga_window(mi % Wq, &xlo, &xhi);
    ylo = max(ylo, 0);
    yhi = min(yhi, Hk);
    xhi = min(xhi, Wk);
#else
    (void)mi;
#endif
    __global const float *g = geo + ((size_t)nm * Lq + i) * (Wk + Hk);
    const __global st_t *vp = v + v_off + n * v_bs + (size_t)m * DV * Lk;
    float o[DV];
    for (int c = 0; c < DV; c++) o[c] = 0.0f;
    float mrow = -INFINITY, l = 0.0f;
    const int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7);
    /* key rows outside the window contribute exp(-inf) = 0: skipped */
    for (int ky = ylo; ky < yhi; ky++) {
#if HAS_POS
        const float ey = g[Wk + ky];
#endif
        for (int kx0 = xlo & ~7; kx0 < xhi; kx0 += 8) {
            const int j0 = ky * Wk + kx0, full = kx0 + 8 <= Wk;
            float8 s8 = (float8)(0.0f);
#if HAS_K
            if (full) {
                for (int d = 0; d < D; d++)
                    s8 = fma((float8)(qa[d]), LDN(8, 0, kp + (size_t)d * Lk + j0), s8);
            } else {
                float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (int d = 0; d < D; d++)
                    for (int b = 0; b < 8 && kx0 + b < Wk; b++)
                        tmp[b] = fma(qa[d], LD(kp, (size_t)d * Lk + j0 + b), tmp[b]);
                s8 = vload8(0, tmp);
            }
#endif
#if HAS_POS
            if (full) {
                s8 += vload8(0, g + kx0) + ey;
            } else {
                float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (int b = 0; b < 8 && kx0 + b < Wk; b++) tmp[b] = g[kx0 + b];
                s8 += vload8(0, tmp) + ey;
            }
#endif
            const int8 kx = (int8)(kx0) + lane;
            s8 = select(s8, (float8)(-INFINITY), (kx < (int8)(xlo)) | (kx >= (int8)(xhi)));
            const float4 m4 = fmax(s8.lo, s8.hi);
            const float cm = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
            const float mx = fmax(mrow, cm);
            if (mx == -INFINITY) continue; /* nothing seen yet: every weight is 0 */
            const float alpha = exp(mrow - mx);
            mrow = mx;
            const float8 p8 = exp(s8 - (float8)(mx));
            const float4 p4 = p8.lo + p8.hi;
            l = fma(l, alpha, (p4.x + p4.y) + (p4.z + p4.w));
            if (full) {
                for (int c = 0; c < DV; c++) {
                    const float8 vv = LDN(8, 0, vp + (size_t)c * Lk + j0);
                    o[c] = fma(o[c], alpha, dot(p8.lo, vv.lo) + dot(p8.hi, vv.hi));
                }
            } else {
                float pa[8];
                vstore8(p8, 0, pa);
                for (int c = 0; c < DV; c++) {
                    float acc = 0.0f;
                    for (int b = 0; b < 8 && kx0 + b < Wk; b++)
                        acc = fma(pa[b], LD(vp, (size_t)c * Lk + j0 + b), acc);
                    o[c] = fma(o[c], alpha, acc);
                }
            }
        }
    }
    __global st_t *yp = y + y_off + n * y_bs + (size_t)m * DV * Lq;
    const float inv = 1.0f / l;
    for (int c = 0; c < DV; c++) ST(yp, (size_t)c * Lq + i, o[c] * inv);
}
