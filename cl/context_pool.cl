/* ContextBlock's attention pooling ('att'): per image n,
 *   logit[p] = bias + sum_c w[c] x[n,c,p],  a = softmax_p(logit),
 *   y[n,c] = sum_p x[n,c,p] a[p]            (p over H*W),
 * in three kernels that read x twice (the logits, the weighted sums) and
 * a float workspace of N*HW logits (turned into the weights a in place).
 *
 * context_pool_logits: work-item per position p of image n, global size
 *   (HW rounded up, N); it walks the channels (consecutive items read
 *   consecutive positions of each plane).
 * context_pool_softmax: one work-group of CP_LWS items per image, global
 *   (CP_LWS, N): max, sum of exp (local tree reductions), then
 *   a[p] = exp(logit[p] - max) / sum in place.
 * context_pool_sum (GPU family): one work-group of CP_LWS items per (c, n),
 *   global (CP_LWS, C, N): strided partial dot products, tree reduction.
 * context_pool_sum_cpu: one work-item (local size 1) per (c, n), global
 *   (C, N): float8 dot product of the plane and a, scalar tail.
 * x is dense images (x_off, x_bs); y is N x C x 1 x 1 (y_off, y_bs).
 * Macros: CP_LWS, DTYPE. */

__kernel void context_pool_logits(__global const st_t *x, int x_off, int x_bs,
                                  __global const float *restrict w, float bias,
                                  __global float *restrict logit, int C, int HW) {
    const int p = get_global_id(0), n = get_global_id(1);
    if (p >= HW) return;
    const __global st_t *xp = x + x_off + n * x_bs + p;
    float l = bias;
    for (int c = 0; c < C; c++) l = fma(w[c], LD(xp, c * HW), l);
    logit[n * HW + p] = l;
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_softmax(__global float *restrict logit, int HW) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), n = get_global_id(1);
    __global float *l = logit + n * HW;
    float m = -INFINITY;
    for (int i = t; i < HW; i += CP_LWS) m = fmax(m, l[i]);
    red[t] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = CP_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] = fmax(red[t], red[t + k]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float s = 0.0f;
    for (int i = t; i < HW; i += CP_LWS) s += exp(l[i] - m);
    red[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = CP_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / red[0];
    for (int i = t; i < HW; i += CP_LWS) l[i] = exp(l[i] - m) * inv;
}

__kernel __attribute__((reqd_work_group_size(CP_LWS, 1, 1))) void
context_pool_sum(__global const st_t *x, int x_off, int x_bs, __global const float *restrict a,
                 __global st_t *y, int y_off, int y_bs, int C, int HW) {
    __local float red[CP_LWS];
    const int t = get_local_id(0), c = get_global_id(1), n = get_global_id(2);
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;
    const __global float *ap = a + n * HW;
    float s = 0.0f;
    for (int i = t; i < HW; i += CP_LWS) s = fma(LD(xp, i), ap[i], s);
    red[t] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = CP_LWS / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) ST(y, y_off + n * y_bs + c, red[0]);
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
context_pool_sum_cpu(__global const st_t *x, int x_off, int x_bs, __global const float *restrict a,
                     __global st_t *y, int y_off, int y_bs, int C, int HW) {
    const int c = get_global_id(0), n = get_global_id(1);
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;
    const __global float *ap = a + n * HW;
    float8 s8 = 0.0f;
    int i = 0;
    for (; i + 8 <= HW; i += 8) s8 = fma(LDN(8, 0, xp + i), vload8(0, ap + i), s8);
    float4 s4 = s8.lo + s8.hi;
    float s = (s4.x + s4.y) + (s4.z + s4.w);
    for (; i < HW; i++) s = fma(LD(xp, i), ap[i], s);
    ST(y, y_off + n * y_bs + c, s);
}
