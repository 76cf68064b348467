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
