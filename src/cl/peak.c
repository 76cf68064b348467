/* Measured device ceilings (FMA rate, copy bandwidth) so benchmarks can
 * report % of what the device really reaches. */
#include <stdlib.h>

#include "op_internal.h"

static double median3(double a, double b, double c) {
    if (a > b) { double t = a; a = b; b = t; }
    if (b > c) b = c;
    return a > b ? a : b;
}

clbb_status clbb__device_peak(clbb_context *ctx, double *gflops, double *gbps) {
    *gflops = *gbps = 0;
    if (!ctx->profiling)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "device peak needs a profiling context");
    cl_program prog;
    CLBB_CHECK(clbb__program_get(ctx, "peak", "", &prog));
    cl_kernel kf = NULL, kc = NULL;
    cl_mem out = NULL, a = NULL, b = NULL;
    clbb_status st = clbb__kernel_create(ctx, prog, "peak_fma", &kf);
    if (st == CLBB_OK) st = clbb__kernel_create(ctx, prog, "peak_copy", &kc);
    int cpu = ctx->vendor == CLBB_VENDOR_CPU;
    size_t items = cpu ? (size_t)ctx->info.compute_units * 1024 : (size_t)ctx->info.compute_units * 8192;
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
    double tf[3] = {0}, tc[3] = {0};
    size_t gws_c = bytes / 16;
    for (int r = 0; r < 4 && st == CLBB_OK; r++) {
        double t;
        st = clbb__profile_begin(ctx);
        if (st == CLBB_OK) st = clbb__enqueue(ctx, kf, 1, &items, NULL, "peak_fma");
        if (st == CLBB_OK) st = clbb__profile_end(ctx, &t, 1);
        if (st == CLBB_OK && r) tf[r - 1] = t;
        if (st == CLBB_OK) st = clbb__profile_begin(ctx);
        if (st == CLBB_OK) st = clbb__enqueue(ctx, kc, 1, &gws_c, NULL, "peak_copy");
        if (st == CLBB_OK) st = clbb__profile_end(ctx, &t, 1);
        if (st == CLBB_OK && r) tc[r - 1] = t;
    }
    if (st == CLBB_OK) {
        double f = median3(tf[0], tf[1], tf[2]), c = median3(tc[0], tc[1], tc[2]);
        *gflops = (double)items * 1024 * 16 * 2 / (f * 1e6);
        *gbps = 2.0 * (double)bytes / (c * 1e6);
    }
    if (kf) clReleaseKernel(kf);
    if (kc) clReleaseKernel(kc);
    clbb__buffer_release(ctx, out);
    clbb__buffer_release(ctx, a);
    clbb__buffer_release(ctx, b);
    return st;
}
