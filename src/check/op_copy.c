/* Conformance cases of copy: permuted views of dense tensors (the
 * attention transposes (N, C, HW) -> (N, HW, C), and odd permutations)
 * made dense, in the op's dtype from either dtype. */
#include <stdio.h>
#include <string.h>

#include "check.h"

typedef struct copy_params {
    int perm[4];
} copy_params;

typedef struct copy_geom {
    const char *name;
    int n, c, h, w;
    int perm[4];
    int quick;
} copy_geom;

static const copy_geom COPIES[] = {
    {"identity", 2, 3, 5, 7, {0, 1, 2, 3}, 1},
    {"nc_hw_transpose", 2, 16, 1, 49, {0, 3, 2, 1}, 1},
    {"nchw_to_nhwc", 1, 5, 7, 9, {0, 2, 3, 1}, 0},
    {"hw_swap", 3, 4, 6, 5, {0, 1, 3, 2}, 0},
    {"batch_last", 2, 3, 4, 5, {1, 2, 3, 0}, 0},
    {"r50_c5_attention", 1, 64, 1, 196, {0, 3, 2, 1}, 0},
};

extern const check_op clbb__check_copy;

static void copy_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(COPIES); i++) {
        const copy_geom *g = &COPIES[i];
        if (quick && !g->quick) continue;
        check_case *c = check_push(l, &clbb__check_copy, dtype);
        if (!c) return;
        c->quick = g->quick;
        c->in = (clbb_shape){g->n, g->c, g->h, g->w};
        memcpy(CHECK_PARAMS(c, copy_params)->perm, g->perm, sizeof g->perm);
        snprintf(c->name, sizeof c->name, "%s", g->name);
    }
}

/* c->in is the dense parent; the op sees its permutation */
static clbb_status copy_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    const int *p = CHECK_PARAMS(c, copy_params)->perm;
    const int32_t d[4] = {c->in.n, c->in.c, c->in.h, c->in.w};
    *o = (clbb_shape){d[p[0]], d[p[1]], d[p[2]], d[p[3]]};
    return CLBB_OK;
}

static clbb_status copy_data(const check_case *c, uint64_t *rng, check_data *d) {
    d->num_inputs = 1;
    d->shape[0] = c->in;
    d->permuted[0] = 1;
    memcpy(d->perm, CHECK_PARAMS(c, copy_params)->perm, sizeof d->perm);
    d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -1, 1);
    return d->in[0] ? CLBB_OK : CLBB_ERR_OUT_OF_MEMORY;
}

static clbb_status copy_create(clbb_context *ctx, const check_case *c, const check_data *d,
                               clbb_op **op) {
    (void)d;
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_copy_create(ctx, &o, op);
}

static void copy_reference(const check_case *c, check_data *d) {
    clbb_ref_permute(c->in, d->in[0], CHECK_PARAMS(c, copy_params)->perm, d->ref);
}

/* a copy is exact */
const check_op clbb__check_copy = {
    .name = "copy",
    .cases = copy_cases,
    .out_shape = copy_out_shape,
    .make_data = copy_data,
    .create = copy_create,
    .reference = copy_reference,
    .tol = {[CLBB_PRECISION_FP32] = {0, 0, 0}, [CLBB_PRECISION_FP16] = {0, 0, 0}},
};
