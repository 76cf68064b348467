/* Deformable conv nodes (MMDetection's dcn: mmcv's DeformConv2dPack and
 * ModulatedDeformConv2dPack conv2): deform conv [+ BN or GN] [+ residual]
 * [+ act]. Inputs: NODE_IN, NODE_DCN_OFFSET (the conv_offset output's
 * first 2*dg*kh*kw channels), NODE_DCN_MASK (DCNv2: its last dg*kh*kw,
 * already through the sigmoid), NODE_RES. On the device BN folds into the
 * op's epilogue as for conv nodes; GN runs as a second op. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static clbb_deform_conv2d_desc node_desc(const graph_node *n) {
    /* DCNv2's mask slice holds conv_offset's logits (build.c) */
    return (clbb_deform_conv2d_desc){n->conv, n->deform_groups, n->modulated, n->modulated};
}

static clbb_status dcn_infer(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                             char *msg, size_t size) {
    (void)g;
    const clbb_deform_conv2d_desc d = node_desc(n);
    return clbb_deform_conv2d_output_shape(&d, in, out, msg, size);
}

static void dcn_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                          const float *const *in, float *y) {
    const clbb_deform_conv2d_desc d = node_desc(n);
    clbb_ref_deform_conv2d(&d, shapes[NODE_IN], in[NODE_IN], in[NODE_DCN_OFFSET],
                           n->modulated ? in[NODE_DCN_MASK] : NULL, g->params[n->weight].data,
                           graph_pchan(g, n->bias, 0), NULL, NULL, y);
    clbb_shape os;
    clbb_deform_conv2d_output_shape(&d, shapes[NODE_IN], &os, NULL, 0);
    clbb__node_ref_norm(g, n, os, y, in[NODE_RES]);
}

clbb_status clbb__node_deform_create(clbb_model *m, int node, clbb_kernel_family family,
                                     const char *tuning, clbb_op **op) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[node];
    float *scale, *shift;
    clbb_epilogue e;
    clbb_status st = clbb__node_epilogue(m, n, &scale, &shift, &e);
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.dtype = m->dtype;
    o.math = m->prec.math;
    o.family = family;
    o.tuning = tuning && tuning[0] ? tuning : NULL;
    const clbb_deform_conv2d_desc d = node_desc(n);
    if (st == CLBB_OK)
        st = clbb_deform_conv2d_create(m->ctx, &d, g->params[n->weight].data,
                                       graph_pchan(g, n->bias, 0), &e, &o, op);
    free(scale);
    free(shift);
    return st;
}

static clbb_status dcn_plan_with(clbb_model *m, int i, clbb_kernel_family family,
                                 const char *tuning) {
    const graph_node *n = &m->g.nodes[i];
    plan_op *po = NULL;
    CLBB_CHECK(clbb__plan_push(m, i, "deform_conv2d", &po));
    CLBB_CHECK(clbb__node_deform_create(m, i, family, tuning, &po->op));
    const int gn = n->norm.kind == NORM_GN;
    const tref ins[4] = {n->in[NODE_IN], n->in[NODE_DCN_OFFSET],
                         n->modulated ? n->in[NODE_DCN_MASK] : tref_none(),
                         gn ? tref_none() : n->in[NODE_RES]};
    return clbb__plan_bind(m, po, ins, 4, n->out);
}

/* The layer's tuned tile (`clbb tune`, a "deform ..." key), else the shape
 * policy; a row that does not fit (another family, a tile this shape or
 * device refuses) falls back to the policy, as for conv layers. */
static clbb_status dcn_plan(clbb_model *m, int i) {
    clbb_tuning_choice c;
    memset(&c, 0, sizeof c);
    clbb_kernel_family family = CLBB_KERNEL_FAMILY_AUTO;
    char key[192];
    clbb__conv_key(m, i, key, sizeof key);
    if (clbb__tuning_find(m->ctx, key, &c))
        for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++)
            if (!strcmp(clbb_kernel_family_name((clbb_kernel_family)f), c.family))
                family = (clbb_kernel_family)f;
    const int start = m->p.num_ops;
    clbb_status st = dcn_plan_with(m, i, family, c.params);
    if ((st == CLBB_ERR_UNSUPPORTED || st == CLBB_ERR_INVALID_ARGUMENT) &&
        (family != CLBB_KERNEL_FAMILY_AUTO || c.params[0])) {
        clbb__plan_truncate(m, start);
        st = dcn_plan_with(m, i, CLBB_KERNEL_FAMILY_AUTO, NULL);
    }
    CLBB_CHECK(st);
    return clbb__node_plan_gn(m, i);
}

const node_kind_desc clbb__node_deform_conv = {"deform_conv", dcn_infer, dcn_reference,
                                               dcn_plan};
