/* Residual plus bilinear resize (PyTorch's align_corners=False):
 * upsample_add: y = x + resize(z to H x W). One work-item per output
 * element over (W, H, N*C) (the launcher's per-output grid); the source
 * index and weights follow upsample_bilinear2d: s = (o + 0.5) * in/out -
 * 0.5 clamped at 0, neighbours floor(s) and floor(s) + 1 clamped at the
 * edge. y may be x (each element is read before it is written).
 * Macros: DTYPE. */
__kernel void upsample_add(__global const st_t *x, int x_off, int x_bs,
                           __global const st_t *z, int z_off, int z_bs,
                           __global st_t *y, int y_off, int y_bs, int C, int H, int W, int Hz,
                           int Wz, float sh, float sw) {
    const int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    if (w >= W || h >= H) return;
    const int n = nc / C, c = nc - n * C;
    const float fh = fmax((h + 0.5f) * sh - 0.5f, 0.0f), fw = fmax((w + 0.5f) * sw - 0.5f, 0.0f);
    const int h0 = (int)fh, w0 = (int)fw;
    const int h1 = h0 + (h0 < Hz - 1), w1 = w0 + (w0 < Wz - 1);
    const float lh = fh - h0, lw = fw - w0;
    const __global st_t *zp = z + z_off + n * z_bs + (size_t)c * Hz * Wz;
    const acc_t v = (1.0f - lh) * ((1.0f - lw) * LD(zp, h0 * Wz + w0) + lw * LD(zp, h0 * Wz + w1)) +
                    lh * ((1.0f - lw) * LD(zp, h1 * Wz + w0) + lw * LD(zp, h1 * Wz + w1));
    const size_t i = ((size_t)c * H + h) * W + w;
    ST(y, y_off + n * y_bs + i, LD(x, x_off + n * x_bs + i) + v);
}
