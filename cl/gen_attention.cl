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
 *   position features. Under GEO_T (the rows and mma kernels) the table is
 *   stored transposed, entry-major (geo[nm][j][i]), so that the 32 queries
 *   of a warp read one entry in one coalesced line, and so are px, py
 *   ([m][k][d][q]) and gx, gy ([m][k][q]): the work-items, consecutive
 *   queries, read consecutive floats.
 * gen_attention_rows (GPU family): a work-item per (query, key split):
 *   work-groups of 128 = GA_QB queries x GA_KS splits of one (n, m),
 *   global (ceil(Lq/GA_QB)*128, N*M). Each item keeps its query's qa (D
 *   floats) and its output (DV) in registers; per tile of GA_KS*GA_SJ keys
 *   (K and V tiles in local memory, [dim][key], read as float4 broadcasts:
 *   the items of a warp are consecutive queries of one split) it scores its
 *   split's GA_SJ keys, takes their maximum, rescales and adds the value
 *   sum, so a row's softmax needs no exchange between items; the splits
 *   merge their (max, sum, output) once at the end through local memory.
 *   Why not q64k32 (below): its row maxima and sums went through local
 *   memory with three barriers per 32 keys: 0.615 ms per attn1111 c4 layer
 *   on the H200 against this kernel's 0.340 (2026-12-02, removed). Needs GA_LDS floats of local memory.
 * gen_attention_cpu (CPU family): one work-item per GA_QB consecutive
 *   queries of one (n, m), global (ceil(Lq / GA_QB), N*M); key rows ky
 *   one at a time (rows outside every query's window skipped), in
 *   segments of up to GA_SEG vectors of GA_VW keys (the key and value rows
 *   are contiguous along positions; ey is one scalar per row, ex GA_VW
 *   contiguous floats). Every segment is GA_SEG whole vectors (no
 *   data-dependent trip counts: the scores stay in registers); lanes past
 *   a row's end are masked, the keys and values read there are the next
 *   row's (or zero past the plane), and the launcher pads the position
 *   table by GA_SEG * GA_VW floats for those reads.
 * Both: SHORTCUT ('0010') masks every row as query 0 (mmcv computes one row
 * and broadcasts it); the launcher then runs them on the first group's
 * queries only and gen_attention_broadcast copies query 0's row to the rest.
 *
 * Macros: D, DV, M, HAS_Q0 (bit 0), HAS_AB (bit 2), HAS_K (bit 0 or 2),
 * HAS_Q1 (bit 1), HAS_POS (bit 1 or 3), TRANSPOSED, SHORTCUT, MASK
 * (spatial_range >= 0), SR (spatial_range), KVS (kv_stride), DTYPE; the CPU
 * kernel's GA_VW (8 or 16), GA_QB, GA_SEG. */

#include "mma.cl"

/* The rows and mma kernels' loops over their register arrays, unrolled
 * whatever the compiler's own heuristics, so that the arrays stay in
 * registers (no stack frame on the H200). Not on an x86 CPU (PoCL, where
 * these kernels run under test only): there it tripled the gen_attention
 * table's build time (3.6 against 1.3 min cold, CI). */
#if defined(__x86_64__)
#define GA_UNROLL
#else
#define GA_UNROLL _Pragma("unroll")
#endif

static inline int ga_floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* keys [lo, hi) of one axis that query index i sees (mmcv's map) */
static inline void ga_window(int i, int *lo, int *hi) {
    *lo = max(ga_floor_div(i - SR, KVS), 0);
    *hi = ga_floor_div(i + SR + 1, KVS) + 1;
}

/* The keys query qi sees, rows [ylo, yhi) and columns [xlo, xhi): all of
 * them without MASK (the CPU kernel clamps hi); with SHORTCUT query 0's
 * window for every query (mmcv computes one row and broadcasts it). */
static inline void ga_query_window(int qi, int Wq, int Hk, int Wk, int *ylo, int *yhi, int *xlo,
                                   int *xhi) {
#if SHORTCUT
    qi = 0;
#endif
    *ylo = 0, *yhi = Hk, *xlo = 0, *xhi = Wk;
#if MASK
    ga_window(qi / Wq, ylo, yhi);
    ga_window(qi % Wq, xlo, xhi);
#else
    (void)qi;
    (void)Wq;
#endif
}

/* the attention kernels' arguments (rows, mma, cpu) */
#define GA_PARAMS                                                                             \
    __global const st_t *v, int v_off, int v_bs, __global const st_t *k, int k_off, int k_bs, \
        __global const st_t *q, int q_off, int q_bs, __global const float *restrict ab,       \
        __global const float *restrict geo, __global st_t *y, int y_off, int y_bs, int Wq,   \
        int Lq, int Wk, int Hk

#if HAS_POS || GA_KB
__kernel void gen_attention_geom(__global const st_t *q, int q_off, int q_bs,
                                 __global const float *restrict px,
                                 __global const float *restrict py,
                                 __global const float *restrict gx,
                                 __global const float *restrict gy,
                                 __global float *restrict geo, int Hq, int Wq, int Hk, int Wk,
                                 __global const st_t *k, int k_off, int k_bs,
                                 __global const float *restrict ab, __global float *restrict kb) {
    const int T = Wk + Hk, Lq = Hq * Wq, e = get_global_id(0), nm = get_global_id(1);
    const int ntab = HAS_POS ? Lq * T : 0;
#if GA_KB
    /* past the tables: appr_bias . k of key e - ntab, for the mma kernel */
    if (e >= ntab) {
        const int j = e - ntab, Lk = Wk * Hk, n = nm / M, m = nm % M;
        if (j >= Lk) return;
        const __global st_t *kp = k + k_off + n * k_bs + (size_t)m * D * Lk + j;
        float b = 0.0f;
        for (int d = 0; d < D; d++) b = fma(ab[m * D + d], LD(kp, (size_t)d * Lk), b);
        kb[(size_t)nm * Lk + j] = b;
        return;
    }
#else
    (void)k, (void)k_off, (void)k_bs, (void)ab, (void)kb;
    if (e >= ntab) return;
#endif
#if HAS_POS
#if GEO_T
    const int j = e / Lq, i = e - j * Lq, n = nm / M, m = nm % M;
#else
    const int i = e / T, j = e - i * T, n = nm / M, m = nm % M;
#endif
    const int qy = i / Wq, qx = i % Wq;
    float s;
    int qi = i, fs = 1; /* the feature's stride along d */
    __global const float *f;
#if GEO_T
    /* features [m][k][d][q], bias terms [m][k][q] */
    if (j < Wk) {
        s = gx[(m * Wk + j) * Wq + qx];
        f = px + (size_t)(m * Wk + j) * D * Wq + qx;
        fs = Wq;
    } else {
        s = gy[(m * Hk + (j - Wk)) * Hq + qy];
        f = py + (size_t)(m * Hk + (j - Wk)) * D * Hq + qy;
        fs = Hq;
#if TRANSPOSED
        qi = qx * Wq + qy;
#endif
    }
#else
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
#endif
#if HAS_Q1
    const __global st_t *qp = q + q_off + n * q_bs + (size_t)m * D * Lq + qi;
    for (int d = 0; d < D; d++) s = fma(LD(qp, (size_t)d * Lq), f[(size_t)d * fs], s);
#else
    (void)fs;
    (void)f;
    (void)qi;
#endif
    geo[(size_t)nm * Lq * T + e] = s; /* e = j*Lq + i under GEO_T */
#endif
}
#endif

#ifdef GA_KS
#define GA_QB (128 / GA_KS)
#define GA_BK (GA_KS * GA_SJ)

__kernel __attribute__((reqd_work_group_size(128, 1, 1)))
void gen_attention_rows(GA_PARAMS) {
    __local float lds[GA_LDS] __attribute__((aligned(16)));
    __local float *Ks = lds, *Vs = lds + HAS_K * D * GA_BK;
    const int t = get_local_id(0), h = t / GA_QB, ql = t - h * GA_QB;
    const int nm = get_global_id(1), n = nm / M, m = nm % M;
    const int qraw = get_group_id(0) * GA_QB + ql, qi = min(qraw, Lq - 1), Lk = Wk * Hk;
#if HAS_K
    float qa[D];
GA_UNROLL
    for (int d = 0; d < D; d++) {
        float val = 0.0f;
#if HAS_Q0
        val = LD(q, q_off + n * q_bs + (size_t)(m * D + d) * Lq + qi);
#endif
#if HAS_AB
        val += ab[m * D + d];
#endif
        qa[d] = val;
    }
    const __global st_t *kp = k + k_off + n * k_bs + (size_t)m * D * Lk;
#endif
    int ylo, yhi, xlo, xhi;
    ga_query_window(qi, Wq, Hk, Wk, &ylo, &yhi, &xlo, &xhi);
#if HAS_POS
    __global const float *g = geo + (size_t)nm * (Wk + Hk) * Lq + qi;
#endif
    const __global st_t *vp = v + v_off + n * v_bs + (size_t)m * DV * Lk;
    float o[DV];
GA_UNROLL
    for (int c = 0; c < DV; c++) o[c] = 0.0f;
    float mrow = -INFINITY, l = 0.0f;
    for (int k0 = 0; k0 < Lk; k0 += GA_BK) {
        barrier(CLK_LOCAL_MEM_FENCE);
#if HAS_K
        for (int e = t; e < D * GA_BK; e += 128) {
            const int d = e / GA_BK, j = e - d * GA_BK;
            Ks[e] = k0 + j < Lk ? LD(kp, (size_t)d * Lk + k0 + j) : 0.0f;
        }
#endif
        for (int e = t; e < DV * GA_BK; e += 128) {
            const int c = e / GA_BK, j = e - c * GA_BK;
            Vs[e] = k0 + j < Lk ? LD(vp, (size_t)c * Lk + k0 + j) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int j0 = k0 + h * GA_SJ; /* this split's first key */
        float s[GA_SJ];
GA_UNROLL
        for (int j = 0; j < GA_SJ; j++) s[j] = 0.0f;
#if HAS_K
GA_UNROLL
        for (int d = 0; d < D; d++) {
            const float qd = qa[d];
GA_UNROLL
            for (int j = 0; j < GA_SJ; j += 4) {
                const float4 kv = vload4(0, Ks + d * GA_BK + h * GA_SJ + j);
                s[j] = fma(qd, kv.x, s[j]);
                s[j + 1] = fma(qd, kv.y, s[j + 1]);
                s[j + 2] = fma(qd, kv.z, s[j + 2]);
                s[j + 3] = fma(qd, kv.w, s[j + 3]);
            }
        }
#endif
        int ky = j0 / Wk, kx = j0 - ky * Wk;
        float cm = -INFINITY;
GA_UNROLL
        for (int j = 0; j < GA_SJ; j++) {
            float e = s[j];
#if HAS_POS
            /* keys past Lk are masked below; their rows clamped to stay in the table */
            e += g[(size_t)kx * Lq] + g[(size_t)(Wk + min(ky, Hk - 1)) * Lq];
#endif
#if MASK
            if (ky < ylo || ky >= yhi || kx < xlo || kx >= xhi) e = -INFINITY;
#endif
            s[j] = j0 + j < Lk ? e * M_LOG2E_F : -INFINITY; /* exp2 below: one MUFU op */
            cm = fmax(cm, s[j]);
            if (++kx == Wk) {
                kx = 0;
                ky++;
            }
        }
        const float mx = fmax(mrow, cm);
        if (mx == -INFINITY) continue; /* nothing seen yet: every weight is 0 */
        const float alpha = exp2(mrow - mx);
        mrow = mx;
        float ps = 0.0f;
GA_UNROLL
        for (int j = 0; j < GA_SJ; j++) {
            s[j] = exp2(s[j] - mx);
            ps += s[j];
        }
        l = fma(l, alpha, ps);
GA_UNROLL
        for (int c = 0; c < DV; c++) {
            float acc = o[c] * alpha;
GA_UNROLL
            for (int j = 0; j < GA_SJ; j += 4) {
                const float4 vv = vload4(0, Vs + c * GA_BK + h * GA_SJ + j);
                acc = fma(s[j], vv.x, acc);
                acc = fma(s[j + 1], vv.y, acc);
                acc = fma(s[j + 2], vv.z, acc);
                acc = fma(s[j + 3], vv.w, acc);
            }
            o[c] = acc;
        }
    }
#if GA_KS > 1
    /* splits 1.. hand (max, sum, output) to split 0 */
    barrier(CLK_LOCAL_MEM_FENCE);
    if (h > 0) {
        __local float *p = lds + ((h - 1) * GA_QB + ql) * (DV + 2);
        p[0] = mrow;
        p[1] = l;
GA_UNROLL
        for (int c = 0; c < DV; c++) p[2 + c] = o[c];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (h > 0) return;
GA_UNROLL
    for (int u = 1; u < GA_KS; u++) {
        __local const float *p = lds + ((u - 1) * GA_QB + ql) * (DV + 2);
        const float m2 = p[0], mx = fmax(mrow, m2);
        const float a1 = mrow == -INFINITY ? 0.0f : exp2(mrow - mx);
        const float a2 = m2 == -INFINITY ? 0.0f : exp2(m2 - mx);
        mrow = mx;
        l = l * a1 + p[1] * a2;
GA_UNROLL
        for (int c = 0; c < DV; c++) o[c] = o[c] * a1 + p[2 + c] * a2;
    }
#endif
    if (qraw >= Lq) return;
    __global st_t *yp = y + y_off + n * y_bs + (size_t)m * DV * Lq;
    const float inv = 1.0f / l;
GA_UNROLL
    for (int c = 0; c < DV; c++) ST(yp, (size_t)c * Lq + qi, o[c] * inv);
}
#endif

#if IG_MMA == 1 || IG_MMA == 2
/* gen_attention_mma (GPU family, tensor cores: TF32 with IG_MMA 1, FP16
 * with 2, f32 accumulation): FlashAttention-2's scheme on mma.sync.
 * Work-groups of 4 warps, a warp per 16 queries (64 per group) of one
 * (n, m), global (ceil(Lq/64)*128, N*M). A key tile is GA_R whole key rows,
 * each padded to GA_CW columns, where a row fits 64 slots (GA_EXC), else
 * a chunk of GA_CW = 64 columns of one row: slot s is key (ky0 + s / GA_CW,
 * cx0 + s % GA_CW). Why rows: a lane's slots then sit at fixed columns, so
 * its position terms ex[kx] (and the x window, and the padding as -inf)
 * are registers loaded once, and ey[ky] one per row and tile; with 64
 * linear keys they were 64 table reads per lane and tile (attn1111 c4 on
 * the H200: 0.06 of the op's 0.207 ms at fp16, 2026-12-02).
 * Per tile (K and V in local memory, TF32-rounded floats or f16 pairs) a
 * warp makes its 16 x GA_TK scores S = q . K on the tensor cores from q
 * fragments kept in registers, adds appr_bias . k (per key, made in fp32
 * from the unrounded keys by gen_attention_geom: rounding q + appr_bias to
 * half or TF32 instead doubled the error at D = 64; made per tile by 64
 * items it cost 0.047 ms of the same op) and the position terms, takes the
 * row maxima over the quad of lanes that holds a row (two butterfly
 * shuffles), rescales, and multiplies exp(S - max) by V straight from the
 * accumulators: in FP16 two 16x8 accumulator tiles are the 16x16 A
 * fragment; in TF32 the A fragment of keys 8j.. reads accumulator columns
 * (2t, 2t+1) as k-indices (t, t+4), and V's rows are taken in that order.
 * With GA_PF the next tile's operands are loaded into registers while the
 * tensor cores work on this one (one local buffer, two barriers per
 * tile); without, each tile's at its start (fewer registers).
 * Each lane sums its own columns of the row sums; the quad adds them at
 * the end. Needs D, DV <= 64.
 * With nsplit > 1 (too few query tiles to fill the device: attn1111's c5)
 * each group takes split_rows key rows of its query tile and writes its
 * unnormalised output, maxima and sums to part; gen_attention_merge adds
 * the splits (FlashDecoding's split-KV). */
#define GA_TK (GA_R * GA_CW)
#define GA_CWJ (GA_CW / 8) /* 8-slot blocks of a tile row */
#if IG_MMA == 2
#define GA_KSTEP 16
#define GA_DP ((D + 15) / 16 * 16)
typedef uint ga_lt; /* a local element: a pair of halves */
#define GA_KPW 2                  /* K: d values per local element */
#define GA_KROWS (GA_DP / 2)     /* K tile rows: d pairs */
#define GA_VPW 2                  /* V: keys per local element */
#define GA_VCOLS (GA_TK / 2 + 4) /* V tile row: key pairs, padded */
#else
#define GA_KSTEP 8
#define GA_DP ((D + 7) / 8 * 8)
typedef float ga_lt;
#define GA_KPW 1
#define GA_KROWS GA_DP
#define GA_VPW 1
#define GA_VCOLS (GA_TK + 8)
#endif
/* K rows padded so that the B fragments' loads (rows t, columns g) hit 32 banks */
#define GA_KCOLS (GA_TK + (GA_TK % 16 ? 16 : 8))
#define GA_DVP ((DV + 7) / 8 * 8)
#define GA_NQF (GA_DP / GA_KSTEP) /* qa fragments */
#define GA_NS (GA_TK / 8)         /* score accumulator tiles */
#define GA_NO (GA_DVP / 8)        /* output accumulator tiles */
/* The loaders' layouts: element i of item tid is K row GA_K_DR(i), slot
 * GA_K_SL(i), and V channel GA_V_C(i), slot word GA_V_W(i) (GA_VPW slots).
 * GA_LD1 = 0: element e = tid + 128 i, each element its own slot (all 128
 * items busy; with the prefetch the compiler keeps every slot's
 * decomposition in registers: 238-249 at D = 32, spills at 64). GA_LD1 = 1:
 * an item keeps one slot (K) or slot word (V) and steps over rows or
 * channels, so that a tile's keys are one offset and one test per item,
 * the items past the last whole set of slots loading nothing (168-178
 * registers). On the H200 (attn1111, 1x3x800x1344) 0 with the prefetch is
 * the faster at D = 32 (c4 fp16 0.165 ms against 0.18 for 1 without, 0.245
 * for 1 with it), 1 without it at D = 64 (c5 0.056 against 0.071 for 0
 * with it, which spilled); the launcher picks so. */
#define GA_VSL (GA_TK / GA_VPW) /* V slot words per channel */
#if GA_LD1
#define GA_KSR (128 / GA_TK)    /* K rows loaded at once */
#define GA_VSR (128 / GA_VSL)   /* V channels loaded at once */
#define GA_KE ((GA_KROWS + GA_KSR - 1) / GA_KSR) /* K elements per item and tile */
#define GA_VE ((GA_DVP + GA_VSR - 1) / GA_VSR)   /* V elements per item and tile */
#define GA_K_DR(i) (kr0 + GA_KSR * (i))
#define GA_K_SL(i) ksl
#define GA_V_C(i) (vc0 + GA_VSR * (i))
#define GA_V_W(i) vsl
#else
#define GA_KE ((GA_KROWS * GA_TK + 127) / 128)
#define GA_VE ((GA_DVP * GA_VSL + 127) / 128)
#define GA_K_DR(i) ((tid + 128 * (i)) / GA_TK)
#define GA_K_SL(i) ((tid + 128 * (i)) % GA_TK)
#define GA_V_C(i) ((tid + 128 * (i)) / GA_VSL)
#define GA_V_W(i) ((tid + 128 * (i)) % GA_VSL)
#endif

#if IG_MMA_EMU
/* the maximum (or sum) of the 4 lanes of a quad, through local memory */
static inline float ga_quad(float v, int max_, __local float *x) {
    const int i = get_local_id(0);
    barrier(CLK_LOCAL_MEM_FENCE);
    x[i] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    const float a = x[i & ~3], b = x[(i & ~3) + 1], c = x[(i & ~3) + 2], d = x[(i & ~3) + 3];
    return max_ ? fmax(fmax(a, b), fmax(c, d)) : (a + b) + (c + d);
}
#else
static inline float ga_shfl(float v, int lanemask) {
    float r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(r) : "f"(v), "r"(lanemask));
    return r;
}
static inline float ga_quad(float v, int max_) {
    const float a = ga_shfl(v, 1);
    v = max_ ? fmax(v, a) : v + a;
    const float b = ga_shfl(v, 2);
    return max_ ? fmax(v, b) : v + b;
}
#endif
#if IG_MMA_EMU
#define GA_QUAD(v, max_) ga_quad(v, max_, qx)
#else
#define GA_QUAD(v, max_) ga_quad(v, max_)
#endif

/* q of query qi (clamped), channel d (zero past D) */
static inline float ga_q(__global const st_t *qp, int Lq, int d, int qi) {
    return d < D ? LD(qp, (size_t)d * Lq + qi) : 0.0f;
}

/* the key of tile slot sl (tile at row ky0, column cx0), -1 for padding */
static inline int ga_slot_key(int sl, int ky0, int cx0, int rend, int Wk) {
    const int rho = sl / GA_CW, c = cx0 + sl - rho * GA_CW, ky = ky0 + rho;
    return c < Wk && ky < rend ? ky * Wk + c : -1;
}

/* one tile's operands, raw, in registers (the nx_ arrays of the kernel): K
 * (GA_KPW d values per element), V (GA_VPW keys), the keys' appr-bias
 * terms, the rows' ey, the columns' ex */
#if HAS_POS
/* ex of lane column block jc (columns cx0 + 8jc + 2t + u) for both rows */
#define GA_LOAD_EX(dst, cx0)                                                                  \
    do {                                                                                      \
        GA_UNROLL for (int r_ = 0; r_ < 2; r_++) GA_UNROLL for (int j_ = 0; j_ < GA_CWJ; j_++) \
            GA_UNROLL for (int u_ = 0; u_ < 2; u_++) {                                         \
            const int c_ = (cx0) + 8 * j_ + 2 * t + u_;                                        \
            (dst)[r_][j_][u_] = c_ < Wk ? gq[r_][(size_t)c_ * Lq] : 0.0f;                      \
        }                                                                                     \
    } while (0)
#endif

__kernel __attribute__((reqd_work_group_size(128, 1, 1)))
void gen_attention_mma(GA_PARAMS, int nsplit, int split_rows,
                       __global float *restrict part, __global const float *restrict kbv) {
#if HAS_Q0
    __local ga_lt Ks[GA_KROWS * GA_KCOLS] __attribute__((aligned(16)));
#endif
#if HAS_AB
    __local float kbias[GA_TK];
#endif
    __local ga_lt Vs[GA_DVP * GA_VCOLS] __attribute__((aligned(16)));
#if IG_MMA_EMU
    __local float emu[4 * IG_EMU_WARP];
    __local float qx[128];
#endif
    const int tid = get_local_id(0), lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int nm = get_global_id(1), n = nm / M, m = nm % M;
    /* group (query tile, key split): split sp takes key rows sp*split_rows .. */
    const int sp = get_group_id(0) % nsplit;
    const int qw = get_group_id(0) / nsplit * 64 + (tid >> 5) * 16; /* the warp's first query */
    const int Lk = Wk * Hk, rbeg = sp * split_rows, rend = min(Hk, rbeg + split_rows);
    int qr[2], ylo[2], yhi[2], xlo[2], xhi[2];
GA_UNROLL
    for (int r = 0; r < 2; r++) {
        qr[r] = min(qw + g + 8 * r, Lq - 1);
        ga_query_window(qr[r], Wq, Hk, Wk, &ylo[r], &yhi[r], &xlo[r], &xhi[r]);
    }
#if HAS_Q0
    /* the warp's q as A fragments, for all of D */
    uint qf[GA_NQF][4];
    {
        __global const st_t *qp = q + q_off + n * q_bs + (size_t)m * D * Lq;
GA_UNROLL
        for (int f = 0; f < GA_NQF; f++) {
            const int d0 = f * GA_KSTEP;
#if IG_MMA == 2
GA_UNROLL
            for (int e = 0; e < 4; e++) {
                const int r = qr[e & 1], d = d0 + 2 * t + 8 * (e >> 1);
                qf[f][e] = ig_h2(ga_q(qp, Lq, d, r), ga_q(qp, Lq, d + 1, r));
            }
#else
GA_UNROLL
            for (int e = 0; e < 4; e++)
                qf[f][e] = as_uint(IG_RND(ga_q(qp, Lq, d0 + t + 4 * (e >> 1), qr[e & 1])));
#endif
        }
    }
    const __global st_t *kp = k + k_off + n * k_bs + (size_t)m * D * Lk;
#endif
#if HAS_AB
    kbv += (size_t)nm * Lk;
#endif
#if HAS_POS
    __global const float *gq[2];
GA_UNROLL
    for (int r = 0; r < 2; r++) gq[r] = geo + (size_t)nm * (Wk + Hk) * Lq + qr[r];
#endif
    const __global st_t *vp = v + v_off + n * v_bs + (size_t)m * DV * Lk;
    /* the lane's column terms: ex (GA_EXV), the x window and the padding (-inf) */
    float exr[2][GA_CWJ][2];
#define GA_COL_TERMS(cx0)                                                                       \
    GA_UNROLL for (int r_ = 0; r_ < 2; r_++) GA_UNROLL for (int j_ = 0; j_ < GA_CWJ; j_++)      \
        GA_UNROLL for (int u_ = 0; u_ < 2; u_++) {                                              \
        const int c_ = (cx0) + 8 * j_ + 2 * t + u_;                                             \
        exr[r_][j_][u_] = c_ >= Wk || c_ < xlo[r_] || c_ >= xhi[r_] ? -INFINITY : GA_EXV(r_, j_, u_); \
    }
#if !HAS_POS
#define GA_EXV(r, j, u) 0.0f
#elif GA_EXC
#define GA_EXV(r, j, u) exr[r][j][u]
#else
#define GA_EXV(r, j, u) nx_ex[r][j][u]
#endif
#if GA_EXC
#if HAS_POS
    GA_LOAD_EX(exr, 0);
#endif
    GA_COL_TERMS(0);
#endif
    float o[GA_NO][4];
GA_UNROLL
    for (int f = 0; f < GA_NO; f++) o[f][0] = o[f][1] = o[f][2] = o[f][3] = 0.0f;
    float mrow[2] = {-INFINITY, -INFINITY}, lrow[2] = {0.0f, 0.0f};
    const int nch = (Wk + GA_CW - 1) / GA_CW; /* tiles per row block */
#if HAS_Q0
    float nx_k[GA_KE][GA_KPW];
#endif
    float nx_v[GA_VE][GA_VPW];
#if HAS_AB
    float nx_kb = 0.0f;
#endif
#if HAS_POS
    float nx_ey[2][GA_R];
#if !GA_EXC
    float nx_ex[2][GA_CWJ][2];
#endif
#endif
    /* the operands of the tile at (ky0, cx0) into nx */
#define GA_PREFETCH(ky0, cx0)                                                                  \
    do {                                                                                       \
        GA_PREFETCH_K(ky0, cx0);                                                               \
        GA_PREFETCH_V(ky0, cx0);                                                               \
        GA_PREFETCH_KB(ky0, cx0);                                                              \
        GA_PREFETCH_POS(ky0, cx0);                                                             \
    } while (0)
#if HAS_Q0 && GA_LD1
/* one slot per item: its key once for every row */
#define GA_PREFETCH_K(ky0, cx0)                                                                \
    {                                                                                          \
        const int key_ = ga_slot_key(ksl, ky0, cx0, rend, Wk);                                 \
        GA_UNROLL for (int i_ = 0; i_ < GA_KE; i_++)                                           \
            GA_UNROLL for (int w_ = 0; w_ < GA_KPW; w_++) {                                    \
            const int d_ = GA_KPW * GA_K_DR(i_) + w_;                                          \
            nx_k[i_][w_] = key_ >= 0 && d_ < D ? LD(kp, (size_t)d_ * Lk + key_) : 0.0f;        \
        }                                                                                      \
    }
#elif HAS_Q0
#define GA_PREFETCH_K(ky0, cx0)                                                                \
    GA_UNROLL for (int i_ = 0; i_ < GA_KE; i_++) {                                             \
        const int dr_ = GA_K_DR(i_);                                                           \
        const int key_ = dr_ < GA_KROWS ? ga_slot_key(GA_K_SL(i_), ky0, cx0, rend, Wk) : -1;   \
        GA_UNROLL for (int w_ = 0; w_ < GA_KPW; w_++) {                                        \
            const int d_ = GA_KPW * dr_ + w_;                                                  \
            nx_k[i_][w_] = key_ >= 0 && d_ < D ? LD(kp, (size_t)d_ * Lk + key_) : 0.0f;        \
        }                                                                                      \
    }
#else
#define GA_PREFETCH_K(ky0, cx0)
#endif
#if GA_LD1
/* one slot word per item: its keys once for every channel */
#define GA_PREFETCH_V(ky0, cx0)                                                                \
    GA_UNROLL for (int w_ = 0; w_ < GA_VPW; w_++) {                                            \
        const int key_ = ga_slot_key(GA_VPW * vsl + w_, ky0, cx0, rend, Wk);                   \
        GA_UNROLL for (int i_ = 0; i_ < GA_VE; i_++) {                                         \
            const int c_ = GA_V_C(i_);                                                         \
            nx_v[i_][w_] = c_ < DV && key_ >= 0 ? LD(vp, (size_t)c_ * Lk + key_) : 0.0f;       \
        }                                                                                      \
    }
#else
#define GA_PREFETCH_V(ky0, cx0)                                                                \
    GA_UNROLL for (int i_ = 0; i_ < GA_VE; i_++) {                                             \
        const int c_ = GA_V_C(i_);                                                             \
        GA_UNROLL for (int w_ = 0; w_ < GA_VPW; w_++) {                                        \
            const int key_ = ga_slot_key(GA_VPW * GA_V_W(i_) + w_, ky0, cx0, rend, Wk);        \
            nx_v[i_][w_] = c_ < DV && key_ >= 0 ? LD(vp, (size_t)c_ * Lk + key_) : 0.0f;       \
        }                                                                                      \
    }
#endif
#if HAS_AB
#define GA_PREFETCH_KB(ky0, cx0)                                                               \
    if (tid < GA_TK) {                                                                         \
        const int key_ = ga_slot_key(tid, ky0, cx0, rend, Wk);                                 \
        nx_kb = key_ >= 0 ? kbv[key_] : 0.0f;                                                  \
    }
#else
#define GA_PREFETCH_KB(ky0, cx0)
#endif
#if HAS_POS
#if GA_EXC
#define GA_PREFETCH_EX(cx0)
#else
#define GA_PREFETCH_EX(cx0) GA_LOAD_EX(nx_ex, cx0)
#endif
#define GA_PREFETCH_POS(ky0, cx0)                                                              \
    GA_UNROLL for (int r_ = 0; r_ < 2; r_++) GA_UNROLL for (int p_ = 0; p_ < GA_R; p_++)     \
        nx_ey[r_][p_] = (ky0) + p_ < rend ? gq[r_][(size_t)(Wk + (ky0) + p_) * Lq] : 0.0f;    \
    GA_PREFETCH_EX(cx0);
#else
#define GA_PREFETCH_POS(ky0, cx0)
#endif
#if GA_LD1
    /* the loaders' slots (K: slot ksl, rows kr0 + GA_KSR i; V: slot word vsl,
     * channels vc0 + GA_VSR i); items past the sets load rows / channels
     * past the tile (nothing) */
    const int ksl = tid % GA_TK, kr0 = tid < GA_KSR * GA_TK ? tid / GA_TK : GA_KROWS;
    const int vsl = tid % GA_VSL, vc0 = tid < GA_VSR * GA_VSL ? tid / GA_VSL : GA_DVP;
#endif
    /* tile tt: key rows from ky0 = rbeg + tt / nch * GA_R, columns from cx0 */
    const int ntiles = (rend - rbeg + GA_R - 1) / GA_R * nch;
#if GA_PF
    GA_PREFETCH(rbeg, 0);
#endif
    for (int tt = 0; tt < ntiles; tt++) {
        const int ky0 = rbeg + tt / nch * GA_R, cx0 = (tt % nch) * GA_CW;
        barrier(CLK_LOCAL_MEM_FENCE);
#if !GA_PF
        GA_PREFETCH(ky0, cx0);
#endif
#if HAS_Q0
GA_UNROLL
        for (int i = 0; i < GA_KE; i++) {
            const int dr = GA_K_DR(i), sl = GA_K_SL(i);
#if IG_MMA == 2
            if (dr < GA_KROWS) Ks[dr * GA_KCOLS + sl] = ig_h2(nx_k[i][0], nx_k[i][1]);
#else
            if (dr < GA_KROWS) Ks[dr * GA_KCOLS + sl] = IG_RND(nx_k[i][0]);
#endif
        }
#endif
GA_UNROLL
        for (int i = 0; i < GA_VE; i++) {
            const int c = GA_V_C(i), jw = GA_V_W(i);
#if IG_MMA == 2
            if (c < GA_DVP) Vs[c * GA_VCOLS + jw] = ig_h2(nx_v[i][0], nx_v[i][1]);
#else
            if (c < GA_DVP) Vs[c * GA_VCOLS + jw] = IG_RND(nx_v[i][0]);
#endif
        }
#if HAS_AB
        if (tid < GA_TK) kbias[tid] = nx_kb;
#endif
        /* the rows' terms: ey, the y window, rows past the split (-inf) */
        float eyr[2][GA_R];
GA_UNROLL
        for (int r = 0; r < 2; r++)
GA_UNROLL
            for (int p = 0; p < GA_R; p++) {
                const int ky = ky0 + p;
#if HAS_POS
                eyr[r][p] = nx_ey[r][p];
#else
                eyr[r][p] = 0.0f;
#endif
                if (ky >= rend || ky < ylo[r] || ky >= yhi[r]) eyr[r][p] = -INFINITY;
            }
#if !GA_EXC
        GA_COL_TERMS(cx0);
#endif
        barrier(CLK_LOCAL_MEM_FENCE);
        /* the next tile's loads, in flight while this one is computed */
#if GA_PF
        if (tt + 1 < ntiles) GA_PREFETCH(rbeg + (tt + 1) / nch * GA_R, (tt + 1) % nch * GA_CW);
#endif
        float s[GA_NS][4];
GA_UNROLL
        for (int j = 0; j < GA_NS; j++) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
#if HAS_Q0
IG_MMA_UNROLL
        for (int j = 0; j < GA_NS; j++) {
IG_MMA_UNROLL
            for (int f = 0; f < GA_NQF; f++) {
                /* B: k = d rows (pairs) t and t + 4 of the slice, n = slot 8j + g */
                __local const uint *kb = (__local const uint *)Ks +
                                         (8 * f + t) * GA_KCOLS + 8 * j + g;
                const uint b[2] = {kb[0], kb[4 * GA_KCOLS]};
                IG_MMA_OP(s[j][0], s[j][1], s[j][2], s[j][3], qf[f], b);
            }
        }
#endif
        /* the terms of element (r, u) of tile j: row g + 8r, slot 8j + 2t + u
         * (tile row j / GA_CWJ, column block j % GA_CWJ) */
        float tmax[2] = {-INFINITY, -INFINITY};
GA_UNROLL
        for (int j = 0; j < GA_NS; j++)
GA_UNROLL
            for (int u = 0; u < 2; u++)
GA_UNROLL
                for (int r = 0; r < 2; r++) {
                    float e = s[j][2 * r + u] + exr[r][j % GA_CWJ][u] + eyr[r][j / GA_CWJ];
#if HAS_AB
                    e += kbias[8 * j + 2 * t + u];
#endif
                    e *= M_LOG2E_F; /* exp2 below */
                    s[j][2 * r + u] = e;
                    tmax[r] = fmax(tmax[r], e);
                }
        float alpha[2], mref[2];
GA_UNROLL
        for (int r = 0; r < 2; r++) {
            const float mx = fmax(mrow[r], GA_QUAD(tmax[r], 1));
            mref[r] = mx == -INFINITY ? 0.0f : mx; /* no key seen yet: every weight 0 */
            alpha[r] = exp2(mrow[r] - mref[r]);
            mrow[r] = mx;
        }
        float ps[2] = {0.0f, 0.0f};
GA_UNROLL
        for (int j = 0; j < GA_NS; j++)
GA_UNROLL
            for (int e = 0; e < 4; e++) {
                const float p = exp2(s[j][e] - mref[e >> 1]);
                s[j][e] = p;
                ps[e >> 1] += p;
            }
GA_UNROLL
        for (int r = 0; r < 2; r++) lrow[r] = fma(lrow[r], alpha[r], ps[r]);
GA_UNROLL
        for (int f = 0; f < GA_NO; f++) {
            o[f][0] *= alpha[0], o[f][1] *= alpha[0];
            o[f][2] *= alpha[1], o[f][3] *= alpha[1];
        }
        /* O += P . V: k-steps over the tile's slots, n-tiles over DV */
IG_MMA_UNROLL
        for (int kb = 0; kb < GA_TK / GA_KSTEP; kb++) {
            uint a[4];
#if IG_MMA == 2
            a[0] = ig_h2(s[2 * kb][0], s[2 * kb][1]);
            a[1] = ig_h2(s[2 * kb][2], s[2 * kb][3]);
            a[2] = ig_h2(s[2 * kb + 1][0], s[2 * kb + 1][1]);
            a[3] = ig_h2(s[2 * kb + 1][2], s[2 * kb + 1][3]);
#else
            a[0] = as_uint(IG_RND(s[kb][0]));
            a[1] = as_uint(IG_RND(s[kb][2]));
            a[2] = as_uint(IG_RND(s[kb][1]));
            a[3] = as_uint(IG_RND(s[kb][3]));
#endif
IG_MMA_UNROLL
            for (int f = 0; f < GA_NO; f++) {
                __local const uint *vb = (__local const uint *)Vs + (8 * f + g) * GA_VCOLS;
#if IG_MMA == 2
                const uint b[2] = {vb[8 * kb + t], vb[8 * kb + t + 4]};
#else
                /* k-index t is slot 2t, t + 4 is slot 2t + 1 (the A order above) */
                const uint b[2] = {vb[8 * kb + 2 * t], vb[8 * kb + 2 * t + 1]};
#endif
                IG_MMA_OP(o[f][0], o[f][1], o[f][2], o[f][3], a, b);
            }
        }
    }
    float inv[2];
GA_UNROLL
    for (int r = 0; r < 2; r++) lrow[r] = GA_QUAD(lrow[r], 0);
    if (nsplit > 1) {
        /* unnormalised output, max (log2 units) and sum of the split:
         * part[nm][sp][c][Lq], then [DV] the maxima, [DV + 1] the sums */
        __global float *pp = part + ((size_t)nm * nsplit + sp) * (DV + 2) * Lq;
GA_UNROLL
        for (int f = 0; f < GA_NO; f++)
GA_UNROLL
            for (int e = 0; e < 4; e++) {
                const int r = e >> 1, c = 8 * f + 2 * t + (e & 1), qi = qw + g + 8 * r;
                if (c < DV && qi < Lq) pp[(size_t)c * Lq + qi] = o[f][e];
            }
GA_UNROLL
        for (int r = 0; r < 2; r++) {
            const int qi = qw + g + 8 * r;
            if (t == 0 && qi < Lq) {
                pp[(size_t)DV * Lq + qi] = mrow[r];
                pp[(size_t)(DV + 1) * Lq + qi] = lrow[r];
            }
        }
        return;
    }
GA_UNROLL
    for (int r = 0; r < 2; r++) inv[r] = 1.0f / lrow[r];
    __global st_t *yp = y + y_off + n * y_bs + (size_t)m * DV * Lq;
GA_UNROLL
    for (int f = 0; f < GA_NO; f++)
GA_UNROLL
        for (int e = 0; e < 4; e++) {
            const int r = e >> 1, c = 8 * f + 2 * t + (e & 1), qi = qw + g + 8 * r;
            if (c < DV && qi < Lq) ST(yp, (size_t)c * Lq + qi, o[f][e] * inv[r]);
        }
}
#endif

#if SHORTCUT
/* '0010': every query's output row is query 0's, which the attention
 * kernel made (with the rest of its first group); this copies it to the
 * other queries. Work-item: a query i of one (n, channel), global (Lq
 * rounded up, N*M*DV). */
__kernel void gen_attention_broadcast(__global st_t *y, int y_off, int y_bs, int Lq) {
    const int i = get_global_id(0), nc = get_global_id(1), n = nc / (M * DV);
    if (i == 0 || i >= Lq) return;
    __global st_t *yp = y + y_off + n * y_bs + (size_t)(nc - n * M * DV) * Lq;
    ST(yp, i, LD(yp, 0)); /* exact: half -> float -> half round-trips */
}
#endif

/* The key splits of gen_attention_mma merged: a work-item per query,
 * global (Lq rounded, N*M); y = sum_s o_s 2^(m_s - M) / sum_s l_s 2^(m_s - M). */
__kernel void gen_attention_merge(__global const float *restrict part, int nsplit,
                                  __global st_t *y, int y_off, int y_bs, int Lq) {
    const int i = get_global_id(0), nm = get_global_id(1), n = nm / M, m = nm % M;
    if (i >= Lq) return;
    __global const float *pp = part + (size_t)nm * nsplit * (DV + 2) * Lq + i;
    const size_t ss = (size_t)(DV + 2) * Lq; /* one split */
    float mx = -INFINITY;
    for (int u = 0; u < nsplit; u++) mx = fmax(mx, pp[u * ss + (size_t)DV * Lq]);
    float l = 0.0f;
    for (int u = 0; u < nsplit; u++) {
        const float mu = pp[u * ss + (size_t)DV * Lq];
        l += mu == -INFINITY ? 0.0f : pp[u * ss + (size_t)(DV + 1) * Lq] * exp2(mu - mx);
    }
    __global st_t *yp = y + y_off + n * y_bs + (size_t)m * DV * Lq + i;
    for (int c = 0; c < DV; c++) {
        float acc = 0.0f;
        for (int u = 0; u < nsplit; u++) {
            const float mu = pp[u * ss + (size_t)DV * Lq];
            if (mu != -INFINITY) acc = fma(pp[u * ss + (size_t)c * Lq], exp2(mu - mx), acc);
        }
        ST(yp, (size_t)c * Lq, acc / l);
    }
}
/* CPU kernel helpers: GA_VW-wide float vectors, their horizontal sum and max */
#ifdef GA_VW
typedef CLBB_CAT(float, GA_VW) ga_v;
typedef CLBB_CAT(int, GA_VW) ga_vi;
#define GA_LDV(p) LDN(GA_VW, 0, (p))
#if GA_VW == 16
static inline float ga_hsum(ga_v v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    return (b.x + b.y) + (b.z + b.w);
}
static inline float ga_hmax(ga_v v) {
    const float8 a = fmax(v.lo, v.hi);
    const float4 b = fmax(a.lo, a.hi);
    return fmax(fmax(b.x, b.y), fmax(b.z, b.w));
}
#define GA_LANES (ga_vi)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#else
static inline float ga_hsum(ga_v v) {
    const float4 b = v.lo + v.hi;
    return (b.x + b.y) + (b.z + b.w);
}
static inline float ga_hmax(ga_v v) {
    const float4 b = fmax(v.lo, v.hi);
    return fmax(fmax(b.x, b.y), fmax(b.z, b.w));
}
#define GA_LANES (ga_vi)(0, 1, 2, 3, 4, 5, 6, 7)
#endif

/* GA_VW elements of an st_t plane from j on, zero past its end (the last
 * vector of a plane; elsewhere one vector load, which past a row's end
 * reads the next row's keys, masked by the caller) */
static inline ga_v ga_load_tail(const __global st_t *p, int j, int end) {
    if (j + GA_VW <= end) return GA_LDV(p + j);
    float t[GA_VW];
    for (int b = 0; b < GA_VW; b++) t[b] = j + b < end ? LD(p, j + b) : 0.0f;
    return CLBB_CAT(vload, GA_VW)(0, t);
}

__kernel void gen_attention_cpu(GA_PARAMS) {
    const int i0 = get_global_id(0) * GA_QB, nm = get_global_id(1);
    if (i0 >= Lq) return;
    const int n = nm / M, m = nm % M, Lk = Wk * Hk;
    int qi[GA_QB];
    for (int b = 0; b < GA_QB; b++) qi[b] = min(i0 + b, Lq - 1); /* past Lq: not stored */
#if HAS_K
    float qa[GA_QB][D];
    for (int b = 0; b < GA_QB; b++)
        for (int d = 0; d < D; d++) {
            float val = 0.0f;
#if HAS_Q0
            val = LD(q, q_off + n * q_bs + (size_t)(m * D + d) * Lq + qi[b]);
#endif
#if HAS_AB
            val += ab[m * D + d];
#endif
            qa[b][d] = val;
        }
    const __global st_t *kp = k + k_off + n * k_bs + (size_t)m * D * Lk;
#endif
    int ylo[GA_QB], yhi[GA_QB], xlo[GA_QB], xhi[GA_QB];
    int rlo = Hk, rhi = 0;
    for (int b = 0; b < GA_QB; b++) {
        ga_query_window(qi[b], Wq, Hk, Wk, &ylo[b], &yhi[b], &xlo[b], &xhi[b]);
        ylo[b] = max(ylo[b], 0);
        yhi[b] = min(yhi[b], Hk);
        xhi[b] = min(xhi[b], Wk);
        rlo = min(rlo, ylo[b]);
        rhi = max(rhi, yhi[b]);
    }
#if HAS_POS
    __global const float *g[GA_QB];
    for (int b = 0; b < GA_QB; b++) g[b] = geo + ((size_t)nm * Lq + qi[b]) * (Wk + Hk);
#endif
    const __global st_t *vp = v + v_off + n * v_bs + (size_t)m * DV * Lk;
    /* the outputs as vectors of per-lane partial sums, reduced once at the
     * end (a horizontal sum per value row and segment cost more than the
     * products) */
    ga_v o[GA_QB][DV];
    float mrow[GA_QB], l[GA_QB];
    for (int b = 0; b < GA_QB; b++) {
        mrow[b] = -INFINITY;
        l[b] = 0.0f;
        for (int c = 0; c < DV; c++) o[b][c] = (ga_v)(0.0f);
    }
    /* key rows in segments of GA_SEG vectors: the scores of GA_QB
     * queries x the segment stay in registers, each key and value vector
     * is loaded once for the GA_QB queries, and the softmax rescales once
     * per segment (the first version took a query per item, rescaled per
     * 8 keys and reduced every value row horizontally per 8 keys: 14
     * GFLOP/s on an AVX-512 PoCL, 323 ms per attn1111 c4 block at 800 x 1344) */
    for (int ky = rlo; ky < rhi; ky++) {
        for (int kx0 = 0; kx0 < Wk; kx0 += GA_SEG * GA_VW) {
            const int j0 = ky * Wk + kx0;
            ga_v s[GA_QB][GA_SEG];
            for (int b = 0; b < GA_QB; b++)
                for (int u = 0; u < GA_SEG; u++) s[b][u] = (ga_v)(0.0f);
#if HAS_K
            for (int d = 0; d < D; d++)
                for (int u = 0; u < GA_SEG; u++) {
                    const ga_v kv = ga_load_tail(kp + (size_t)d * Lk, j0 + u * GA_VW, Lk);
                    for (int b = 0; b < GA_QB; b++) s[b][u] = fma((ga_v)(qa[b][d]), kv, s[b][u]);
                }
#endif
            float alpha[GA_QB];
            for (int b = 0; b < GA_QB; b++) {
                const int rowin = ky >= ylo[b] && ky < yhi[b];
                float mx = -INFINITY;
                for (int u = 0; u < GA_SEG; u++) {
                    const ga_vi kx = (ga_vi)(kx0 + u * GA_VW) + GA_LANES;
#if HAS_POS
                    /* ex past the row's end reads on in the table (padded
                     * by GA_SEG * GA_VW floats at its end): masked below */
                    s[b][u] += CLBB_CAT(vload, GA_VW)(0, g[b] + kx0 + u * GA_VW) + g[b][Wk + ky];
#endif
                    s[b][u] = select(s[b][u], (ga_v)(-INFINITY),
                                     (kx < (ga_vi)(xlo[b])) | (kx >= (ga_vi)(xhi[b])) |
                                         (ga_vi)(rowin ? 0 : -1));
                    mx = fmax(mx, ga_hmax(s[b][u]));
                }
                mx = fmax(mrow[b], mx);
                /* nothing seen yet: exponents against 0 give 0 weights */
                const float me = mx == -INFINITY ? 0.0f : mx;
                alpha[b] = exp(mrow[b] - me);
                mrow[b] = mx;
                ga_v ps = (ga_v)(0.0f);
                for (int u = 0; u < GA_SEG; u++) {
                    s[b][u] = exp(s[b][u] - (ga_v)(me));
                    ps += s[b][u];
                }
                l[b] = fma(l[b], alpha[b], ga_hsum(ps));
            }
            for (int c = 0; c < DV; c++) {
                ga_v vv[GA_SEG];
                for (int u = 0; u < GA_SEG; u++)
                    vv[u] = ga_load_tail(vp + (size_t)c * Lk, j0 + u * GA_VW, Lk);
                for (int b = 0; b < GA_QB; b++) {
                    ga_v a = o[b][c] * alpha[b];
                    for (int u = 0; u < GA_SEG; u++)
                        a = fma(s[b][u], vv[u], a);
                    o[b][c] = a;
                }
            }
        }
    }
    __global st_t *yp = y + y_off + n * y_bs + (size_t)m * DV * Lq;
    for (int b = 0; b < GA_QB && i0 + b < Lq; b++) {
        const float inv = 1.0f / l[b];
        for (int c = 0; c < DV; c++) ST(yp, (size_t)c * Lq + i0 + b, ga_hsum(o[b][c]) * inv);
    }
}
#endif
