/* The tiled GEMM shared by implicit-GEMM convolution (conv2d_igemm.c) and
 * Winograd's 16 batched GEMMs (conv2d_winograd.c): tile parameters, the
 * packed-weight bookkeeping in conv_state.params, and their helpers. */
#ifndef CLBB_CL_CONV2D_IGEMM_INTERNAL_H
#define CLBB_CL_CONV2D_IGEMM_INTERNAL_H

#include "conv2d_internal.h"

/* Tile ints, in this order, in conv_state.params[0..5] after reshape; the
 * packed TM, TK, MP, KP follow in params[6..9]; each algorithm's own
 * params start at P_KP + 1. */
enum { IG_TM, IG_TN, IG_TK, IG_WM, IG_WN, IG_KS, IG_NTILE };
enum { P_TM_PACK = IG_NTILE, P_TK_PACK, P_MP, P_KP };

clbb_status clbb__igemm_parse_tuning(clbb_context *ctx, const char *tuning, int tuned[IG_NTILE]);
void clbb__igemm_pack_tile(const clbb_context *ctx, const int tuned[IG_NTILE], int M, int K,
                           int *tm, int *tk);
clbb_status clbb__igemm_fit(clbb_context *ctx, const int tuned[IG_NTILE], int M, int tm_pack,
                            int tk_pack, int kp, long ncols, long batches, int split_k,
                            int cheap_b, int t[IG_NTILE]);
void clbb__igemm_options(const clbb_context *ctx, const int t[IG_NTILE], int kp, int mp,
                         char *buf, size_t size);

/* Uploads n packed floats into s->w, frees them, records the packing
 * (tm, tk, mp, kp) in params. */
clbb_status clbb__igemm_upload_packed(clbb_op *op, float *packed, size_t n, const char *what,
                                      int tm, int tk, int mp, int kp);

#endif
