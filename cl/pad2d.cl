/* Zero-padded (and optionally gated) copy of an NCHW input, so that CPU
 * conv kernels read every tap without bounds tests (pad2d_gate; pad2d_plane
 * where nothing is padded).
 *
 * pad2d_gate. One work-item: one row in [0, XH) of one channel c of one
 *   image n of xp[n][c][XH][XW]; global size (XH rounded up, C, N), any local size:
 *   the row of x shifted by (PT, PL), zeros outside, times gate[n, c] when
 *   HAS_GATE. xp is dense (offset 0, batch stride C*XH*XW). Everything is an
 *   argument, so one program serves every layer (per DTYPE: xp has x's
 *   storage type, which the CPU conv kernels read either way). */
/* PAD_F32: the copy is float whatever x is (fp16 CPU convs convert their
 * input once here instead of once per tap) */
#ifndef PAD_F32
#define PAD_F32 0
#endif
#if PAD_F32
typedef float pt_t;
#else
typedef st_t pt_t;
#endif

#if DTYPE == 1 && PAD_F32
static inline void row_copy(__global pt_t *d, __global const st_t *s, int n, float g) {
    if (n < 8) {
        for (int i = 0; i < n; i++) d[i] = LD(s, i) * g;
        return;
    }
    for (int i = 0; i < n; i += 8) {
        const int o = min(i, n - 8);
        vstore8(clbb_ld8h(s + o) * g, 0, d + o);
    }
}
static inline void row_zero(__global pt_t *d, int n) {
    for (int i = 0; i < n; i++) d[i] = 0.0f;
}
#elif DTYPE == 1
/* Half rows in 8-wide conversions (PoCL's scalar vload_half / vstore_half
 * are software routines, its vector forms F16C instructions): a row shorter
 * than 8 goes scalar, the last vector of a longer one overlaps the previous
 * (rewriting the same values). */
static inline void row_copy(__global st_t *d, __global const st_t *s, int n, float g) {
    if (n < 8) {
        for (int i = 0; i < n; i++) ST(d, i, LD(s, i) * g);
        return;
    }
    for (int i = 0; i < n; i += 8) {
        const int o = min(i, n - 8);
        clbb_st8h(clbb_ld8h(s + o) * g, d + o);
    }
}
static inline void row_zero(__global st_t *d, int n) {
    if (n < 8) {
        for (int i = 0; i < n; i++) ST(d, i, 0.0f);
        return;
    }
    for (int i = 0; i < n; i += 8) clbb_st8h((float8)0.0f, d + min(i, n - 8));
}
#else
static inline void row_copy(__global st_t *d, __global const st_t *s, int n, float g) {
    for (int i = 0; i < n; i++) ST(d, i, LD(s, i) * g);
}
static inline void row_zero(__global st_t *d, int n) {
    for (int i = 0; i < n; i++) ST(d, i, 0.0f);
}
#endif

__kernel void pad2d_gate(__global const st_t *restrict x, int x_off, int x_bs,
                         __global const st_t *restrict gate, int g_off, int g_bs,
                         __global pt_t *restrict xp, int H, int W, int XH, int XW, int PT,
                         int PL, int HAS_GATE) {
    const int row = get_global_id(0), c = get_global_id(1), n = get_global_id(2);
    if (row >= XH) return;
    const int C = get_global_size(1);
    __global pt_t *d = xp + ((n * C + c) * XH + row) * XW;
    const int ih = row - PT;
    if ((uint)ih >= (uint)H) {
        row_zero(d, XW);
        return;
    }
    const float g = HAS_GATE ? LD(gate, g_off + n * g_bs + c) : 1.0f;
    __global const st_t *s = x + x_off + n * x_bs + (c * H + ih) * W;
    const int lo = min(PL, XW), hi = min(PL + W, XW);
    row_zero(d, lo);
    row_copy(d + lo, s + lo - PL, hi - lo, g);
    row_zero(d + hi, XW - hi);
}

/* pad2d_plane: the same copy where there is nothing to pad (XH = H, XW =
 * W, PT = PL = 0: the gated or float copy of a 1x1 conv's input). One
 * work-item (local size 1): the whole (c, n) plane as one run; global size
 * (C, N). Row by row, the 7- and 14-wide rows of GhostNet's deep layers
 * went scalar (under 8) or paid a work-item each: a fp16 1x1 conv's float
 * copy of 960x7x7 took as long as the conv. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
pad2d_plane(__global const st_t *restrict x, int x_off, int x_bs, __global const st_t *restrict gate,
            int g_off, int g_bs, __global pt_t *restrict xp, int HW, int HAS_GATE) {
    const int c = get_global_id(0), n = get_global_id(1), C = get_global_size(0);
    const float g = HAS_GATE ? LD(gate, g_off + n * g_bs + c) : 1.0f;
    row_copy(xp + (n * C + c) * HW, x + x_off + n * x_bs + c * HW, HW, g);
}
