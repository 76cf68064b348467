/* ContextBlock's channel transform (mmcv context_block.py, channel_add_conv
 * and channel_mul_conv) on the pooled context x (N x C x 1 x 1):
 *   h = W0 x + b0 (P x C),  g = relu(LayerNorm_P(h) * ln_w + ln_b),
 *   y = act(W1 g + b1) (C x P),
 * in two kernels where three ops (a 1x1 conv with its split-K reduction,
 * layer_norm, a 1x1 conv) took four launches of a few microseconds each.
 *
 * Both kernels give each output (hidden unit, output channel) a row of
 * CM_LANES work-items that split its dot product (consecutive items read
 * consecutive weights of the row: coalesced), CM_ROWS rows per work-group
 * (CM_ROWS * CM_LANES == CM_LWS), and reduce the lanes in local memory:
 * one item per output walked the whole row alone, and the 32 groups of a
 * 2048-channel output left most of a large GPU idle (46 us on an H200
 * against 27 for the three ops).
 * context_mlp_hidden: global (ceil(P / CM_ROWS) * CM_LWS, N); h (fp32) into
 *   the workspace.
 * context_mlp_out: global (ceil(C / CM_ROWS) * CM_LWS, N); every group
 *   first takes h's mean and variance over P (two passes, as layer_norm;
 *   PyTorch's biased variance), then each lane normalizes its h_j on the
 *   fly (no local copy, so P is unbounded).
 * x, y: (pointer, offset, batch stride) of st_t; weights fp32, PyTorch's
 * (out, in) order.
 * Macros: CM_LWS, CM_LANES (powers of two), ACT, DTYPE. */

#define CM_ROWS (CM_LWS / CM_LANES)

/* sum over the lanes of each row of v, in red[row * CM_LANES] */
#define CM_REDUCE_ROWS(red, t, lane, v)                                 \
    do {                                                                \
        red[t] = (v);                                                   \
        barrier(CLK_LOCAL_MEM_FENCE);                                   \
        for (int k_ = CM_LANES / 2; k_ > 0; k_ >>= 1) {                 \
            if (lane < k_) red[t] += red[t + k_];                       \
            barrier(CLK_LOCAL_MEM_FENCE);                               \
        }                                                               \
    } while (0)

__kernel __attribute__((reqd_work_group_size(CM_LWS, 1, 1))) void
context_mlp_hidden(__global const st_t *x, int x_off, int x_bs, __global const float *restrict w0,
                   __global const float *restrict b0, __global float *restrict h, int C, int P) {
    __local float red[CM_LWS];
    const int t = get_local_id(0), lane = t % CM_LANES, n = get_global_id(1);
    const int j = get_group_id(0) * CM_ROWS + t / CM_LANES;
    const __global st_t *xn = x + x_off + n * x_bs;
    float a = 0.0f;
    if (j < P) {
        const __global float *wr = w0 + (size_t)j * C;
        for (int c = lane; c < C; c += CM_LANES) a = fma(wr[c], LD(xn, c), a);
    }
    CM_REDUCE_ROWS(red, t, lane, a);
    if (lane == 0 && j < P) h[(size_t)n * P + j] = red[t] + b0[j];
}

__kernel __attribute__((reqd_work_group_size(CM_LWS, 1, 1))) void
context_mlp_out(__global const float *restrict h, __global const float *restrict ln_w,
                __global const float *restrict ln_b, float eps, __global const float *restrict w1,
                __global const float *restrict b1, __global st_t *y, int y_off, int y_bs, int C,
                int P) {
    __local float red[CM_LWS];
    const int t = get_local_id(0), lane = t % CM_LANES, n = get_global_id(1);
    const int c = get_group_id(0) * CM_ROWS + t / CM_LANES;
    const __global float *hn = h + (size_t)n * P;
    float s = 0.0f;
    for (int j = t; j < P; j += CM_LWS) s += hn[j];
    const float mean = clbb_wg_sum(red, t, CM_LWS, s) / P;
    float q = 0.0f;
    for (int j = t; j < P; j += CM_LWS) {
        const float d = hn[j] - mean;
        q = fma(d, d, q);
    }
    const float inv = rsqrt(clbb_wg_sum(red, t, CM_LWS, q) / P + eps);
    float a = 0.0f;
    if (c < C) {
        const __global float *wr = w1 + (size_t)c * P;
        for (int j = lane; j < P; j += CM_LANES) {
            const float g = fmax(fma((hn[j] - mean) * inv, ln_w[j], ln_b[j]), 0.0f);
            a = fma(wr[j], g, a);
        }
    }
    CM_REDUCE_ROWS(red, t, lane, a);
    if (lane == 0 && c < C) ST(y, y_off + n * y_bs + c, clbb_act(red[t] + b1[c]));
}
