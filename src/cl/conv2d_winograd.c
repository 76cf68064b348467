/* Winograd F(2x2, 3x3) convolution (cl/conv2d_winograd.cl). */
#include "conv2d_internal.h"

static int wino_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    (void)d;
    return 0;
}

static clbb_status wino_pack(clbb_op *op, const float *w) { return clbb__conv_direct.pack(op, w); }
static clbb_status wino_reshape(clbb_op *op) { return clbb__conv_direct.reshape(op); }
static clbb_status wino_run(clbb_op *op) { return clbb__conv_direct.run(op); }

const conv_algo_impl clbb__conv_winograd = {CLBB_CONV_ALGO_WINOGRAD, "winograd", wino_applicable,
                                            wino_pack, wino_reshape, wino_run};
