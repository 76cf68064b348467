/* Layer norm over each sample's C x H x W (biased variance, eps inside the
 * square root) with a per-channel affine and the epilogue activation:
 *   y = act((x - mean) * rstd * weight[c] + bias[c]).
 *
 * layer_norm: one work-group of LN_LWS items per sample n, global size
 *   (LN_LWS, N): three sweeps of the sample's contiguous C*HW span (the
 *   mean; the squared deviations, two passes rather than E[x^2] - E[x]^2
 *   to avoid cancellation; the apply), local-memory tree reductions
 *   between them. ContextBlock normalizes planes x 1 x 1 vectors (64 to
 *   512 floats): one group per sample is the whole job.
 * y may be x (in place): the apply sweep starts after both reductions, and
 * each element is written by the item that reads it.
 * Macros: LN_LWS, ACT, DTYPE. */

__kernel __attribute__((reqd_work_group_size(LN_LWS, 1, 1))) void
layer_norm(__global const st_t *x, int x_off, int x_bs, __global const float *restrict weight,
           __global const float *restrict bias, __global st_t *y, int y_off, int y_bs, int C,
           int HW, float eps) {
    __local float red[LN_LWS];
    const int t = get_local_id(0), n = get_global_id(1);
    const int len = C * HW;
    const __global st_t *xp = x + x_off + n * x_bs;
    __global st_t *yp = y + y_off + n * y_bs;
    float s = 0.0f;
    for (int i = t; i < len; i += LN_LWS) s += LD(xp, i);
    red[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = LN_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float mean = red[0] / (float)len;
    barrier(CLK_LOCAL_MEM_FENCE);
    float q = 0.0f;
    for (int i = t; i < len; i += LN_LWS) {
        const float d = LD(xp, i) - mean;
        q = fma(d, d, q);
    }
    red[t] = q;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = LN_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float rstd = rsqrt(red[0] / (float)len + eps);
    for (int i = t; i < len; i += LN_LWS) {
        const int c = i / HW;
        ST(yp, i, clbb_act((LD(xp, i) - mean) * rstd * weight[c] + bias[c]));
    }
}
