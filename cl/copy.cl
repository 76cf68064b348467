/* Copy with conversion: y = x for any layout of x (a permuted or reshaped
 * view) into a dense-image y of the same shape.
 *
 * copy_strided. Work-item: element i of image n of y (C*H*W per image);
 *   global size (C*H*W rounded up by the launcher, N). Element (n, c, h, w)
 *   of x is x[x_off + n*sn + c*sc + h*sh + w*sw].
 * Macros: DTYPE (y's storage, common.cl), SRC_DTYPE (x's: 0 float, 1 half). */
#ifndef SRC_DTYPE
#define SRC_DTYPE 0
#endif
#if SRC_DTYPE == 1
typedef half src_t;
#define LD_SRC(p, i) vload_half((i), (p))
#else
typedef float src_t;
#define LD_SRC(p, i) ((p)[i])
#endif

__kernel void copy_strided(__global const src_t *x, int x_off, int sn, int sc, int sh, int sw,
                           __global st_t *y, int y_off, int y_bs, int C, int H, int W) {
    const int i = get_global_id(0), n = get_global_id(1);
    const int hw = H * W;
    if (i >= C * hw) return;
    const int c = i / hw, r = i - c * hw, h = r / W, w = r - h * W;
    ST(y, y_off + n * y_bs + i, LD_SRC(x, x_off + n * sn + c * sc + h * sh + w * sw));
}

/* copy_dense: the same where x is dense within each image (sc = H*W, sh =
 * W, sw = 1) and float, y half: the input conversion of every fp16 forward
 * from float data. Work-item: elements 8i .. 8i+7 of image n's C*H*W span,
 * one 8-wide conversion (F16C on PoCL: there copy_strided's per-element
 * divisions and scalar conversions took 1 ms for a 1x3x224x224 input, as
 * long as GhostNet's 30 smallest layers); global size (ceil(C*H*W / 8)
 * rounded up by the launcher, N). */
#if SRC_DTYPE == 0 && DTYPE == 1
__kernel void copy_dense(__global const float *x, int x_off, int sn, __global st_t *y, int y_off,
                         int y_bs, int CHW) {
    const int i0 = get_global_id(0) * 8, n = get_global_id(1);
    if (i0 >= CHW) return;
    __global const float *s = x + x_off + n * sn + i0;
    __global st_t *d = y + y_off + n * y_bs + i0;
    if (i0 + 8 <= CHW) {
        STN(8, vload8(0, s), 0, d);
        return;
    }
    for (int j = 0; j < CHW - i0; j++) ST(d, j, s[j]);
}
#endif
