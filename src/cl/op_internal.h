/* The op object behind clbb_op: a vtable per op type plus the lifecycle
 * state that clbb_op_reshape / setup / run check (XNNPACK's model). */
#ifndef CLBB_CL_OP_INTERNAL_H
#define CLBB_CL_OP_INTERNAL_H

#include "../core/tensor_internal.h"

#define CLBB_OP_MAX_INPUTS 4

typedef enum clbb_op_state {
    CLBB_OP_CREATED = 0,
    CLBB_OP_RESHAPED = 1,
    CLBB_OP_READY = 2,
} clbb_op_state;

typedef struct clbb_op_vtable {
    const char *type;
    /* validates the input shape, builds kernels, sets op->out_shape/info */
    clbb_status (*reshape)(clbb_op *op, clbb_shape in);
    /* op-specific checks of bound tensors (shapes of extra inputs) */
    clbb_status (*setup)(clbb_op *op);
    clbb_status (*run)(clbb_op *op);
    void (*destroy)(clbb_op *op);
} clbb_op_vtable;

struct clbb_op {
    const clbb_op_vtable *vt;
    clbb_context *ctx;
    clbb_op_state state;
    int num_inputs;
    clbb_shape in_shape, out_shape;
    clbb_op_info info;
    /* copies of the bound tensors' descriptors (never owning) */
    clbb_tensor in[CLBB_OP_MAX_INPUTS];
    clbb_tensor out;
    void *impl;
};

/* Allocates an op with its vtable and impl of impl_size bytes (zeroed). */
clbb_status clbb__op_new(clbb_context *ctx, const clbb_op_vtable *vt, size_t impl_size,
                         int num_inputs, clbb_op **out);

/* Checks that a bound extra input has the expected shape. */
clbb_status clbb__op_expect_shape(clbb_op *op, int input, clbb_shape want, const char *what);

/* Rounds a global size up to a multiple of the local size. */
static inline size_t clbb__round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* Appends "-D NAME=VALUE" to an options string. */
void clbb__opt_int(char *buf, size_t size, const char *name, long value);

/* Tensor kernel arguments: (mem, offset, batch stride) as three args. */
#define CLBB_TENSOR_ARGS(t) sizeof(cl_mem), &(t)->mem, sizeof(cl_int), &(cl_int){(cl_int)(t)->offset}, \
                            sizeof(cl_int), &(cl_int){(cl_int)(t)->batch_stride}

#endif
