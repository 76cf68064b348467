/* Conformance cases of context_pool, both kernel families: one position,
 * odd planes, a batch, planes shorter and longer than a work-group and a
 * float8, channel views, ContextBlock's real shapes on ResNet-50 at
 * 800 x 1344 (c3, c4, c5) and the fused plan's (conv3's input), both GPU
 * paths' edges (512 and 513 channels). */
#include <math.h>
#include <stdio.h>

#include "check.h"

typedef struct cp_geom {
    const char *name;
    int n, c, h, w, quick;
} cp_geom;

static const cp_geom CP_GEOMS[] = {
    {"one", 1, 1, 1, 1, 1},          {"odd", 2, 3, 7, 13, 1},
    {"vec_edge", 1, 5, 1, 9, 0},     {"batch4", 4, 16, 9, 9, 0},
    {"wide_plane", 1, 2, 33, 65, 0}, {"gc_r50_c3", 1, 512, 100, 168, 0},
    {"gc_r50_c4", 1, 1024, 50, 84, 0}, {"gc_r50_c5", 2, 2048, 25, 42, 0},
    /* the fused GCNet plan's contexts of conv3's input (the two-kernel GPU
     * path up to 512 channels: 4, 8 and 16 channel groups), its edges */
    {"fused_c3", 1, 128, 100, 168, 0}, {"fused_c4", 2, 256, 50, 84, 0},
    {"fused_c5", 1, 512, 25, 42, 1},   {"groups_edge", 3, 63, 5, 7, 1},
    {"split_edge", 1, 513, 6, 5, 1},
};

extern const check_op clbb__check_context_pool;

static void cp_cases(case_list *l, int quick, clbb_dtype dtype) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(CP_GEOMS); i++) {
        const cp_geom *g = &CP_GEOMS[i];
        if (quick && !g->quick) continue;
        for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++) {
            check_case *c = check_push(l, &clbb__check_context_pool, dtype);
            if (!c) return;
            c->quick = g->quick;
            c->in = (clbb_shape){g->n, g->c, g->h, g->w};
            c->family = (clbb_kernel_family)f;
            c->views = (int)(i % 2);
            snprintf(c->name, sizeof c->name, "%s%s/%s", g->name, c->views ? "/view" : "",
                     clbb_kernel_family_name((clbb_kernel_family)f));
        }
    }
}

static clbb_status cp_out_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    *o = (clbb_shape){c->in.n, c->in.c, 1, 1};
    return CLBB_OK;
}

enum { P_WEIGHT, P_BIAS };

/* weights ~ 1/sqrt(C) keep the logits O(1) (a peaked but not one-hot
 * softmax) */
static clbb_status cp_data(const check_case *c, uint64_t *rng, check_data *d) {
    const float r = 3.0f / sqrtf((float)c->in.c);
    d->num_inputs = 1;
    d->shape[0] = c->in;
    if (!(d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -1, 1)) ||
        !(d->param[P_WEIGHT] = check_rand((size_t)c->in.c, rng, -r, r)) ||
        !(d->param[P_BIAS] = check_rand(1, rng, -1, 1)))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

static clbb_status cp_create(clbb_context *ctx, const check_case *c, const check_data *d,
                             clbb_op **op) {
    clbb_op_options o;
    check_op_options(c, &o);
    return clbb_context_pool_create(ctx, c->in.c, d->param[P_WEIGHT], d->param[P_BIAS][0], &o, op);
}

static void cp_reference(const check_case *c, check_data *d) {
    clbb_ref_context_pool(c->in, d->in[0], d->param[P_WEIGHT], d->param[P_BIAS][0], d->ref);
}

static double cp_work(const check_case *c) { return 2.0 * (double)clbb_shape_numel(c->in); }

/* The outputs are weighted means of values in [-1, 1]: the fp32 sums over
 * up to 16800 positions (weights and values) and over up to 2048 channels
 * (the logits, whose error e becomes a relative e in a weight) cost a few
 * 1e-7 absolute on an O(0.1) output; cancellation makes the output far
 * smaller than its terms, hence the absolute bound and the RMS floor at
 * the outputs' scale. F16: the output's rounding (2^-11 relative) and the
 * logits' inputs, already rounded alike. */
const check_op clbb__check_context_pool = {
    .name = "context_pool",
    .cases = cp_cases,
    .out_shape = cp_out_shape,
    .make_data = cp_data,
    .create = cp_create,
    .reference = cp_reference,
    .tol = {[CLBB_PRECISION_FP32] = {1e-5, 2e-6, 1e-5}, [CLBB_PRECISION_FP16] = {2e-3, 1e-4, 1e-3}},
    .rms_floor = 0.01,
    .work = cp_work,
};
