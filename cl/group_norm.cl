/* Group normalization (per-sample statistics over C/G x H x W).
 *
 * group_norm_stats: one work-group of GN_LWS items per (n, g); global size
 *   (GN_LWS, G, N). The group's channels are contiguous in NCHW, so it
 *   reduces one span of CG * HW floats, twice: the mean, then the squared
 *   deviations (two passes, not E[x^2] - E[x]^2, to avoid cancellation).
 *   Writes stats[2 * (n * G + g)] = mean, rstd.
 * group_norm_apply: y = act((x - mean) * rstd * w[c] + b[c] [+ res]);
 *   work-item per element of an image's contiguous C x HW span, global
 *   size (C * HW rounded up, N).
 *
 * Statistics and affine parameters are float; x, res, y are st_t, and y may
 * be x or res (each element is read before it is written).
 * Macros: GN_LWS, ACT, HAS_RES, DTYPE. */

__kernel __attribute__((reqd_work_group_size(GN_LWS, 1, 1)))
void group_norm_stats(__global const st_t *restrict x, int x_off, int x_bs,
                      __global float *restrict stats, int G, int CG, int HW, float eps) {
    __local float part[GN_LWS];
    const int t = get_local_id(0), g = get_global_id(1), n = get_global_id(2);
    const int len = CG * HW;
    const __global st_t *xp = x + x_off + n * x_bs + g * len;
    float s = 0.0f;
    for (int i = t; i < len; i += GN_LWS) s += LD(xp, i);
    part[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = GN_LWS / 2; k > 0; k >>= 1) {
        if (t < k) part[t] += part[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float mean = part[0] / (float)len;
    barrier(CLK_LOCAL_MEM_FENCE);
    float q = 0.0f;
    for (int i = t; i < len; i += GN_LWS) {
        const float d = LD(xp, i) - mean;
        q = fma(d, d, q);
    }
    part[t] = q;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = GN_LWS / 2; k > 0; k >>= 1) {
        if (t < k) part[t] += part[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) {
        stats[2 * (n * G + g)] = mean;
        stats[2 * (n * G + g) + 1] = rsqrt(part[0] / (float)len + eps);
    }
}

__kernel void group_norm_apply(__global const st_t *x, int x_off, int x_bs,
                               __global const float *restrict stats,
                               __global const float *restrict weight,
                               __global const float *restrict bias,
                               __global const st_t *res, int r_off, int r_bs,
                               __global st_t *y, int y_off, int y_bs,
                               int G, int CG, int HW) {
    const int i = get_global_id(0), n = get_global_id(1);
    if (i >= G * CG * HW) return;
    const int c = i / HW, g = c / CG;
    const float mean = stats[2 * (n * G + g)], rstd = stats[2 * (n * G + g) + 1];
    acc_t v = (LD(x, x_off + n * x_bs + i) - mean) * rstd * weight[c] + bias[c];
#if HAS_RES
    v += LD(res, r_off + n * r_bs + i);
#endif
    ST(y, y_off + n * y_bs + i, clbb_act(v));
}
