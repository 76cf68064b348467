/* GhostNet's squeeze-and-excitation gate in one kernel per sample (timm
 * SqueezeExcite: mean over H x W, conv_reduce 1x1 + ReLU, conv_expand 1x1,
 * hard_sigmoid), where the unfused path took three launches (pool, two
 * 1x1 convs) of a few microseconds each at batch 1.
 *
 * One work-group of SE_LWS items per sample, three phases separated by
 * barriers, each a set of dot products: every output (channel mean,
 * hidden unit, gate) gets L lanes (L = the largest power of two with
 * outputs * L <= SE_LWS, from the host: 1 where there are more outputs
 * than items) whose partial sums go through local memory, so no phase
 * waits on a reduction per output. Pool: lanes are consecutive items
 * reading consecutive pixels; the 1x1s: consecutive items take
 * consecutive outputs and read the transposed weights (w0t [C][P],
 * w1t [P][C]) at consecutive addresses.
 * Grid: (N * SE_LWS); buf: max(C, P, SE_LWS) + C + P floats.
 * Macros: SE_LWS, ACT (of the gate), DTYPE. */

__kernel __attribute__((reqd_work_group_size(SE_LWS, 1, 1))) void
se_gate(__global const st_t *x, int x_off, int x_bs, __global const float *restrict w0t,
        __global const float *restrict b0, __global const float *restrict w1t,
        __global const float *restrict b1, __global st_t *y, int y_off, int y_bs,
        __local float *buf, int C, int P, int HW, int S, int lp, int lh, int lo) {
    const int t = get_local_id(0), n = get_group_id(0);
    __local float *part = buf, *m = buf + S, *h = m + C;
    const __global st_t *xn = x + x_off + n * x_bs;
    {
        const int lane = t % lp, rows = SE_LWS / lp;
        for (int c = t / lp; c < C && t < rows * lp; c += rows) {
            const __global st_t *xc = xn + c * HW;
            float a = 0.0f;
            for (int p = lane; p < HW; p += lp) a += LD(xc, p);
            part[c * lp + lane] = a;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int c = t; c < C; c += SE_LWS) {
        float a = 0.0f;
        for (int l = 0; l < lp; l++) a += part[c * lp + l];
        m[c] = a / HW;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    {
        const int rows = SE_LWS / lh, r = t % rows, lane = t / rows;
        for (int j = r; j < P && lane < lh; j += rows) {
            float a = 0.0f;
            for (int c = lane; c < C; c += lh) a = fma(w0t[c * P + j], m[c], a);
            part[j * lh + lane] = a;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int j = t; j < P; j += SE_LWS) {
        float a = b0[j];
        for (int l = 0; l < lh; l++) a += part[j * lh + l];
        h[j] = fmax(a, 0.0f);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    {
        const int rows = SE_LWS / lo, r = t % rows, lane = t / rows;
        for (int c = r; c < C && lane < lo; c += rows) {
            float a = 0.0f;
            for (int j = lane; j < P; j += lo) a = fma(w1t[j * C + c], h[j], a);
            part[c * lo + lane] = a;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int c = t; c < C; c += SE_LWS) {
        float a = b1[c];
        for (int l = 0; l < lo; l++) a += part[c * lo + l];
        ST(y, y_off + n * y_bs + c, clbb_act(a));
    }
}
