/* The conv op: its common state, and the one descriptor per algorithm that
 * the launcher (conv2d.c), clbb_conv2d_supports(), the tuner
 * (models/tune.c) and the check harness all read. An algorithm is its
 * descriptor (conv2d_<algo>.c, listed once in conv2d_algos.c) plus its
 * kernels (cl/conv2d_<algo>*.cl); it owns a typed state of state_size
 * bytes. */
#ifndef CLBB_CL_CONV2D_INTERNAL_H
#define CLBB_CL_CONV2D_INTERNAL_H

#include "op_internal.h"

#define CONV_MAX_KEYS 8

struct conv_algo_desc;

/* State common to every algorithm. */
typedef struct conv_state {
    clbb_conv2d_desc d;
    int has_res, has_gate, has_add;
    clbb_activation act;
    clbb_math math; /* the products asked for (the algorithm may be stricter) */
    const struct conv_algo_desc *algo;
    char tuning[256];
    /* the tuning text parsed against the family's keys (-1: absent) */
    int tuned[CONV_MAX_KEYS];
    cl_mem shift;    /* [out_channels]: scale*bias + shift */
    size_t ws_bytes; /* of the context's shared scratch (im2col, transforms, pads) */
    void *as;        /* the algorithm's state */
} conv_state;

/* The bound tensors by role, in setup order x [, residual] [, gate]
 * [, add]. Kernels take x in place of an absent residual, gate or add, so
 * that argument lists stay fixed. */
static inline const clbb_tensor *conv_x(const clbb_op *op) { return &op->in[0]; }
static inline const clbb_tensor *conv_res(const clbb_op *op) {
    const conv_state *s = op->impl;
    return s->has_res ? &op->in[1] : NULL;
}
static inline const clbb_tensor *conv_gate(const clbb_op *op) {
    const conv_state *s = op->impl;
    return s->has_gate ? &op->in[1 + s->has_res] : NULL;
}
static inline const clbb_tensor *conv_add(const clbb_op *op) {
    const conv_state *s = op->impl;
    return s->has_add ? &op->in[1 + s->has_res + s->has_gate] : NULL;
}
static inline const clbb_tensor *conv_or_x(const clbb_op *op, const clbb_tensor *t) {
    return t ? t : conv_x(op);
}

/* One kernel family of an algorithm: the tuning keys it takes and the
 * tuning texts the tuner tries ("" = the defaults). */
typedef struct conv_family {
    int present;
    const clbb_param_key *keys;
    size_t num_keys;
    const char *const *candidates; /* NULL-terminated; NULL = the defaults only */
} conv_family;

/* Default parameters per device class (vendor), searched vendor first,
 * then the row of CLBB_VENDOR_OTHER, which ends every table. */
typedef struct conv_default {
    clbb_vendor vendor;
    const char *params;
} conv_default;

/* Optional epilogue inputs an algorithm's kernels compute (a bit mask in
 * conv_algo_desc.takes; input_gate and the residual every algorithm
 * takes). */
enum { CONV_TAKES_OUTPUT_ADD = 1u << 0 };

typedef struct conv_algo_desc {
    clbb_conv_algo id;
    const char *name;
    unsigned takes; /* CONV_TAKES_* */
    /* NULL when the algorithm computes this geometry in this dtype on this
     * context, else the reason it does not (a static string); ctx NULL asks
     * for the device-independent part only */
    const char *(*unsupported)(const clbb_context *ctx, const clbb_conv2d_desc *d,
                               clbb_dtype dtype);
    /* weight for AUTO among the supported algorithms (0: never chosen by
     * AUTO); see conv2d_algos.c. mma: the op may run on tensor cores (its
     * math is not FP32 and the device has them) */
    int (*auto_score)(const clbb_context *ctx, const clbb_conv2d_desc *d,
                      clbb_kernel_family family, int mma);
    conv_family family[3]; /* indexed by clbb_kernel_family; [AUTO] unused */
    const conv_default *defaults; /* GPU family defaults, or NULL */
    size_t state_size;
    /* uploads folded OIHW weights in the algorithm's layout */
    clbb_status (*pack)(clbb_op *op, const float *w);
    /* builds kernels and sizes work for op->in_shape / op->out_shape */
    clbb_status (*reshape)(clbb_op *op);
    clbb_status (*run)(clbb_op *op);
    /* releases the kernels of the last reshape (keeps packed weights) */
    void (*release_kernels)(clbb_op *op);
    /* releases everything (packed weights too) */
    void (*destroy)(clbb_op *op);
} conv_algo_desc;

/* The registry (conv2d_algos.c): the descriptor of an algorithm, NULL for
 * AUTO or an unknown value. */
const conv_algo_desc *clbb__conv_algo(clbb_conv_algo algo);
/* The bit mask of kernel families an algorithm has. */
unsigned clbb__conv_algo_families(const conv_algo_desc *a);
/* The algorithm AUTO picks for a geometry, dtype and family: the highest
 * auto_score among the supported that take every CONV_TAKES_* bit of
 * needs. */
const conv_algo_desc *clbb__conv_pick(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                      clbb_dtype dtype, clbb_kernel_family family, int mma,
                                      unsigned needs);
/* The CONV_TAKES_* bits a set of conv options needs. */
unsigned clbb__conv_needs(const clbb_conv2d_options *o);
/* The default parameter text of a descriptor's defaults table for this
 * context's device class. */
const char *clbb__conv_default_params(const clbb_context *ctx, const conv_default *table);

/* The algorithms. */
extern const conv_algo_desc clbb__conv_direct;
extern const conv_algo_desc clbb__conv_gemm_clblast;
extern const conv_algo_desc clbb__conv_depthwise;
extern const conv_algo_desc clbb__conv_igemm;
extern const conv_algo_desc clbb__conv_winograd;

/* The storage type of an op's packed weights: half for an F16 op (issue
 * 11: weights in the mode's storage type halve model memory; products still
 * accumulate in float and the shift stays float), else float. Kernels read
 * them through WLD/WLDN/WLDA (cl/common.cl, -D WDTYPE). */
static inline clbb_dtype conv_wdtype(const clbb_op *op) { return op->dtype; }
/* Appends " -D WDTYPE=1" when the op's weights are half (fp32 programs keep
 * their option strings, and so their cache keys). */
void clbb__opt_wdtype(const clbb_op *op, char *buf, size_t size);
/* Uploads n packed weights in the storage of wdtype (F16: rounded to
 * nearest even on the host, bit-exact with vstore_half_rte, so the check
 * reference can model it with clbb_ref_quantize). */
clbb_status clbb__weights_upload(clbb_context *ctx, clbb_dtype wdtype, const float *w, size_t n,
                                 const char *what, cl_mem *out);

/* Build options common to every conv program (dtype, geometry, epilogue;
 * HAS_ADD only when set, so that the other programs' cache keys stay). */
void clbb__conv_options(const clbb_op *op, char *buf, size_t size);
/* Build options of the CPU kernels: dtype and the geometry and epilogue
 * macros that shape their loops (KH KW SH SW DH DW HAS_RES ACT, HAS_ADD
 * only when set); channel
 * counts and pads are kernel arguments, so layers share programs. */
void clbb__conv_cpu_options(const clbb_op *op, char *buf, size_t size);

/* Checks that the weights (O x per_out), bias and epilogue scale/shift
 * (NULL: absent) are finite; messages start with type. */
clbb_status clbb__conv_check_params(clbb_context *ctx, const char *type, int O, size_t per_out,
                                    const float *weights, const float *bias,
                                    const clbb_epilogue *e);
/* Folds the epilogue into the parameters: *wf (malloc'd, O x per_out) =
 * scale[o] * weights, and *shift (uploaded) = scale * bias + shift, so that
 * kernels apply act(acc + shift[o] [+ res]). */
clbb_status clbb__conv_fold(clbb_context *ctx, const char *type, int O, size_t per_out,
                            const float *weights, const float *bias, const clbb_epilogue *e,
                            float **wf, cl_mem *shift);

/* The tuning value of key i of the op's family, or def when absent. */
static inline int conv_tuned(const conv_state *s, int i, int def) {
    return s->tuned[i] >= 0 ? s->tuned[i] : def;
}

/* Zero-padded, gated input copy for the CPU kernels (cl/pad2d.cl): the
 * copy is xh x xw per channel (xw may exceed what the taps reach, for
 * vector over-reads) and lives in the context's scratch. Prepare at
 * reshape; run writes the copy and returns where the input now is (x
 * itself when the conv has no pads and no gate, i.e. k is NULL). f32: the
 * copy is float whatever the op's dtype (-D PAD_F32). */
#define CONV_PAD_LWS 8 /* pad2d_gate's work-group: rows of one channel */
typedef struct conv_pad {
    cl_kernel k;
    size_t gws[3];
    int xh, xw;
    int plane; /* nothing to pad: k is pad2d_plane, a work-item per plane */
} conv_pad;
int clbb__conv_needs_pad(const conv_state *s);
clbb_status clbb__conv_pad_prepare(clbb_op *op, conv_pad *p, int xh, int xw, int f32);
clbb_status clbb__conv_pad_run(clbb_op *op, const conv_pad *p, cl_mem *xm, cl_int *xoff,
                               cl_int *xbs);
void clbb__conv_pad_release(conv_pad *p);

#endif
