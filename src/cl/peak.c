/* Measured device ceilings (FMA rate, copy bandwidth) so benchmarks can
 * report % of what the device really reaches. */
#include <stdio.h>
#include <stdlib.h>

#include "op_internal.h"

/* A ceiling is the best a device reaches, so the fastest of a few runs
 * (the median let a noisy shared CPU halve the peak between two runs) */
enum { PEAK_RUNS = 5 };
static double fastest(const double *t) {
    double m = t[0];
    for (int i = 1; i < PEAK_RUNS; i++)
        if (t[i] < m) m = t[i];
    return m;
}

clbb_status clbb_context_measure_peak(clbb_context *ctx, double *gflops, double *gbps) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!gflops || !gbps)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "measure_peak: %s is NULL",
                          !gflops ? "gflops" : "gbps");
    *gflops = *gbps = 0;
    if (!ctx->profiling)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "device peak needs a profiling context");
    /* the real device's type: a profile changes plans, not the hardware
     * whose ceilings are measured */
    cl_device_type type = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    const int cpu = ctx->profile ? (type & CL_DEVICE_TYPE_CPU) != 0
                                 : ctx->vendor == CLBB_VENDOR_CPU || ctx->info.is_cpu;
    /* CPUs: whole native-width vectors per work-item (PoCL does not
     * vectorize the float4 chains across work-items well: 22 vs 300+
     * GFLOP/s on 2 AVX-512 cores) */
    cl_uint vw = 4;
    if (cpu) {
        clGetDeviceInfo(ctx->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof vw, &vw, NULL);
        if (vw != 4 && vw != 8 && vw != 16) vw = 4;
    }
    char opts[32] = "";
    if (cpu) snprintf(opts, sizeof opts, "-DPEAK_VW=%u", vw);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(ctx, "peak", opts, &prog));
    cl_kernel kf = NULL, kc = NULL;
    cl_mem out = NULL, a = NULL, b = NULL;
    clbb_status st = clbb__kernel_create(ctx, prog, cpu ? "peak_fma_cpu" : "peak_fma", &kf);
    if (st == CLBB_OK) st = clbb__kernel_create(ctx, prog, "peak_copy", &kc);
    size_t items = cpu ? (size_t)ctx->info.compute_units * 64 : (size_t)ctx->info.compute_units * 8192;
    size_t one = 1;
    /* flops of one work-item */
    const double item_flops = cpu ? 1024.0 * 8 * vw * 2 : 1024.0 * 16 * 2;
    size_t bytes = cpu ? ((size_t)64 << 20) : ((size_t)512 << 20);
    if (bytes > ctx->info.max_alloc_bytes / 2) bytes = ctx->info.max_alloc_bytes / 2;
    bytes &= ~(size_t)15;
    if (st == CLBB_OK) st = clbb__buffer_create(ctx, items * 4, CL_MEM_READ_WRITE, NULL, "peak", &out);
    if (st == CLBB_OK) st = clbb__buffer_create(ctx, bytes, CL_MEM_READ_WRITE, NULL, "peak", &a);
    if (st == CLBB_OK) st = clbb__buffer_create(ctx, bytes, CL_MEM_READ_WRITE, NULL, "peak", &b);
    float fa = 0.999f, fb = 0.001f;
    if (st == CLBB_OK)
        st = clbb__kernel_args(ctx, kf, "peak_fma", sizeof(cl_mem), &out, sizeof(float), &fa,
                               sizeof(float), &fb, CLBB_ARGS_END);
    if (st == CLBB_OK)
        st = clbb__kernel_args(ctx, kc, "peak_copy", sizeof(cl_mem), &a, sizeof(cl_mem), &b,
                               CLBB_ARGS_END);
    double tf[PEAK_RUNS] = {0}, tc[PEAK_RUNS] = {0};
    size_t gws_c = bytes / 16;
    for (int r = 0; r <= PEAK_RUNS && st == CLBB_OK; r++) {
        double t;
        st = clbb__profile_begin(ctx);
        if (st == CLBB_OK) st = clbb__enqueue(ctx, kf, 1, &items, cpu ? &one : NULL, "peak_fma");
        if (st == CLBB_OK) st = clbb__profile_end(ctx, &t, 1);
        if (st == CLBB_OK && r) tf[r - 1] = t;
        if (st == CLBB_OK) st = clbb__profile_begin(ctx);
        if (st == CLBB_OK) st = clbb__enqueue(ctx, kc, 1, &gws_c, NULL, "peak_copy");
        if (st == CLBB_OK) st = clbb__profile_end(ctx, &t, 1);
        if (st == CLBB_OK && r) tc[r - 1] = t;
    }
    if (st == CLBB_OK) {
        double f = fastest(tf), c = fastest(tc);
        *gflops = (double)items * item_flops / (f * 1e6);
        *gbps = 2.0 * (double)bytes / (c * 1e6);
    }
    if (kf) clReleaseKernel(kf);
    if (kc) clReleaseKernel(kc);
    clbb__buffer_release(ctx, out);
    clbb__buffer_release(ctx, a);
    clbb__buffer_release(ctx, b);
    return clbb__done(ctx, st);
}
