/* Depthwise convolution for CPU devices (PoCL): explicit vectors along the
 * output row, one work-item per work-group.
 *
 * Why: PoCL runs the GPU kernel (cl/conv2d_depthwise.cl) as scalar code,
 * a few outputs per work-item with bounds tests per tap; on 2 AVX-512
 * cores it reached 1.4 GB/s (2.3 ms for a 128x56x56 3x3 layer, 72% of
 * GhostNet's time). Here the input is a zero-padded copy (cl/pad2d.cl), so
 * a tap is one unaligned vector load and one FMA per VW outputs, and U
 * independent vectors hide the FMA latency.
 *
 * conv2d_depthwise_cpu. One work-item: rows [rb*RB, min(rb*RB+RB, HO)) of
 *   one (n, c) output plane; global size (ceil(HO/RB), C, N), local size
 *   (1, 1, 1). Each row runs in steps of U vectors of VW outputs; a vector
 *   that would pass the row's end is moved back to end at WO (it rewrites a
 *   few outputs with identical values, so y must not alias res). Rows
 *   narrower than VW run scalar.
 *   Input xp: (n, c) plane at x_off + n*x_bs + c*XH*XW, padded so that
 *   every tap of every output is inside, plus SW-1 floats of slack per row
 *   for the stride-2 load (a 2*VW vector whose odd lanes are dropped).
 *   Epilogue: act(acc + shift[c] [+ residual]) into y (channel views:
 *   y_off / y_bs).
 *
 * Macros: KH KW SH SW DH DW HAS_RES ACT, VW (8 or 16), DTYPE, WDTYPE; XF, LPAD
 * (see below). */
#define U 4
/* XF: the padded copy is float (fp16 ops: pad2d converts the half input
 * once; converting per tap made fp16 6x slower than fp32 on PoCL).
 * LPAD (fp16, instead of a copy): x is the op's half input itself (H x W,
 * pads PT, PL) and each work-item first converts the input rows its output
 * rows read into a zero-padded float tile xl in local memory (LR x XW, LR =
 * (RB-1)*SH + (KH-1)*DH + 1 rows; the launcher sizes RB so that it fits),
 * then runs the same loop on the tile: GhostNet's 41 depthwise convs lose
 * the copy kernel's launch and its float round trip through global memory,
 * which made fp16 slower than fp32 there (fp32 pays a copy only for the
 * padding). */
#ifndef XF
#define XF 0
#endif
#ifndef LPAD
#define LPAD 0
#endif
#if LPAD
#define XAS __local
#else
#define XAS __global
#endif
#if XF || LPAD
typedef float xs_t;
#define XLDN(n, p) CLBB_CAT(vload, n)(0, (p))
#define XLD(p, i) ((p)[i])
#else
typedef st_t xs_t;
#define XLDN(n, p) LDN(n, 0, (p))
#define XLD(p, i) LD(p, i)
#endif
#if VW == 16
typedef float16 vt;
#if SW == 2
#define VLOAD_S(p) (float16)(XLDN(16, (p)).even, XLDN(16, (p) + 16).even)
#endif
#else
typedef float8 vt;
#if SW == 2
#define VLOAD_S(p) XLDN(16, (p)).even
#endif
#endif
#define VLOAD(p) LDN(VW, 0, (p))
#define VSTORE(v, p) STN(VW, (v), 0, (p))
#if SW == 1
#define LOADX(p) XLDN(VW, p)
#elif SW == 2
#define LOADX(p) VLOAD_S(p)
#else
static inline vt loadx_strided(const XAS xs_t *p) {
    float t[VW];
    for (int l = 0; l < VW; l++) t[l] = XLD(p, l * SW);
    return CLBB_CAT(vload, VW)(0, t);
}
#define LOADX(p) loadx_strided(p)
#endif

static inline vt act_v(vt v) { return CLBB_ACT(vt, v); }

#if LPAD
/* n halves from s as floats at d: 8-wide conversions, the last one
 * overlapping the previous (d is not s: rewrites identical values) */
static inline void lpad_row(__local float *d, __global const st_t *s, int n) {
    if (n < 4) {
        for (int i = 0; i < n; i++) d[i] = LD(s, i);
        return;
    }
    if (n < 8) {
        vstore4(LDN(4, 0, s), 0, d);
        vstore4(LDN(4, 0, s + n - 4), 0, d + n - 4);
        return;
    }
    for (int i = 0; i < n; i += 8) {
        const int o = min(i, n - 8);
        vstore8(LDN(8, 0, s + o), 0, d + o);
    }
}
#endif

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
conv2d_depthwise_cpu(__global const
#if LPAD
                     st_t
#else
                     xs_t
#endif
                     *restrict x, int x_off, int x_bs, int XH, int XW,
                     __global const wt_t *restrict w, __global const float *restrict shift,
                     __global const st_t *restrict res, int r_off, int r_bs,
                     __global st_t *restrict y, int y_off, int y_bs, int C, int HO, int WO,
                     int RB
#if LPAD
                     , int H, int W, int PT, int PL, __local float *restrict xl
#endif
                     ) {
    const int rb = get_global_id(0), c = get_global_id(1), n = get_global_id(2);
    const int oh0 = rb * RB, oh1 = min(oh0 + RB, HO);
#if LPAD
    {
        __global const st_t *xs = x + x_off + n * x_bs + c * H * W;
        const int lr = (oh1 - oh0 - 1) * SH + (KH - 1) * DH + 1;
        const int lo = min(PL, XW), hi = min(PL + W, XW);
        for (int r = 0; r < lr; r++) {
            __local float *d = xl + r * XW;
            const int ih = oh0 * SH + r - PT;
            if ((uint)ih >= (uint)H) {
                for (int i = 0; i < XW; i++) d[i] = 0.0f;
                continue;
            }
            for (int i = 0; i < lo; i++) d[i] = 0.0f;
            lpad_row(d + lo, xs + ih * W + lo - PL, hi - lo);
            for (int i = hi; i < XW; i++) d[i] = 0.0f;
        }
    }
#define XROW(oh) (xl + ((oh) - oh0) * SH * XW)
#else
    __global const xs_t *xc = x + x_off + n * x_bs + c * XH * XW;
#define XROW(oh) (xc + (oh) * SH * XW)
#endif
    __global st_t *yc = y + y_off + n * y_bs + c * HO * WO;
#if HAS_RES
    __global const st_t *rc = res + r_off + n * r_bs + c * HO * WO;
#endif
    float wk[KH * KW];
    for (int i = 0; i < KH * KW; i++) wk[i] = WLD(w, c * KH * KW + i);
    const float b = shift[c];
    for (int oh = oh0; oh < oh1; oh++) {
        const XAS xs_t *xr = XROW(oh);
        __global st_t *yr = yc + oh * WO;
        if (WO < VW) {
            for (int ow = 0; ow < WO; ow++) {
                float a = 0.0f;
                for (int kh = 0; kh < KH; kh++)
                    for (int kw = 0; kw < KW; kw++)
                        a = fma(XLD(xr, kh * DH * XW + ow * SW + kw * DW), wk[kh * KW + kw], a);
                a += b;
#if HAS_RES
                a += LD(rc, oh * WO + ow);
#endif
                ST(yr, ow, clbb_act(a));
            }
            continue;
        }
        for (int ow = 0; ow < WO; ow += U * VW) {
            int base[U];
            vt acc[U];
#pragma unroll
            for (int u = 0; u < U; u++) {
                base[u] = min(ow + u * VW, WO - VW);
                acc[u] = (vt)0.0f;
            }
#pragma unroll
            for (int kh = 0; kh < KH; kh++)
#pragma unroll
                for (int kw = 0; kw < KW; kw++) {
                    const vt wv = (vt)wk[kh * KW + kw];
                    const XAS xs_t *p = xr + kh * DH * XW + kw * DW;
#pragma unroll
                    for (int u = 0; u < U; u++)
                        acc[u] = fma(LOADX(p + base[u] * SW), wv, acc[u]);
                }
#pragma unroll
            for (int u = 0; u < U; u++) {
                vt v = acc[u] + (vt)b;
#if HAS_RES
                v += VLOAD(rc + oh * WO + base[u]);
#endif
                VSTORE(act_v(v), yr + base[u]);
            }
        }
    }
}
