/* im2col for one image: col[(ci * KH + kh) * KW + kw][oh * WO + ow], rows
 * over all CIN channels (groups are consecutive row blocks). Padding reads
 * as zero. With HAS_GATE the input channel is scaled by gate[n, ci] on the
 * way (an SE gate fused into the copy).
 *
 * Work-item: one element; global size (HO * WO, CIN * KH * KW).
 * col is float (CLBlast's SGEMM reads it) whatever the input's DTYPE.
 * Macros: KH KW SH SW DH DW PT PL HAS_GATE, DTYPE. */

__kernel void im2col(__global const st_t *restrict x, int x_off, int x_bs,
                     __global const st_t *restrict gate, int g_off, int g_bs,
                     __global float *restrict col, int n, int CIN, int H, int W, int HO, int WO) {
    const int p = get_global_id(0), row = get_global_id(1);
    const int P = HO * WO;
    if (p >= P || row >= CIN * KH * KW) return;
    const int kw = row % KW, kh = (row / KW) % KH, ci = row / (KH * KW);
    const int oh = p / WO, ow = p - oh * WO;
    const int ih = oh * SH - PT + kh * DH, iw = ow * SW - PL + kw * DW;
    float v = 0.0f;
    if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
        v = LD(x, x_off + n * x_bs + (ci * H + ih) * W + iw);
#if HAS_GATE
        v *= LD(gate, g_off + n * g_bs + ci);
#endif
    }
    col[row * P + p] = v;
}
