/* softmax op (cl/softmax.cl): rows of any strided view, both kernel
 * families. */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

typedef struct sm_state {
    float scale;
    int contig; /* of the kernel built (the CPU kernel's vector path) */
    size_t lws;
    cl_kernel k;
} sm_state;

/* Work-group size of the GPU kernel: enough items for the row, at most 256. */
static size_t sm_lws(int32_t len) { return len >= 2048 ? 256 : len >= 512 ? 128 : 64; }

static clbb_status sm_reshape(clbb_op *op, clbb_shape in) {
    sm_state *s = op->impl;
    op->out_shape = in;
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 5.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * n * 2;
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    snprintf(op->info.algorithm, sizeof op->info.algorithm, cpu ? "softmax_rows_cpu" : "softmax_rows_l%zu",
             sm_lws(in.w));
    if (!cpu && s->lws != sm_lws(in.w)) clbb__kernel_release(&s->k);
    return CLBB_OK;
}

/* The kernel depends on the input's layout (CPU: a contiguous row), which
 * only setup knows. */
static clbb_status sm_setup(clbb_op *op) {
    sm_state *s = op->impl;
    const clbb_tensor *x = &op->in[0];
    if (x->offset + clbb__tensor_extent(x) > (size_t)INT32_MAX)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "softmax: the input view reaches beyond element 2^31-1");
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    const int contig = cpu && (x->stride[3] == 1 || op->in_shape.w == 1);
    const size_t lws = cpu ? 1 : sm_lws(op->in_shape.w);
    if (s->k && s->contig == contig && s->lws == lws) return CLBB_OK;
    clbb__kernel_release(&s->k);
    char opts[128];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    if (cpu) clbb__opt_int(opts, sizeof opts, "SM_CONTIG", contig);
    else clbb__opt_int(opts, sizeof opts, "SM_LWS", (long)lws);
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "softmax", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, cpu ? "softmax_rows_cpu" : "softmax_rows", &s->k));
    s->contig = contig;
    s->lws = lws;
    return CLBB_OK;
}

static clbb_status sm_run(clbb_op *op) {
    sm_state *s = op->impl;
    const clbb_tensor *x = &op->in[0], *y = &op->out;
    const clbb_shape sh = op->in_shape;
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    const char *name = cpu ? "softmax_rows_cpu" : "softmax_rows";
    cl_int st[4];
    for (int i = 0; i < 4; i++) st[i] = (cl_int)x->stride[i];
    cl_int xoff = (cl_int)x->offset;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, name, sizeof(cl_mem), &x->mem, sizeof(cl_int), &xoff,
                                 sizeof(cl_int), &st[0], sizeof(cl_int), &st[1], sizeof(cl_int),
                                 &st[2], sizeof(cl_int), &st[3], CLBB_TENSOR_ARGS(y),
                                 sizeof(cl_int), &sh.c, sizeof(cl_int), &sh.h, sizeof(cl_int),
                                 &sh.w, sizeof(cl_float), &s->scale, CLBB_ARGS_END));
    const size_t rows = (size_t)sh.n * sh.c * sh.h;
    if (cpu) {
        size_t gws[1] = {rows}, lws[1] = {1};
        return clbb__enqueue(op->ctx, s->k, 1, gws, lws, name);
    }
    size_t gws[2] = {s->lws, rows}, lws[2] = {s->lws, 1};
    return clbb__enqueue(op->ctx, s->k, 2, gws, lws, name);
}

static void sm_destroy(clbb_op *op) {
    sm_state *s = op->impl;
    clbb__kernel_release(&s->k);
}

static const clbb_op_vtable SM_VT = {"softmax", CLBB_FAMILIES_BOTH, sm_reshape, sm_setup, sm_run,
                                     sm_destroy};

clbb_status clbb_softmax_create(clbb_context *ctx, float scale, const clbb_op_options *options,
                                clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "softmax: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, SM_VT.families, "softmax", &dtype, &family));
    if (!isfinite(scale))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "softmax: scale = %g (must be finite)",
                          (double)scale);
    CLBB_CHECK(clbb__op_new(ctx, &SM_VT, sizeof(sm_state), 1, dtype, family, out));
    /* any view; in place: the statistics sweeps read a row before the last
     * sweep writes it, element by element */
    (*out)->in_flags[0] |= CLBB_IN_ANY_LAYOUT | CLBB_IN_ALIAS;
    ((sm_state *)(*out)->impl)->scale = scale;
    return clbb__done(ctx, CLBB_OK);
}
