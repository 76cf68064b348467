/* Deformable conv nodes (MMDetection's dcn: mmcv's DeformConv2dPack and
 * ModulatedDeformConv2dPack conv2): deform conv [+ BN or GN] [+ residual]
 * [+ act]. Inputs: NODE_IN, NODE_DCN_OFFSET (the conv_offset output's
 * first 2*dg*kh*kw channels), NODE_DCN_MASK (DCNv2: its last dg*kh*kw,
 * already through the sigmoid), NODE_RES. On the device BN folds into the
 * op's epilogue as for conv nodes; GN runs as a second op. */
#include <stdlib.h>

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

static clbb_status dcn_plan(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    float *scale, *shift;
    clbb_epilogue e;
    clbb_status st = clbb__node_epilogue(m, n, &scale, &shift, &e);
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.dtype = m->dtype;
    o.math = m->prec.math;
    plan_op *po = NULL;
    if (st == CLBB_OK) st = clbb__plan_push(m, i, "deform_conv2d", &po);
    const clbb_deform_conv2d_desc d = node_desc(n);
    if (st == CLBB_OK)
        st = clbb_deform_conv2d_create(m->ctx, &d, g->params[n->weight].data,
                                       graph_pchan(g, n->bias, 0), &e, &o, &po->op);
    free(scale);
    free(shift);
    CLBB_CHECK(st);
    const int gn = n->norm.kind == NORM_GN;
    const tref ins[4] = {n->in[NODE_IN], n->in[NODE_DCN_OFFSET],
                         n->modulated ? n->in[NODE_DCN_MASK] : tref_none(),
                         gn ? tref_none() : n->in[NODE_RES]};
    CLBB_CHECK(clbb__plan_bind(m, po, ins, 4, n->out));
    return clbb__node_plan_gn(m, i);
}

const node_kind_desc clbb__node_deform_conv = {"deform_conv", dcn_infer, dcn_reference,
                                               dcn_plan};
