/* The op object behind clbb_op: a vtable per op type, the lifecycle state
 * that clbb_op_reshape / setup / run check (XNNPACK's model), the bound
 * tensors, and what each input accepts (layout, dtype, aliasing). */
#ifndef CLBB_CL_OP_INTERNAL_H
#define CLBB_CL_OP_INTERNAL_H

#include "core/tensor_impl.h"
#include "program.h"

typedef enum clbb_op_state {
    CLBB_OP_CREATED = 0,
    CLBB_OP_RESHAPED = 1,
    CLBB_OP_READY = 2,
} clbb_op_state;

/* What an input accepts beyond the default (dense images, the op's dtype,
 * no overlap with the output). */
enum {
    CLBB_IN_ALIAS = 1,      /* the output may be this very tensor (in place) */
    CLBB_IN_ANY_LAYOUT = 2, /* any strides (the copy op) */
    CLBB_IN_ANY_DTYPE = 4,  /* any dtype (the copy op converts) */
};

typedef struct clbb_op_vtable {
    const char *type;
    /* kernel families the op has: bits (1 << CLBB_KERNEL_FAMILY_GPU/CPU) */
    unsigned families;
    /* validates the input shape, builds kernels, sets op->out_shape/info */
    clbb_status (*reshape)(clbb_op *op, clbb_shape in);
    /* op-specific checks of bound tensors (shapes of extra inputs) */
    clbb_status (*setup)(clbb_op *op);
    clbb_status (*run)(clbb_op *op);
    void (*destroy)(clbb_op *op);
} clbb_op_vtable;

#define CLBB_FAMILY_BIT(f) (1u << (f))
#define CLBB_FAMILIES_GPU CLBB_FAMILY_BIT(CLBB_KERNEL_FAMILY_GPU)
#define CLBB_FAMILIES_BOTH (CLBB_FAMILY_BIT(CLBB_KERNEL_FAMILY_GPU) | CLBB_FAMILY_BIT(CLBB_KERNEL_FAMILY_CPU))

struct clbb_op {
    const clbb_op_vtable *vt;
    clbb_context *ctx;
    clbb_op_state state;
    clbb_dtype dtype;
    clbb_kernel_family family; /* resolved: GPU or CPU */
    int num_inputs;
    clbb_shape in_shape, out_shape;
    clbb_op_info info;
    /* copies of the bound tensors' descriptors (never owning) */
    clbb_tensor *in;
    unsigned *in_flags;
    clbb_tensor out;
    void *impl;
};

/* Checks options (NULL: defaults) and returns what an op of families
 * `families` runs: AUTO is the context's family when the op has it, else
 * the op's only one; an explicit request the op lacks falls back the same
 * way (documented: an op with one family runs it). */
clbb_status clbb__op_options(clbb_context *ctx, const clbb_op_options *o, unsigned families,
                             const char *type, clbb_dtype *dtype, clbb_kernel_family *family);
clbb_kernel_family clbb__resolve_family(const clbb_context *ctx, clbb_kernel_family requested,
                                        unsigned families);

/* Allocates an op with its vtable, num_inputs input slots (default flags)
 * and impl of impl_size bytes (zeroed). */
clbb_status clbb__op_new(clbb_context *ctx, const clbb_op_vtable *vt, size_t impl_size,
                         int num_inputs, clbb_dtype dtype, clbb_kernel_family family,
                         clbb_op **out);

/* Checks that a bound extra input has the expected shape. */
clbb_status clbb__op_expect_shape(clbb_op *op, int input, clbb_shape want, const char *what);

/* Checks the optional inputs after x of a conv-like op: a residual of the
 * output's shape (input 1 when has_res), then a gate of N x C_in x 1 x 1. */
clbb_status clbb__op_expect_res_gate(clbb_op *op, int has_res, int has_gate);

/* Checks an activation value from the API. */
clbb_status clbb__activation_check(clbb_context *ctx, clbb_activation act, const char *what);
/* A norm's per-channel affine on the device: weight (NULL: 1) and bias
 * (NULL: 0) checked finite (INVALID_ARGUMENT naming the channel) and
 * uploaded; nothing is left allocated on failure. */
clbb_status clbb__norm_affine(clbb_context *ctx, const char *what, int32_t channels,
                              const float *weight, const float *bias, cl_mem *w_mem,
                              cl_mem *b_mem);

/* Releases a kernel handle and clears it. */
static inline void clbb__kernel_release(cl_kernel *k) {
    if (*k) clReleaseKernel(*k);
    *k = NULL;
}

/* Rounds a global size up to a multiple of the local size. */
static inline size_t clbb__round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* The grid of kernels with one work-item per output element over
 * (Wo, Ho, N*C), in work-groups of 16 x 4. */
static inline void clbb__grid_per_output(clbb_shape o, size_t gws[3], size_t lws[3]) {
    lws[0] = 16;
    lws[1] = 4;
    lws[2] = 1;
    gws[0] = clbb__round_up((size_t)o.w, 16);
    gws[1] = clbb__round_up((size_t)o.h, 4);
    gws[2] = (size_t)o.n * o.c;
}

/* Appends "-D NAME=VALUE" to an options string. */
void clbb__opt_int(char *buf, size_t size, const char *name, long value);
/* Starts an options string with the storage type of the op's tensors
 * (see cl/common.cl). */
void clbb__opt_dtype(char *buf, size_t size, clbb_dtype dtype);

/* Tensor kernel arguments: (mem, offset, batch stride) as three args; the
 * tensor's images are dense (setup checks). */
#define CLBB_TENSOR_ARGS(t) sizeof(cl_mem), &(t)->mem, sizeof(cl_int), &(cl_int){(cl_int)(t)->offset}, \
                            sizeof(cl_int), &(cl_int){(cl_int)(t)->stride[0]}

#endif
