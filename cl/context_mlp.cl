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
 * context_mlp_out: global (ceil(C / CM_ROWS) * CM_LWS, N), C the output
 *   channels (the op's CO, not necessarily the input's); every group
 *   first takes h's mean and variance over P (two passes, as layer_norm;
 *   PyTorch's biased variance), then each lane normalizes its h_j on the
 *   fly (no local copy, so P is unbounded).
 * context_mlp_one: the same in one kernel where the first conv is small
 *   (P x C <= CM1_MAX_PC, P <= CM1_MAX_P, C <= CM1_MAX_C: the fused
 *   GCNet plan's r16 c3 block, small contexts), global
 *   (ceil(CO / CM1_ROWS) * CM_LWS, N): each group makes the whole hidden
 *   layer itself, x and h in local memory, from w0 transposed to C x P at
 *   create (consecutive items, consecutive units: coalesced; the weights
 *   come from the cache, CM1_MAX_PC floats per group), items t splitting
 *   the channels in CM_LWS / pp segments (pp: P rounded up to a power of
 *   two, at most CM_LWS), then the LayerNorm and ReLU in place and rows of
 *   CM1_LANES lanes per output (measured limit: src/cl/context_mlp.c).
 * x, y: (pointer, offset, batch stride) of st_t; weights fp32, PyTorch's
 * (out, in) order.
 * Macros: CM_LWS, CM_LANES, CM1_LANES (powers of two), CM1_MAX_C,
 * CM1_MAX_P (the local arrays of context_mlp_one), ACT, DTYPE. */

#define CM1_ROWS (CM_LWS / CM1_LANES)

#define CM_ROWS (CM_LWS / CM_LANES)

/* sum over the lanes (rows of `lanes` items) of v, in red[row * lanes] */
#define CM_REDUCE_LANES(red, t, lane, lanes, v)                         \
    do {                                                                \
        red[t] = (v);                                                   \
        barrier(CLK_LOCAL_MEM_FENCE);                                   \
        for (int k_ = (lanes) / 2; k_ > 0; k_ >>= 1) {                  \
            if (lane < k_) red[t] += red[t + k_];                       \
            barrier(CLK_LOCAL_MEM_FENCE);                               \
        }                                                               \
    } while (0)
#define CM_REDUCE_ROWS(red, t, lane, v) CM_REDUCE_LANES(red, t, lane, CM_LANES, v)

/* mean and 1 / sqrt(var + eps) of h[0..P) (global or local: a macro, as
 * OpenCL 1.2 has no generic address space), two passes, biased variance */
#define CM_LN_STATS(h, P, t, red, eps, mean, inv)                      \
    do {                                                                \
        float s_ = 0.0f, q_ = 0.0f;                                     \
        for (int j_ = (t); j_ < (P); j_ += CM_LWS) s_ += (h)[j_];       \
        mean = clbb_wg_sum(red, t, CM_LWS, s_) / (P);                   \
        for (int j_ = (t); j_ < (P); j_ += CM_LWS) {                    \
            const float d_ = (h)[j_] - mean;                            \
            q_ = fma(d_, d_, q_);                                       \
        }                                                               \
        inv = rsqrt(clbb_wg_sum(red, t, CM_LWS, q_) / (P) + (eps));     \
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
    float mean, inv;
    CM_LN_STATS(hn, P, t, red, eps, mean, inv);
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

__kernel __attribute__((reqd_work_group_size(CM_LWS, 1, 1))) void
context_mlp_one(__global const st_t *x, int x_off, int x_bs, __global const float *restrict w0t,
                __global const float *restrict b0, __global const float *restrict ln_w,
                __global const float *restrict ln_b, float eps, __global const float *restrict w1,
                __global const float *restrict b1, __global st_t *y, int y_off, int y_bs, int C,
                int P, int CO, int pp) {
    __local float xs[CM1_MAX_C];
    __local float hs[CM1_MAX_P];
    __local float red[CM_LWS];
    const int t = get_local_id(0), n = get_global_id(1);
    const __global st_t *xn = x + x_off + n * x_bs;
    for (int c = t; c < C; c += CM_LWS) xs[c] = LD(xn, c);
    barrier(CLK_LOCAL_MEM_FENCE);
    /* item t: unit jb + t % pp over channel segment t / pp, segments added
     * by the first pp items */
    const int segs = CM_LWS / pp, seg = t / pp, j0 = t - seg * pp;
    const int cps = (C + segs - 1) / segs, c0 = seg * cps, c1 = min(C, c0 + cps);
    for (int jb = 0; jb < P; jb += pp) {
        const int j = jb + j0;
        float a = 0.0f;
        if (j < P)
            for (int c = c0; c < c1; c++) a = fma(w0t[(size_t)c * P + j], xs[c], a);
        red[t] = a;
        barrier(CLK_LOCAL_MEM_FENCE);
        if (t < pp && j < P) {
            float h = b0[j];
            for (int k = 0; k < segs; k++) h += red[t + k * pp];
            hs[j] = h;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float mean, inv;
    CM_LN_STATS(hs, P, t, red, eps, mean, inv);
    for (int j = t; j < P; j += CM_LWS) hs[j] = fmax(fma((hs[j] - mean) * inv, ln_w[j], ln_b[j]), 0.0f);
    barrier(CLK_LOCAL_MEM_FENCE);
    const int lane = t % CM1_LANES, c = get_group_id(0) * CM1_ROWS + t / CM1_LANES;
    float a = 0.0f;
    if (c < CO) {
        const __global float *wr = w1 + (size_t)c * P;
        for (int j = lane; j < P; j += CM1_LANES) a = fma(wr[j], hs[j], a);
    }
    CM_REDUCE_LANES(red, t, lane, CM1_LANES, a);
    if (lane == 0 && c < CO) ST(y, y_off + n * y_bs + c, clbb_act(red[t] + b1[c]));
}
