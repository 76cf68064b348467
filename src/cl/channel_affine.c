/* channel_affine op (cl/channel_affine.cl): y = act(x * mul[n,c] + add[n,c]
 * [+ residual]) in one pass, both kernel families. */
#include <stdio.h>

#include "op_internal.h"

#define CA_VEC 4
#define CA_CPU_CHUNK 4096

typedef struct ca_state {
    int has_mul, has_add, has_res;
    clbb_activation act;
    cl_kernel k;
} ca_state;

static const char *ca_name(const clbb_op *op) {
    return op->family == CLBB_KERNEL_FAMILY_CPU ? "channel_affine_cpu" : "channel_affine";
}

static clbb_status ca_reshape(clbb_op *op, clbb_shape in) {
    ca_state *s = op->impl;
    op->out_shape = in;
    const double n = (double)clbb_shape_numel(in);
    op->info.flops = 2.0 * n;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) *
                     (n * (2 + s->has_res) + (double)in.n * in.c * (s->has_mul + s->has_add));
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "%s", ca_name(op));
    if (!s->k) {
        char opts[160];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "ACT", s->act);
        clbb__opt_int(opts, sizeof opts, "HAS_MUL", s->has_mul);
        clbb__opt_int(opts, sizeof opts, "HAS_ADD", s->has_add);
        clbb__opt_int(opts, sizeof opts, "HAS_RES", s->has_res);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "channel_affine", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, ca_name(op), &s->k));
    }
    return CLBB_OK;
}

static clbb_status ca_setup(clbb_op *op) {
    ca_state *s = op->impl;
    clbb_shape nc = op->in_shape;
    nc.h = nc.w = 1;
    int i = 1;
    if (s->has_mul) CLBB_CHECK(clbb__op_expect_shape(op, i++, nc, "mul"));
    if (s->has_add) CLBB_CHECK(clbb__op_expect_shape(op, i++, nc, "add"));
    if (s->has_res) CLBB_CHECK(clbb__op_expect_shape(op, i, op->in_shape, "residual"));
    return CLBB_OK;
}

static clbb_status ca_run(clbb_op *op) {
    ca_state *s = op->impl;
    const clbb_shape sh = op->in_shape;
    const clbb_tensor *x = &op->in[0];
    int i = 1;
    const clbb_tensor *m = s->has_mul ? &op->in[i++] : x;
    const clbb_tensor *a = s->has_add ? &op->in[i++] : x;
    const clbb_tensor *r = s->has_res ? &op->in[i] : x;
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    cl_int C = sh.c, HW = sh.h * sh.w, ch = CA_CPU_CHUNK;
    /* the CPU kernel's chunk argument; a size of 0 ends the list for the other */
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, ca_name(op), CLBB_TENSOR_ARGS(x), CLBB_TENSOR_ARGS(m),
                                 CLBB_TENSOR_ARGS(a), CLBB_TENSOR_ARGS(r),
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &C, sizeof(cl_int),
                                 &HW, cpu ? sizeof ch : (size_t)0, (const void *)&ch,
                                 CLBB_ARGS_END));
    size_t gws[2], lws[2] = {1, 1};
    gws[1] = (size_t)sh.n * sh.c;
    if (cpu) {
        gws[0] = ((size_t)HW + CA_CPU_CHUNK - 1) / CA_CPU_CHUNK;
    } else {
        const size_t items = ((size_t)HW + CA_VEC - 1) / CA_VEC;
        lws[0] = items >= 256 ? 64 : items >= 32 ? 32 : 8;
        gws[0] = clbb__round_up(items, lws[0]);
    }
    return clbb__enqueue(op->ctx, s->k, 2, gws, lws, ca_name(op));
}

static void ca_destroy(clbb_op *op) {
    ca_state *s = op->impl;
    clbb__kernel_release(&s->k);
}

static const clbb_op_vtable CA_VT = {"channel_affine", CLBB_FAMILIES_BOTH, ca_reshape, ca_setup,
                                     ca_run, ca_destroy};

clbb_status clbb_channel_affine_create(clbb_context *ctx, int has_mul, int has_add, int residual,
                                       clbb_activation act, const clbb_op_options *options,
                                       clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "channel_affine: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, CA_VT.families, "channel_affine", &dtype, &family));
    CLBB_CHECK(clbb__activation_check(ctx, act, "channel_affine"));
    const int nin = 1 + (has_mul != 0) + (has_add != 0) + (residual != 0);
    CLBB_CHECK(clbb__op_new(ctx, &CA_VT, sizeof(ca_state), nin, dtype, family, out));
    ca_state *s = (*out)->impl;
    s->has_mul = has_mul != 0;
    s->has_add = has_add != 0;
    s->has_res = residual != 0;
    s->act = act;
    /* y may be x or the residual (each element is read before it is
     * written); mul and add have another shape */
    (*out)->in_flags[0] |= CLBB_IN_ALIAS;
    if (s->has_res) (*out)->in_flags[nin - 1] |= CLBB_IN_ALIAS;
    return clbb__done(ctx, CLBB_OK);
}
