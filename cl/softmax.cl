/* Softmax over the last axis of any strided view: y = softmax(scale * x)
 * per row (n, c, h), max-subtracted, accumulated in float.
 *
 * Element (n, c, h, w) of x is x[x_off + n*sn + c*sc + h*sh + w*sw]; y is
 * dense images: y[y_off + n*y_bs + (c*H + h)*L + w]. y may be x (in place,
 * dense x): each element is read for the statistics before any is
 * written, and written only by the item that last reads it.
 *
 * softmax_rows (GPU family): one work-group of SM_LWS items per row, global
 *   size (SM_LWS, N*C*H); three strided sweeps (max, sum of exp, write)
 *   with local-memory tree reductions between them.
 * softmax_rows_cpu: one work-item (local size 1) per row, global size
 *   (N*C*H); with SM_CONTIG (sw == 1) the sweeps run on float8 vectors
 *   (PoCL compiles a one-item group as plain code: explicit vectors are
 *   what become AVX registers), then a scalar tail.
 * Macros: SM_LWS (GPU), SM_CONTIG (CPU), DTYPE. */

#define SM_ROW_SETUP                                                        \
    const int h = r % H, nc = r / H, c = nc % C, n = nc / C;               \
    const __global st_t *xr = x + x_off + n * sn + c * sc + h * sh;        \
    __global st_t *yr = y + y_off + n * y_bs + (c * H + h) * L

#ifdef SM_LWS
__kernel __attribute__((reqd_work_group_size(SM_LWS, 1, 1))) void
softmax_rows(__global const st_t *x, int x_off, int sn, int sc, int sh, int sw, __global st_t *y,
             int y_off, int y_bs, int C, int H, int L, float scale) {
    __local float red[SM_LWS];
    const int t = get_local_id(0), r = get_global_id(1);
    SM_ROW_SETUP;
    float m = -INFINITY;
    for (int i = t; i < L; i += SM_LWS) m = fmax(m, scale * LD(xr, i * sw));
    red[t] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = SM_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] = fmax(red[t], red[t + k]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float s = 0.0f;
    for (int i = t; i < L; i += SM_LWS) s += exp(scale * LD(xr, i * sw) - m);
    red[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = SM_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / red[0];
    for (int i = t; i < L; i += SM_LWS) ST(yr, i, exp(scale * LD(xr, i * sw) - m) * inv);
}
#endif

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
softmax_rows_cpu(__global const st_t *x, int x_off, int sn, int sc, int sh, int sw,
                 __global st_t *y, int y_off, int y_bs, int C, int H, int L, float scale) {
    const int r = get_global_id(0);
    SM_ROW_SETUP;
    int i = 0;
    float m = -INFINITY;
#if SM_CONTIG
    float8 m8 = (float8)(-INFINITY);
    for (; i + 8 <= L; i += 8) m8 = fmax(m8, scale * LDN(8, 0, xr + i));
    float4 m4 = fmax(m8.lo, m8.hi);
    m = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
#endif
    for (; i < L; i++) m = fmax(m, scale * LD(xr, i * sw));
    float s = 0.0f;
    i = 0;
#if SM_CONTIG
    float8 s8 = 0.0f;
    for (; i + 8 <= L; i += 8) s8 += exp(scale * LDN(8, 0, xr + i) - m);
    float4 s4 = s8.lo + s8.hi;
    s = (s4.x + s4.y) + (s4.z + s4.w);
#endif
    for (; i < L; i++) s += exp(scale * LD(xr, i * sw) - m);
    const float inv = 1.0f / s;
    i = 0;
#if SM_CONTIG
    for (; i + 8 <= L; i += 8) STN(8, exp(scale * LDN(8, 0, xr + i) - m) * inv, 0, yr + i);
#endif
    for (; i < L; i++) ST(yr, i, exp(scale * LD(xr, i * sw) - m) * inv);
}
