/* Attention node kinds (NonLocal2d; usable by any plugin). softmax: of
 * alpha * NODE_IN over its last axis (in place allowed). matmul:
 * act(alpha * NODE_IN . NODE_MM_B) per (n, c), both any view. pair_proj:
 * one half of NonLocal2d's concatenation projection as a 1x1 conv to two
 * channels, the projection of its input by half oc_off of weight
 * (concat_project.conv.weight) and a channel of ones, so that the matmul of
 * the theta half [w1.theta, 1] (M x 2) with the phi half [1, w2.phi]
 * (2 x P) is w1.theta_i + w2.phi_j. */
#include <stdlib.h>

#include "model_internal.h"

static void softmax_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                              const float *const *in, float *y) {
    (void)g;
    clbb_ref_softmax(shapes[NODE_IN], n->alpha, in[NODE_IN], y);
}

static clbb_status softmax_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "softmax", &po));
    CLBB_CHECK(clbb_softmax_create(m->ctx, n->alpha, &o, &po->op));
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

static clbb_status matmul_infer(const graph *g, const graph_node *n, clbb_shape a,
                                clbb_shape *out, char *msg, size_t size) {
    clbb_shape b = graph_tref_shape(g, n->in[NODE_MM_B]);
    if (a.n != b.n || a.c != b.c || a.w != b.h)
        return clbb__fail_buf(msg, size, CLBB_ERR_SHAPE, "matmul of %dx%dx%dx%d by %dx%dx%dx%d",
                              a.n, a.c, a.h, a.w, b.n, b.c, b.h, b.w);
    *out = (clbb_shape){a.n, a.c, a.h, b.w};
    return CLBB_OK;
}

static void matmul_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                             const float *const *in, float *y) {
    (void)g;
    const clbb_shape a = shapes[NODE_IN], b = shapes[NODE_MM_B];
    const float alpha = n->alpha_per_col ? n->alpha / (float)b.w : n->alpha;
    clbb_ref_matmul(a.n, a.c, a.h, a.w, b.w, alpha, in[NODE_IN], in[NODE_MM_B], n->act, y);
}

static clbb_status matmul_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    const clbb_shape b = graph_tref_shape(&m->g, n->in[NODE_MM_B]);
    const float alpha = n->alpha_per_col ? n->alpha / (float)b.w : n->alpha;
    CLBB_CHECK(clbb__plan_push(m, i, "matmul", &po));
    CLBB_CHECK(clbb_matmul_create(m->ctx, b.w, alpha, n->act, &o, &po->op));
    const tref ins[2] = {n->in[NODE_IN], n->in[NODE_MM_B]};
    return clbb__plan_bind(m, po, ins, 2, n->out);
}

static clbb_status pair_infer(const graph *g, const graph_node *n, clbb_shape in,
                              clbb_shape *out, char *msg, size_t size) {
    (void)g;
    return clbb_conv2d_output_shape(&n->conv, in, out, msg, size);
}

/* The 2 x inter weights and the bias of the half's conv (malloc'ed). */
static float *pair_weights(const graph *g, const graph_node *n, float bias[2]) {
    const int inter = n->conv.in_channels, half = n->oc_off, ones = 1 - half;
    float *w = calloc((size_t)2 * inter, sizeof *w);
    if (!w) return NULL;
    const float *src = g->params[n->weight].data + (size_t)half * inter;
    for (int c = 0; c < inter; c++) w[(size_t)half * inter + c] = src[c];
    bias[half] = 0.0f;
    bias[ones] = 1.0f;
    return w;
}

static void pair_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                           const float *const *in, float *y) {
    float bias[2];
    float *w = pair_weights(g, n, bias);
    if (!w) abort(); /* a few floats; the reference has no error path here */
    clbb_ref_conv2d(&n->conv, shapes[NODE_IN], in[NODE_IN], w, bias, NULL, NULL, NULL, y);
    free(w);
}

static clbb_status pair_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    float bias[2];
    float *w = pair_weights(&m->g, n, bias);
    if (!w) return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    plan_op *po;
    clbb_status st = clbb__plan_push(m, i, "conv2d", &po);
    if (st == CLBB_OK) {
        clbb_epilogue e = {NULL, NULL, 0, CLBB_ACTIVATION_NONE};
        clbb_conv2d_options o;
        clbb_conv2d_options_init(&o);
        o.dtype = m->dtype;
        st = clbb_conv2d_create(m->ctx, &n->conv, w, bias, &e, &o, &po->op);
    }
    free(w);
    CLBB_CHECK(st);
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

const node_kind_desc clbb__node_softmax = {"softmax", graph_infer_same, softmax_reference,
                                           softmax_plan};
const node_kind_desc clbb__node_matmul = {"matmul", matmul_infer, matmul_reference, matmul_plan};
const node_kind_desc clbb__node_pair_proj = {"pair_proj", pair_infer, pair_reference, pair_plan};
