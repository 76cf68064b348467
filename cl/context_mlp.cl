/* ContextBlock's channel transform (mmcv context_block.py, channel_add_conv
 * and channel_mul_conv) on the pooled context x (N x C x 1 x 1):
 *   h = W0 x + b0 (P x C),  g = relu(LayerNorm_P(h) * ln_w + ln_b),
 *   y = act(W1 g + b1) (C x P),
 * in two kernels where three ops (a 1x1 conv with its split-K reduction,
 * layer_norm, a 1x1 conv) took four launches of a few microseconds each.
 *
 * context_mlp_hidden: one work-group of CM_LWS items per (j, n), global
 *   (P * CM_LWS, N): a strided dot product of W0's row j and x, tree
 *   reduction; h (fp32) into the workspace.
 * context_mlp_out: one work-item per output channel, work-groups of
 *   CM_LWS, global (C rounded, N): every group first takes h's mean and
 *   variance over P (two passes, as layer_norm; PyTorch's biased
 *   variance), then each item walks j, normalizing h_j on the fly (no
 *   local copy, so P is unbounded), against W1 transposed (P x C: items
 *   read consecutive c, coalesced).
 * x, y: (pointer, offset, batch stride) of st_t; weights fp32.
 * Macros: CM_LWS (a power of two), ACT, DTYPE. */

#define CM_REDUCE(red, t, v)                                            \
    do {                                                                \
        red[t] = (v);                                                   \
        barrier(CLK_LOCAL_MEM_FENCE);                                   \
        for (int k_ = CM_LWS / 2; k_ > 0; k_ >>= 1) {                   \
            if (t < k_) red[t] += red[t + k_];                          \
            barrier(CLK_LOCAL_MEM_FENCE);                               \
        }                                                               \
    } while (0)

__kernel __attribute__((reqd_work_group_size(CM_LWS, 1, 1))) void
context_mlp_hidden(__global const st_t *x, int x_off, int x_bs, __global const float *restrict w0,
                   __global const float *restrict b0, __global float *restrict h, int C, int P) {
    __local float red[CM_LWS];
    const int t = get_local_id(0), j = get_group_id(0), n = get_global_id(1);
    const __global float *wr = w0 + (size_t)j * C;
    const __global st_t *xn = x + x_off + n * x_bs;
    float a = 0.0f;
    for (int c = t; c < C; c += CM_LWS) a = fma(wr[c], LD(xn, c), a);
    CM_REDUCE(red, t, a);
    if (t == 0) h[(size_t)n * P + j] = red[0] + b0[j];
}

__kernel __attribute__((reqd_work_group_size(CM_LWS, 1, 1))) void
context_mlp_out(__global const float *restrict h, __global const float *restrict ln_w,
                __global const float *restrict ln_b, float eps, __global const float *restrict w1t,
                __global const float *restrict b1, __global st_t *y, int y_off, int y_bs, int C,
                int P) {
    __local float red[CM_LWS];
    const int t = get_local_id(0), c = get_global_id(0), n = get_global_id(1);
    const __global float *hn = h + (size_t)n * P;
    float s = 0.0f;
    for (int j = t; j < P; j += CM_LWS) s += hn[j];
    CM_REDUCE(red, t, s);
    const float mean = red[0] / P;
    barrier(CLK_LOCAL_MEM_FENCE);
    float q = 0.0f;
    for (int j = t; j < P; j += CM_LWS) {
        const float d = hn[j] - mean;
        q = fma(d, d, q);
    }
    CM_REDUCE(red, t, q);
    const float inv = rsqrt(red[0] / P + eps);
    if (c >= C) return;
    float a = b1[c];
    for (int j = 0; j < P; j++) {
        const float g = fmax(fma((hn[j] - mean) * inv, ln_w[j], ln_b[j]), 0.0f);
        a = fma(w1t[(size_t)j * C + c], g, a);
    }
    ST(y, y_off + n * y_bs + c, clbb_act(a));
}
