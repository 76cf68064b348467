/* Implicit-GEMM convolution (cl/conv2d_igemm.cl). */
#include "conv2d_internal.h"

static int igemm_applicable(const clbb_context *ctx, const clbb_conv2d_desc *d) {
    (void)ctx;
    (void)d;
    return 0;
}

static clbb_status igemm_pack(clbb_op *op, const float *w) { return clbb__conv_direct.pack(op, w); }
static clbb_status igemm_reshape(clbb_op *op) { return clbb__conv_direct.reshape(op); }
static clbb_status igemm_run(clbb_op *op) { return clbb__conv_direct.run(op); }

const conv_algo_impl clbb__conv_igemm = {CLBB_CONV_ALGO_IMPLICIT_GEMM, "igemm", igemm_applicable,
                                         igemm_pack, igemm_reshape, igemm_run};
