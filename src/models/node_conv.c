/* Conv nodes: conv [+ bias] [+ BN or GN] [+ residual] [+ act], with an
 * optional SE gate on the input channels. Inputs: NODE_IN, NODE_RES,
 * NODE_GATE. On the device BN folds into the conv's epilogue; GN runs as a
 * second op in place on the conv output (its statistics need the whole
 * output), taking the residual and activation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static clbb_status conv_infer(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                              char *msg, size_t size) {
    (void)g;
    return clbb_conv2d_output_shape(&n->conv, in, out, msg, size);
}

static size_t weights_per_out(const graph_node *n) {
    return (size_t)(n->conv.in_channels / n->conv.groups) * n->conv.kernel_h * n->conv.kernel_w;
}

static void conv_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                           const float *const *in, float *y) {
    const float *w = g->params[n->weight].data + (size_t)n->oc_off * weights_per_out(n);
    clbb_ref_conv2d(&n->conv, shapes[NODE_IN], in[NODE_IN], w, graph_pchan(g, n->bias, n->oc_off),
                    NULL, NULL, in[NODE_GATE], y);
    clbb_shape os;
    clbb_conv2d_output_shape(&n->conv, shapes[NODE_IN], &os, NULL, 0);
    if (n->gamma >= 0) { /* GeneralizedAttention: gamma * proj_conv(out) + x */
        const float gm = g->params[n->gamma].data[0];
        for (size_t i = 0, e = clbb_shape_numel(os); i < e; i++) y[i] *= gm;
    }
    clbb__node_ref_norm(g, n, os, y, in[NODE_RES]);
}

static int pow2_ceil(long v) {
    int e = 0;
    while ((1L << e) < v) e++;
    return e;
}

void clbb__conv_key(const clbb_model *m, int node, char *buf, size_t size) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[node];
    const clbb_conv2d_desc *d = &n->conv;
    clbb_shape in = graph_tref_shape(g, n->in[NODE_IN]), o;
    clbb_conv2d_output_shape(d, in, &o, NULL, 0);
    const int gn = n->norm.kind == NORM_GN;
    /* a deformable conv (node_deform_conv.c) is keyed as its geometry with
     * its deform groups and mask: its kernel is another op's */
    char kind[32] = "conv";
    if (n->kind == NODE_DEFORM_CONV)
        snprintf(kind, sizeof kind, "deform dg%d m%d", n->deform_groups, n->modulated);
    snprintf(buf, size,
             "%s %s %d>%d g%d k%dx%d s%dx%d d%dx%d p%d,%d,%d,%d r%d g%d a%d | cols 2^%d w 2^%d",
             kind, clbb_dtype_name(m->dtype), d->in_channels, d->out_channels, d->groups, d->kernel_h,
             d->kernel_w, d->stride_h, d->stride_w, d->dilation_h, d->dilation_w, d->pad_top,
             d->pad_left, d->pad_bottom, d->pad_right, n->in[NODE_RES].value >= 0 && !gn,
             n->in[NODE_GATE].value >= 0, gn ? 0 : (int)n->act,
             pow2_ceil((long)o.n * o.h * o.w), pow2_ceil(o.w));
    /* the math is part of the key: the best tensor-core kernel says
     * nothing about the best strict one. fp32 keys carry no suffix, so
     * tables written before precision modes read as fp32. */
    if (m->prec.math != CLBB_MATH_FP32) {
        const size_t len = strlen(buf);
        if (len < size) snprintf(buf + len, size - len, " | math %s", clbb_math_name(m->prec.math));
    }
}

clbb_status clbb__node_epilogue(clbb_model *m, const graph_node *n, float **scale,
                                float **shift, clbb_epilogue *e) {
    const graph *g = &m->g;
    const graph_norm *nm = &n->norm;
    const int c = n->conv.out_channels, off = n->oc_off, gn = nm->kind == NORM_GN;
    *scale = *shift = NULL;
    clbb_status st = CLBB_OK;
    if (nm->kind == NORM_BN) {
        *scale = malloc((size_t)c * sizeof **scale);
        *shift = malloc((size_t)c * sizeof **shift);
        st = *scale && *shift
                 ? clbb__bn_fold(m->ctx, c, graph_pchan(g, nm->mean, off),
                                 graph_pchan(g, nm->var, off), graph_pchan(g, nm->weight, off),
                                 graph_pchan(g, nm->bias, off), nm->eps, *scale, *shift)
                 : clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    } else if (n->gamma >= 0) {
        /* GeneralizedAttention's gamma * (proj_conv + bias) + x */
        if (!(*scale = malloc((size_t)c * sizeof **scale)))
            return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
        for (int k = 0; k < c; k++) (*scale)[k] = g->params[n->gamma].data[0];
    }
    *e = (clbb_epilogue){*scale, *shift, n->in[NODE_RES].value >= 0 && !gn,
                         gn ? CLBB_ACTIVATION_NONE : n->act};
    return st;
}

/* The conv op of n (a graph node, or a fused plan's variant of one). */
static clbb_status conv_create(clbb_model *m, const graph_node *n, int output_add,
                               clbb_conv_algo algo, clbb_kernel_family family, const char *tuning,
                               clbb_op **op) {
    const graph *g = &m->g;
    float *scale, *shift;
    clbb_epilogue e;
    clbb_status st = clbb__node_epilogue(m, n, &scale, &shift, &e);
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.dtype = m->dtype;
    o.family = family;
    o.input_gate = n->in[NODE_GATE].value >= 0;
    o.output_add = output_add;
    o.algo = algo;
    o.math = m->prec.math;
    o.tuning = tuning && tuning[0] ? tuning : NULL;
    const float *w = g->params[n->weight].data + (size_t)n->oc_off * weights_per_out(n);
    if (st == CLBB_OK)
        st = clbb_conv2d_create(m->ctx, &n->conv, w, graph_pchan(g, n->bias, n->oc_off), &e, &o,
                                op);
    free(scale);
    free(shift);
    return st;
}

clbb_status clbb__node_conv_create(clbb_model *m, int node, clbb_conv_algo algo,
                                   clbb_kernel_family family, const char *tuning, clbb_op **op) {
    return conv_create(m, &m->g.nodes[node], 0, algo, family, tuning, op);
}

/* The tuned or forced choice for a layer, else AUTO. */
static void layer_choice(const clbb_model *m, int node, clbb_conv_algo *algo,
                         clbb_kernel_family *family, clbb_tuning_choice *c) {
    *algo = m->conv_algo;
    *family = CLBB_KERNEL_FAMILY_AUTO;
    memset(c, 0, sizeof *c);
    if (*algo != CLBB_CONV_ALGO_AUTO) return;
    char key[192];
    clbb__conv_key(m, node, key, sizeof key);
    if (!clbb__tuning_find(m->ctx, key, c)) return;
    for (int a = 1; a < CLBB_CONV_ALGO_COUNT; a++)
        if (!strcmp(clbb_conv_algo_name((clbb_conv_algo)a), c->algo)) *algo = (clbb_conv_algo)a;
    for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++)
        if (!strcmp(clbb_kernel_family_name((clbb_kernel_family)f), c->family))
            *family = (clbb_kernel_family)f;
}

static clbb_status conv_plan_with(clbb_model *m, int i, const graph_node *n, const clbb_tensor *add,
                                  clbb_conv_algo algo, clbb_kernel_family family,
                                  const char *tuning) {
    const int gn = n->norm.kind == NORM_GN;
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "conv2d", &po));
    CLBB_CHECK(conv_create(m, n, add != NULL, algo, family, tuning, &po->op));
    if (!add) {
        const tref ins[3] = {n->in[NODE_IN], gn ? tref_none() : n->in[NODE_RES], n->in[NODE_GATE]};
        return clbb__plan_bind(m, po, ins, 3, n->out);
    }
    /* setup order: x, residual, gate, add */
    const clbb_tensor *in[4], *y;
    size_t k = 0;
    const tref r[3] = {n->in[NODE_IN], n->in[NODE_RES], n->in[NODE_GATE]};
    for (int j = 0; j < 3; j++)
        if (r[j].value >= 0) CLBB_CHECK(clbb__plan_view(m, po, r[j], &in[k++]));
    in[k++] = add;
    CLBB_CHECK(clbb__plan_view(m, po, n->out, &y));
    CLBB_CHECK(clbb_op_reshape(po->op, clbb_tensor_shape(in[0]), NULL));
    return clbb_op_setup(po->op, in, k, y);
}

/* The layer's tuned or forced choice, else AUTO: a forced algorithm that
 * does not apply here, or a tuning row that does not fit this shape
 * (another driver's kernel names, a tile wider than the output), falls
 * back to the automatic choice. */
static clbb_status conv_plan_as(clbb_model *m, int i, const graph_node *n,
                                const clbb_tensor *add) {
    clbb_conv_algo algo;
    clbb_kernel_family family;
    clbb_tuning_choice c;
    layer_choice(m, i, &algo, &family, &c);
    const int start = m->p.num_ops;
    clbb_status st = conv_plan_with(m, i, n, add, algo, family, c.params);
    if ((st == CLBB_ERR_UNSUPPORTED || st == CLBB_ERR_INVALID_ARGUMENT) &&
        (algo != CLBB_CONV_ALGO_AUTO || family != CLBB_KERNEL_FAMILY_AUTO || c.params[0])) {
        clbb__plan_truncate(m, start);
        st = conv_plan_with(m, i, n, add, CLBB_CONV_ALGO_AUTO, CLBB_KERNEL_FAMILY_AUTO, NULL);
    }
    return st;
}

clbb_status clbb__node_conv_plan_as(clbb_model *m, int i, const graph_node *n,
                                    const clbb_tensor *add, int out_node) {
    CLBB_CHECK(conv_plan_as(m, i, n, add));
    m->p.ops[m->p.num_ops - 1].out_node = out_node;
    return CLBB_OK;
}

static clbb_status conv_plan(clbb_model *m, int i) {
    CLBB_CHECK(conv_plan_as(m, i, &m->g.nodes[i], NULL));
    return clbb__node_plan_gn(m, i);
}

clbb_status clbb__node_plan_gn(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    if (n->norm.kind != NORM_GN) return CLBB_OK;
    const graph_norm *nm = &n->norm;
    const int off = n->oc_off;
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *pg;
    CLBB_CHECK(clbb__plan_push(m, i, "group_norm", &pg));
    CLBB_CHECK(clbb_group_norm_create(m->ctx, n->conv.out_channels, nm->groups,
                                      graph_pchan(g, nm->weight, off), graph_pchan(g, nm->bias, off),
                                      nm->eps, n->in[NODE_RES].value >= 0, n->act, &o, &pg->op));
    const tref ins[2] = {n->out, n->in[NODE_RES]}; /* in place on the conv output */
    return clbb__plan_bind(m, pg, ins, 2, n->out);
}

const node_kind_desc clbb__node_conv = {"conv", conv_infer, conv_reference, conv_plan};
