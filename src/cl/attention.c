/* attention op (cl/attention.cl): softmax(scale Q K) V without the score
 * matrix, CPU family. */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

#define AT_QB 8
#define AT_KB 8

typedef struct at_state {
    int32_t keys, vdim;
    float scale;
    size_t kp_off, vp_off;
    cl_kernel k_pack, k;
} at_state;

static clbb_status at_reshape(clbb_op *op, clbb_shape in) {
    at_state *s = op->impl;
    const int32_t dvp = (s->vdim + 7) / 8 * 8;
    op->out_shape = (clbb_shape){in.n, in.c, s->vdim, in.h};
    const double z = (double)in.n * in.c, Lq = in.h, D = in.w, Lk = s->keys, Dv = s->vdim;
    op->info.flops = 2.0 * z * Lq * Lk * (D + Dv);
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * z * (Lq * D + D * Lk + Lk * Dv + Dv * Lq);
    snprintf(op->info.algorithm, sizeof op->info.algorithm, "attention_cpu_q%dk%d", AT_QB, AT_KB);
    const double nqb = (in.h + AT_QB - 1) / AT_QB, nkb = (s->keys + AT_KB - 1) / AT_KB;
    const double qe = z * nqb * AT_QB * D, ke = z * nkb * AT_KB * D, ve = z * nkb * AT_KB * dvp;
    if (qe + ke + ve > INT32_MAX)
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "attention: the packed operands exceed 2^31-1 elements");
    s->kp_off = (size_t)qe;
    s->vp_off = (size_t)(qe + ke);
    const size_t ws = (size_t)(qe + ke + ve) * sizeof(float);
    CLBB_CHECK(clbb__scratch_reserve(op->ctx, ws, "attention panels"));
    op->info.workspace_bytes = ws;
    if (!s->k) {
        char opts[128];
        clbb__opt_dtype(opts, sizeof opts, op->dtype);
        clbb__opt_int(opts, sizeof opts, "DV", dvp);
        cl_program prog;
        CLBB_CHECK(clbb__program_get(op->ctx, "attention", opts, &prog));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "attention_pack", &s->k_pack));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "attention_cpu", &s->k));
    }
    return CLBB_OK;
}

static int int_extent(const clbb_tensor *t) {
    return t->offset + clbb__tensor_extent(t) <= (size_t)INT32_MAX;
}

static clbb_status at_setup(clbb_op *op) {
    at_state *s = op->impl;
    const clbb_shape q = op->in_shape;
    CLBB_CHECK(clbb__op_expect_shape(op, 1, (clbb_shape){q.n, q.c, q.w, s->keys}, "keys"));
    CLBB_CHECK(clbb__op_expect_shape(op, 2, (clbb_shape){q.n, q.c, s->keys, s->vdim}, "values"));
    for (int i = 0; i < 3; i++)
        if (!int_extent(&op->in[i]))
            return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                              "attention: input %d reaches beyond element 2^31-1", i);
    return CLBB_OK;
}

#define AT_INT(v) sizeof(cl_int), &(cl_int){(cl_int)(v)}
#define AT_VIEW(t) sizeof(cl_mem), &(t)->mem, AT_INT((t)->offset), AT_INT((t)->stride[0]), \
                   AT_INT((t)->stride[1]), AT_INT((t)->stride[2]), AT_INT((t)->stride[3])

static clbb_status at_run(clbb_op *op) {
    at_state *s = op->impl;
    const clbb_shape q = op->in_shape;
    const int32_t dvp = (s->vdim + 7) / 8 * 8;
    const size_t z = (size_t)q.n * q.c;
    const size_t nqb = (size_t)(q.h + AT_QB - 1) / AT_QB, nkb = (size_t)(s->keys + AT_KB - 1) / AT_KB;
    cl_mem ws = clbb__scratch(op->ctx);
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_pack, "attention_pack", AT_VIEW(&op->in[0]),
                                 AT_VIEW(&op->in[1]), AT_VIEW(&op->in[2]), sizeof(cl_mem), &ws,
                                 AT_INT(s->kp_off), AT_INT(s->vp_off), AT_INT(q.c), AT_INT(q.h),
                                 AT_INT(s->keys), AT_INT(q.w), AT_INT(s->vdim), CLBB_ARGS_END));
    size_t gp[3] = {(size_t)(q.w > dvp ? q.w : dvp), nqb > nkb * AT_KB ? nqb : nkb * AT_KB, z};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_pack, 3, gp, NULL, "attention_pack"));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, "attention_cpu", sizeof(cl_mem), &ws,
                                 AT_INT(s->kp_off), AT_INT(s->vp_off), CLBB_TENSOR_ARGS(&op->out),
                                 AT_INT(q.c), AT_INT(q.h), AT_INT(s->keys), AT_INT(q.w),
                                 AT_INT(s->vdim), sizeof(cl_float), &s->scale, CLBB_ARGS_END));
    size_t gws[3] = {nqb, 1, z}, lws[3] = {1, 1, 1};
    return clbb__enqueue(op->ctx, s->k, 3, gws, lws, "attention_cpu");
}

static void at_destroy(clbb_op *op) {
    at_state *s = op->impl;
    clbb__kernel_release(&s->k_pack);
    clbb__kernel_release(&s->k);
}

static const clbb_op_vtable AT_VT = {"attention", CLBB_FAMILY_BIT(CLBB_KERNEL_FAMILY_CPU),
                                     at_reshape, at_setup, at_run, at_destroy};

clbb_status clbb_attention_create(clbb_context *ctx, int32_t keys, int32_t value_channels,
                                  float scale, const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "attention: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, AT_VT.families, "attention", &dtype, &family));
    if (keys < 1 || value_channels < 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "attention: keys = %d, value_channels = %d (both >= 1)", keys,
                          value_channels);
    if (value_channels > 1024)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                          "attention: value_channels = %d (at most 1024: a work-item keeps "
                          "8 x value_channels accumulators)", value_channels);
    if (!isfinite(scale))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "attention: scale = %g (must be finite)",
                          (double)scale);
    CLBB_CHECK(clbb__op_new(ctx, &AT_VT, sizeof(at_state), 3, dtype, family, out));
    at_state *s = (*out)->impl;
    s->keys = keys;
    s->vdim = value_channels;
    s->scale = scale;
    for (int i = 0; i < 3; i++) (*out)->in_flags[i] |= CLBB_IN_ANY_LAYOUT;
    return clbb__done(ctx, CLBB_OK);
}
