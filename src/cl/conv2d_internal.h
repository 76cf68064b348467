/* Convolution op internals: one algorithm table entry per kernel family
 * (conv2d_<algo>.c), all sharing this op state. */
#ifndef CLBB_CL_CONV2D_INTERNAL_H
#define CLBB_CL_CONV2D_INTERNAL_H

#include "op_internal.h"

typedef struct conv_state {
    clbb_conv2d_desc d;
    int has_res, has_gate;
    clbb_activation act;
    clbb_conv_algo algo;
    char tuning[256];
    cl_mem w;     /* packed weights, layout chosen by the algorithm */
    cl_mem shift; /* [out_channels]: scale*bias + shift */
    cl_kernel k[3];
    size_t ws_bytes; /* of the context's shared scratch (im2col, transforms, pads) */
    size_t gws[3][3], lws[3][3];
    int use_lws[3];
    int params[16]; /* algorithm-specific ints computed at reshape */
} conv_state;

/* The tensors a conv run binds: input, residual and gate (the input
 * stands in for absent ones, so kernel argument lists stay fixed), output. */
typedef struct conv_operands {
    const clbb_tensor *x, *r, *g, *y;
} conv_operands;

static inline conv_operands clbb__conv_operands(const clbb_op *op) {
    const conv_state *s = op->impl;
    const clbb_tensor *x = &op->in[0];
    conv_operands t = {x, s->has_res ? &op->in[1] : x, s->has_gate ? &op->in[1 + s->has_res] : x,
                       &op->out};
    return t;
}

/* Zero-padded, gated input copy for the CPU kernels (cl/pad2d.cl): the
 * copy is xh x xw per channel (xw may exceed what the taps reach, for
 * vector over-reads) and lives in the context's scratch. Prepare at
 * reshape into kernel slot k[0]; run writes the copy and returns where the
 * input now is (x itself when the conv has no pads and no gate). */
int clbb__conv_needs_pad(const conv_state *s);
/* Build options of the CPU kernels: the geometry and epilogue macros that
 * shape their loops (KH KW SH SW DH DW HAS_RES ACT); channel counts and
 * pads are kernel arguments, so layers share programs. */
void clbb__conv_cpu_options(const conv_state *s, char *buf, size_t size);
clbb_status clbb__conv_pad_prepare(clbb_op *op, int xh, int xw);
clbb_status clbb__conv_pad_run(clbb_op *op, int xh, int xw, cl_mem *xm, cl_int *xoff,
                               cl_int *xbs);

typedef struct conv_algo_impl {
    clbb_conv_algo id;
    const char *name;
    /* 1 if the algorithm can compute this geometry on this context */
    int (*applicable)(const clbb_context *ctx, const clbb_conv2d_desc *d);
    /* uploads folded OIHW weights in the algorithm's layout into s->w */
    clbb_status (*pack)(clbb_op *op, const float *w);
    /* builds kernels and sizes work for op->in_shape / op->out_shape */
    clbb_status (*reshape)(clbb_op *op);
    clbb_status (*run)(clbb_op *op);
} conv_algo_impl;

extern const conv_algo_impl clbb__conv_direct;
extern const conv_algo_impl clbb__conv_gemm_clblast;
extern const conv_algo_impl clbb__conv_depthwise;
extern const conv_algo_impl clbb__conv_igemm;
extern const conv_algo_impl clbb__conv_winograd;

/* Build options common to every conv program (geometry, epilogue). */
void clbb__conv_options(const conv_state *s, char *buf, size_t size);

/* Releases kernels and workspace held from a previous reshape. */
void clbb__conv_release_kernels(clbb_op *op);

/* Parses "NAME=VALUE,..." tuning text into an int; returns default if absent,
 * -1 with the op's error set if the text is malformed. */
int clbb__tuning_int(const char *tuning, const char *name, int def);

#endif
