/* GeneralizedAttention's core node: energy, mask, softmax and the value
 * sum as one op (clbb_gen_attention_create). Inputs: NODE_IN the module
 * input (its shape gives the query and key grids), NODE_GA_V the value
 * projection, NODE_GA_K / NODE_GA_Q the key and query projections where
 * the attention type has them. The 1x1 convs, the subsampling, proj_conv
 * and the gamma residual are conv and pool nodes around it. */
#include <stdio.h>

#include "model_internal.h"

static clbb_status ga_infer(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                            char *msg, size_t size) {
    (void)g;
    const clbb_gen_attention_desc *d = &n->attn;
    if (clbb__ga_desc_error(d, msg, size)) return CLBB_ERR_INVALID_ARGUMENT;
    int hq, wq, hk, wk;
    clbb__ga_grids(d, in, &hq, &wq, &hk, &wk);
    if (clbb__ga_transposed(d->attention_type) && hq != wq) {
        snprintf(msg, size,
                 "attention_type '%c%c%c%c' reads the query at the transposed position (as "
                 "mmcv does): it needs a square map, not %dx%d",
                 '0' + (d->attention_type & 1), '0' + ((d->attention_type >> 1) & 1),
                 '0' + ((d->attention_type >> 2) & 1), '0' + ((d->attention_type >> 3) & 1), hq,
                 wq);
        return CLBB_ERR_SHAPE;
    }
    *out = (clbb_shape){in.n, d->num_heads * d->v_dim, hq, wq};
    return CLBB_OK;
}

static void ga_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                         const float *const *in, float *y) {
    const float *p[GA_NUM_PARAMS];
    for (int i = 0; i < GA_NUM_PARAMS; i++) p[i] = graph_pchan(g, n->attn_params[i], 0);
    clbb_ref_gen_attention(&n->attn, shapes[NODE_IN], in[NODE_GA_V], in[NODE_GA_K],
                           in[NODE_GA_Q], p[GA_APPR_BIAS], p[GA_GEOM_BIAS], p[GA_FC_X],
                           p[GA_FC_Y], y);
}

static clbb_status ga_plan(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    const float *p[GA_NUM_PARAMS];
    for (int k = 0; k < GA_NUM_PARAMS; k++) p[k] = graph_pchan(g, n->attn_params[k], 0);
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "gen_attention", &po));
    CLBB_CHECK(clbb_gen_attention_create(m->ctx, &n->attn, p[GA_APPR_BIAS], p[GA_GEOM_BIAS],
                                         p[GA_FC_X], p[GA_FC_Y], &o, &po->op));
    const tref ins[4] = {n->in[NODE_IN], n->in[NODE_GA_V], n->in[NODE_GA_K], n->in[NODE_GA_Q]};
    return clbb__plan_bind(m, po, ins, 4, n->out);
}

const node_kind_desc clbb__node_gen_attention = {"gen_attention", ga_infer, ga_reference,
                                                 ga_plan};

static clbb_status up_infer(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                            char *msg, size_t size) {
    const clbb_shape z = graph_tref_shape(g, n->in[NODE_UP_Z]);
    if (z.c != in.c) {
        snprintf(msg, size, "the upsampled input has %d channels, x %d", z.c, in.c);
        return CLBB_ERR_SHAPE;
    }
    *out = in;
    return CLBB_OK;
}

static void up_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                         const float *const *in, float *y) {
    (void)g;
    (void)n;
    clbb_ref_upsample_add(shapes[NODE_IN], in[NODE_IN], shapes[NODE_UP_Z], in[NODE_UP_Z], y);
}

static clbb_status up_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "upsample_add", &po));
    CLBB_CHECK(clbb_upsample_add_create(m->ctx, &o, &po->op));
    const tref ins[2] = {n->in[NODE_IN], n->in[NODE_UP_Z]};
    return clbb__plan_bind(m, po, ins, 2, n->out);
}

const node_kind_desc clbb__node_upsample_add = {"upsample_add", up_infer, up_reference, up_plan};
