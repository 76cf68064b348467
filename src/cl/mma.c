/* Matrix units: the math modes' names and the per-context probe of NVIDIA
 * tensor cores through inline PTX (cl/mma_probe.cl). OpenCL has no query
 * for them, so the probe builds and runs one mma.sync and checks the
 * product: a driver that does not take inline PTX, or a device older than
 * sm_80 (no TF32), fails it and keeps the strict kernels.
 * CLBB_MMA=0 in the environment turns the tensor-core kernels off (A/B
 * timing, driver bug workaround); CLBB_MMA=emu runs them on any device with
 * each mma.sync emulated in OpenCL C (IG_MMA_EMU in cl/conv2d_igemm.cl):
 * slow, but their layouts and loaders then run under PoCL, oclgrind and CI. */
#include <stdlib.h>
#include <string.h>

#include "program.h"

const char *clbb_math_name(clbb_math m) {
    switch (m) {
    case CLBB_MATH_FP32: return "fp32";
    case CLBB_MATH_TF32X3: return "tf32x3";
    case CLBB_MATH_TF32: return "tf32";
    case CLBB_MATH_FP16: return "fp16";
    }
    return NULL;
}

/* 1: the probe ran and the product is exact; 0 otherwise. Leaves the
 * context's error message as it was. */
static int probe(clbb_context *ctx) {
    char saved[sizeof ctx->error];
    memcpy(saved, ctx->error, sizeof saved);
    float a[16 * 8], b[8 * 8], d[16 * 8];
    for (int i = 0; i < 16 * 8; i++) a[i] = (float)((i * 7) % 11 - 5);
    for (int i = 0; i < 8 * 8; i++) b[i] = (float)((i * 5) % 13 - 6);
    cl_mem ma = NULL, mb = NULL, md = NULL;
    cl_kernel k = NULL;
    cl_program prog;
    int ok = clbb__program_get(ctx, "mma_probe", "", &prog) == CLBB_OK &&
             clbb__kernel_create(ctx, prog, "mma_probe", &k) == CLBB_OK &&
             clbb__buffer_from_host(ctx, a, sizeof a, "mma probe", &ma) == CLBB_OK &&
             clbb__buffer_from_host(ctx, b, sizeof b, "mma probe", &mb) == CLBB_OK &&
             clbb__buffer_create(ctx, sizeof d, CL_MEM_WRITE_ONLY, NULL, "mma probe", &md) ==
                 CLBB_OK &&
             clbb__kernel_args(ctx, k, "mma_probe", sizeof(cl_mem), &ma, sizeof(cl_mem), &mb,
                               sizeof(cl_mem), &md, CLBB_ARGS_END) == CLBB_OK;
    if (ok) {
        const size_t gws[1] = {32}, lws[1] = {32};
        ok = clbb__enqueue(ctx, k, 1, gws, lws, "mma_probe") == CLBB_OK &&
             clEnqueueReadBuffer(ctx->queue, md, CL_TRUE, 0, sizeof d, d, 0, NULL, NULL) ==
                 CL_SUCCESS;
    }
    for (int m = 0; ok && m < 16; m++)
        for (int n = 0; n < 8; n++) {
            float want = 0;
            for (int kk = 0; kk < 8; kk++) want += a[m * 8 + kk] * b[kk * 8 + n];
            if (d[m * 8 + n] != want) ok = 0;
        }
    if (k) clReleaseKernel(k);
    clbb__buffer_release(ctx, ma);
    clbb__buffer_release(ctx, mb);
    clbb__buffer_release(ctx, md);
    memcpy(ctx->error, saved, sizeof saved);
    return ok;
}

int clbb_context_has_math(clbb_context *ctx, int math) {
    if (!ctx || math < 0 || math >= CLBB_MATH_COUNT) return 0;
    if (math == CLBB_MATH_FP32) return 1;
    if (!ctx->mma) {
        const char *e = getenv("CLBB_MMA");
        const int off = e && !strcmp(e, "0");
        if (e && !strcmp(e, "emu"))
            ctx->mma = 3;
        else
            ctx->mma = !off && ctx->vendor == CLBB_VENDOR_NVIDIA && ctx->info.is_gpu && probe(ctx)
                           ? 1
                           : 2;
    }
    return ctx->mma == 1 || ctx->mma == 3;
}

int clbb__mma_emulated(const clbb_context *ctx) { return ctx->mma == 3; }
