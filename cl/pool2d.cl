/* Pooling kernels.
 *
 * max_pool2d / avg_pool2d: one output element per work-item; global size
 *   (Wo, Ho, N * C) rounded up by the launcher. Padding is ignored by max
 *   (PyTorch pads with -inf); avg follows PyTorch's divisor rules
 *   (count_include_pad counts padding but never the ceil-mode overhang).
 * global_avg_pool: one work-group of GAP_LWS items per (n, c) plane,
 *   global size (GAP_LWS, C, N); tree reduction in local memory.
 *
 * Macros: KH KW SH SW PH PW COUNT_PAD, GAP_LWS, DTYPE. */
#ifndef GAP_LWS
#define GAP_LWS 64
#endif

#ifdef KH
__kernel void max_pool2d(__global const st_t *restrict x, int x_off, int x_bs,
                         __global st_t *restrict y, int y_off, int y_bs,
                         int C, int H, int W, int HO, int WO, int N) {
    const int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= WO || oh >= HO || nc >= N * C) return;
    const int n = nc / C, c = nc - n * C;
    const __global st_t *xp = x + x_off + n * x_bs + c * H * W;
    const int h0 = max(oh * SH - PH, 0), h1 = min(oh * SH - PH + KH, H);
    const int w0 = max(ow * SW - PW, 0), w1 = min(ow * SW - PW + KW, W);
#if DTYPE == 1 && CLBB_SOFT_HALF
    /* half on x86: the max of the bit patterns as order-preserving keys
     * (negative halves: magnitude bits flipped; NaN skipped, as fmax
     * does), the winner stored as it is: the max of halves is exact. A
     * software conversion per tap made ResNet-50's stem pool 3x slower in
     * fp16 than in fp32 (5.8 against 2.0 ms); this is 4.1: PoCL's vectors
     * across work-items gather 16-bit lanes one by one */
    const __global ushort *xu = CLBB_UP(xp);
    short best = (short)0x83ff; /* the key of -inf (0xfc00) */
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) {
            const ushort u = xu[ih * W + iw];
            const short k = (short)(u & 0x8000u ? u ^ 0x7fffu : u);
            best = max(best, (short)((u & 0x7fffu) <= 0x7c00u ? k : (short)0x83ff));
        }
    CLBB_UPW(y)[y_off + n * y_bs + (c * HO + oh) * WO + ow] =
        (ushort)(best < 0 ? (ushort)best ^ 0x7fffu : (ushort)best);
#else
    float m = -INFINITY;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) m = fmax(m, LD(xp, ih * W + iw));
    ST(y, y_off + n * y_bs + (c * HO + oh) * WO + ow, m);
#endif
}

__kernel void avg_pool2d(__global const st_t *restrict x, int x_off, int x_bs,
                         __global st_t *restrict y, int y_off, int y_bs,
                         int C, int H, int W, int HO, int WO, int N) {
    const int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= WO || oh >= HO || nc >= N * C) return;
    const int n = nc / C, c = nc - n * C;
    const __global st_t *xp = x + x_off + n * x_bs + c * H * W;
    int h0 = oh * SH - PH, w0 = ow * SW - PW;
    int h1 = min(h0 + KH, H + PH), w1 = min(w0 + KW, W + PW);
    const int padded = (h1 - h0) * (w1 - w0);
    h0 = max(h0, 0);
    w0 = max(w0, 0);
    h1 = min(h1, H);
    w1 = min(w1, W);
    float s = 0.0f;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) s += LD(xp, ih * W + iw);
#if COUNT_PAD
    const int div = padded;
#else
    const int div = (h1 - h0) * (w1 - w0);
#endif
    ST(y, y_off + n * y_bs + (c * HO + oh) * WO + ow, div > 0 ? s / (float)div : 0.0f);
}
#endif

__kernel __attribute__((reqd_work_group_size(GAP_LWS, 1, 1)))
void global_avg_pool(__global const st_t *restrict x, int x_off, int x_bs,
                     __global st_t *restrict y, int y_off, int y_bs, int C, int HW) {
    __local float part[GAP_LWS];
    const int t = get_local_id(0), c = get_global_id(1), n = get_global_id(2);
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;
    float s = 0.0f;
#if DTYPE == 1
    /* half: runs of 8 per item (one F16C conversion each on PoCL, where
     * the scalar conversions made this pool 1.5-2x slower than in fp32),
     * the last HW % 8 elements one per item */
    const int h8 = HW / 8 * 8;
    float8 s8 = (float8)0.0f;
    for (int i = 8 * t; i < h8; i += 8 * GAP_LWS) s8 += LDN(8, 0, xp + i);
    const float4 s4 = s8.lo + s8.hi;
    s = (s4.x + s4.y) + (s4.z + s4.w);
    for (int i = h8 + t; i < HW; i += GAP_LWS) s += LD(xp, i);
#else
    for (int i = t; i < HW; i += GAP_LWS) s += LD(xp, i);
#endif
    part[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = GAP_LWS / 2; k > 0; k >>= 1) {
        if (t < k) part[t] += part[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) ST(y, y_off + n * y_bs + c, part[0] / (float)HW);
}
