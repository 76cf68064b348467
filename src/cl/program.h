/* Programs from the embedded kernel sources, and their kernels. */
#ifndef CLBB_CL_PROGRAM_H
#define CLBB_CL_PROGRAM_H

#include "core/context_impl.h"

/* Returns the built program for an embedded source family and options
 * (memory cache, then disk cache, then a build). The context owns it. */
clbb_status clbb__program_get(clbb_context *ctx, const char *family, const char *options,
                              cl_program *out);

/* 1 when fp16-storage programs are built with -D CLBB_FP16_NATIVE=1 (half
 * loads, stores and gate products under cl_khr_fp16, see cl/common.cl):
 * the device lists cl_khr_fp16 (ctx->info.has_fp16, which a device profile
 * may clear but never set on a device without it). The one place that
 * decides it, for clbb__program_get. */
int clbb__fp16_native(const clbb_context *ctx);
/* 1: the tensor-core kernels emulate mma.sync (CLBB_MMA=emu, src/cl/mma.c;
 * known once clbb_context_has_math was asked, as every IG_MMA launcher does) */
int clbb__mma_emulated(const clbb_context *ctx);

/* Creates a kernel of a program. */
clbb_status clbb__kernel_create(clbb_context *ctx, cl_program program, const char *name,
                                cl_kernel *out);

/* Sets kernel arguments 0, 1, ... from (size_t size, const void *ptr) pairs
 * ending with CLBB_ARGS_END. */
clbb_status clbb__kernel_args(clbb_context *ctx, cl_kernel k, const char *what, ...);
/* the same from argument index first on (a kernel's extra arguments) */
clbb_status clbb__kernel_args_from(clbb_context *ctx, cl_kernel k, const char *what, int first,
                                   ...);
#define CLBB_ARGS_END ((size_t)0), ((const void *)0)

#endif
