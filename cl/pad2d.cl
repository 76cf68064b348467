/* Zero-padded (and optionally gated) copy of an NCHW input, so that CPU
 * conv kernels read every tap without bounds tests.
 *
 * pad2d_gate. One work-item: one row in [0, XH) of one channel c of one
 *   image n of xp[n][c][XH][XW]; global size (XH rounded up, C, N), any local size:
 *   the row of x shifted by (PT, PL), zeros outside, times gate[n, c] when
 *   HAS_GATE. xp is dense (offset 0, batch stride C*XH*XW). Everything is an
 *   argument, so one program serves every layer (per DTYPE: xp has x's
 *   storage type, which the CPU conv kernels read either way). */
__kernel void pad2d_gate(__global const st_t *restrict x, int x_off, int x_bs,
                         __global const st_t *restrict gate, int g_off, int g_bs,
                         __global st_t *restrict xp, int H, int W, int XH, int XW, int PT,
                         int PL, int HAS_GATE) {
    const int row = get_global_id(0), c = get_global_id(1), n = get_global_id(2);
    if (row >= XH) return;
    const int C = get_global_size(1);
    __global st_t *d = xp + ((n * C + c) * XH + row) * XW;
    const int ih = row - PT;
    if ((uint)ih >= (uint)H) {
        for (int i = 0; i < XW; i++) ST(d, i, 0.0f);
        return;
    }
    const float g = HAS_GATE ? LD(gate, g_off + n * g_bs + c) : 1.0f;
    __global const st_t *s = x + x_off + n * x_bs + (c * H + ih) * W;
    const int lo = min(PL, XW), hi = min(PL + W, XW);
    for (int i = 0; i < lo; i++) ST(d, i, 0.0f);
    for (int i = lo; i < hi; i++) ST(d, i, LD(s, i - PL) * g);
    for (int i = hi; i < XW; i++) ST(d, i, 0.0f);
}
