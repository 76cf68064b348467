/* The tiled GEMM shared by implicit-GEMM convolution (conv2d_igemm.c) and
 * Winograd's 16 batched GEMMs (conv2d_winograd.c): tile parameters, the
 * packing of A, and their helpers. */
#ifndef CLBB_CL_CONV2D_IGEMM_INTERNAL_H
#define CLBB_CL_CONV2D_IGEMM_INTERNAL_H

#include "conv2d_internal.h"

/* Tile ints in this order: the tuning keys of the GPU family (winograd
 * takes the first five: its GEMMs have no split-K). */
enum { IG_TM, IG_TN, IG_TK, IG_WM, IG_WN, IG_KS, IG_NTILE };
extern const clbb_param_key clbb__ig_tile_keys[IG_NTILE];
/* Per-vendor starting tiles (see conv2d_igemm.c for why these). */
extern const conv_default clbb__ig_tile_defaults[];

/* How A was packed at create: K-major, zero-padded to TM x TK tiles,
 * A[batch][KP][MP]. */
typedef struct ig_pack {
    int tm, tk, mp, kp;
} ig_pack;

/* The tuning values of the op as tile ints (0 where not given). */
void clbb__igemm_tuned(const conv_state *s, int n, int tuned[IG_NTILE]);
/* TM and TK of the packing for M rows and K columns. */
void clbb__igemm_pack_tile(const clbb_context *ctx, const int tuned[IG_NTILE], int M, int K,
                           ig_pack *pk);
/* The tile for a GEMM of ncols columns and `batches` batches (groups),
 * from the tuning, the packing and the device. */
clbb_status clbb__igemm_fit(clbb_context *ctx, const int tuned[IG_NTILE], int M,
                            const ig_pack *pk, long ncols, long batches, int split_k, int cheap_b,
                            int t[IG_NTILE]);
/* The tensor-core variant the op's GEMM (M rows per group, packed as pk)
 * runs: 0 none (strict fmas: the op asked for FP32, the device has no
 * tensor cores, the GEMM is too narrow), 1 TF32, 2 f16 products (FP16 math,
 * packing 16 deep), 3 3xTF32 (IG_MMA). */
int clbb__igemm_mma(clbb_op *op, const ig_pack *pk, int M);
/* How a tensor-core GEMM may split K (clbb__igemm_fit_mma's split_k). */
enum {
    IG_SPLIT_NONE = 0,   /* never (Winograd's batched GEMM) */
    IG_SPLIT_SHORT = 1,  /* only grids short of one wave (dense B: igemm) */
    IG_SPLIT_GATHER = 2, /* up to two waves (a B gather that hides latency
                            behind more groups: the deformable sample) */
};
/* The tile of a tensor-core GEMM of variant mma (as clbb__igemm_fit; see
 * IG_MMA in cl/conv2d_igemm.cl for the constraints). */
clbb_status clbb__igemm_fit_mma(clbb_context *ctx, const int tuned[IG_NTILE], int M,
                                const ig_pack *pk, long ncols, long batches, int split_k, int mma,
                                int t[IG_NTILE]);
/* The algorithm name prefix for base "igemm", "winograd" or "deform", the
 * op's math and an IG_MMA value (e.g. "igemm_tf32x3"; FP16 math: "igemm_fp16",
 * f16 products or, packed 8 deep, half operands on the TF32 unit). */
const char *clbb__igemm_mma_name(const char *base, const clbb_op *op, int mma);
void clbb__igemm_options(const clbb_context *ctx, const int t[IG_NTILE], const ig_pack *pk,
                         char *buf, size_t size);
/* Uploads n packed floats into *w in the op's weight storage (conv_wdtype)
 * and frees them. */
clbb_status clbb__igemm_upload_packed(clbb_op *op, float *packed, size_t n, const char *what,
                                      cl_mem *w);

/* Builds conv2d_igemm (cl/conv2d_igemm.cl) for the op's conv_state and
 * output shape with the fitted tile t and the mode's own build options
 * (extra: "-D ..." text), its split-K reduce when t[IG_KS] > 1 (reserving
 * the partials' scratch), sizes both grids and names the algorithm
 * "<name>_t<TM>x<TN>x<TK>_w<WM>x<WN>[_ks<KS>]". */
clbb_status clbb__igemm_conv_kernels(clbb_op *op, const ig_pack *pk, const int t[IG_NTILE],
                                     const char *extra, const char *name, cl_kernel *conv,
                                     cl_kernel *reduce, size_t gws[2][3], size_t lws[2][3]);
/* Packs OIHW weights (G groups of M rows and K columns) for the GPU
 * kernel, A[g][KP][MP] (tile from the tuning and the device into *pk). */
clbb_status clbb__igemm_gpu_pack(clbb_op *op, const float *w, int G, int M, int K,
                                 const int tuned[IG_NTILE], ig_pack *pk, cl_mem *out);
/* The device's native float vector width: 16, 8 or 4. */
int clbb__cpu_native_width(const clbb_context *ctx);
/* The CPU micro-kernel's vector width (tuned_vw > 0: given) for M rows. */
int clbb__igemm_cpu_vw(const clbb_context *ctx, int tuned_vw, int M);
/* Packs OIHW weights for the CPU micro-kernels, A[g][MPV][K][VW] (zero
 * past M; MPV, a multiple of 4, into *mpv). */
clbb_status clbb__igemm_cpu_pack(clbb_op *op, const float *w, int G, int M, int K, int vw,
                                 int *mpv, cl_mem *out);

#endif
