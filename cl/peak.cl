/* Device ceilings for benchmark reports: arithmetic (independent FMA
 * chains in registers) and memory bandwidth (a float4 copy).
 *
 * peak_fma: one work-item runs PEAK_ITERS iterations of 16 independent FMA
 *   chains (2 flops each); global size is the launcher's choice.
 * peak_fma_cpu: the same for CPU devices, where PoCL runs a work-group of
 *   one item as plain code: 8 independent chains of PEAK_VW-wide vectors
 *   (the device's native width, one register each) cover two FMA ports of
 *   4 cycles' latency; local size 1.
 * peak_copy: one work-item copies one float4. */
#ifndef PEAK_ITERS
#define PEAK_ITERS 1024
#endif

__kernel void peak_fma(__global float *out, float a, float b) {
    float4 x0 = (float4)(get_global_id(0), 1, 2, 3) * 1e-9f, x1 = x0 + 1, x2 = x0 + 2, x3 = x0 + 3;
    for (int i = 0; i < PEAK_ITERS; i++) {
        x0 = fma(x0, (float4)a, (float4)b);
        x1 = fma(x1, (float4)a, (float4)b);
        x2 = fma(x2, (float4)a, (float4)b);
        x3 = fma(x3, (float4)a, (float4)b);
    }
    float4 s = x0 + x1 + x2 + x3;
    if (s.x + s.y + s.z + s.w == 1234.5f) out[get_global_id(0)] = s.x;
}

#ifdef PEAK_VW
#define PV_T_(n) float##n
#define PV_T(n) PV_T_(n)
typedef PV_T(PEAK_VW) pv_t;
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void peak_fma_cpu(__global float *out,
                                                                          float a, float b) {
    pv_t x[8];
    for (int c = 0; c < 8; c++) x[c] = (pv_t)(get_global_id(0) + c) * 1e-9f;
    for (int i = 0; i < PEAK_ITERS; i++)
#pragma unroll
        for (int c = 0; c < 8; c++) x[c] = fma(x[c], (pv_t)a, (pv_t)b);
    pv_t s = x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
    if (s.s0 + s.s1 == 1234.5f) out[get_global_id(0)] = s.s0;
}
#endif

__kernel void peak_copy(__global const float4 *restrict src, __global float4 *restrict dst) {
    const size_t i = get_global_id(0);
    dst[i] = src[i];
}
