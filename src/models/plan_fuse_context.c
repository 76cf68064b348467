/* GCNet's ContextBlock after conv3 (channel_add fusion), planned through
 * conv3's input. The graph computes y = BN(W h) (conv3, W: C x K, K = C/4
 * in a Bottleneck), a context pooled from y, t = mlp(context), then
 * relu(y + t + identity). With y_c = s_c (W h)_c + k_c (BN and bias
 * folded) both poolings are linear in y and their weights sum to one:
 *   logit_p = sum_c wm_c y_cp + bm = sum_j w'_j h_jp + b',
 *     w'_j = sum_c wm_c s_c W_cj,  b' = bm + sum_c wm_c k_c;
 *   sum_p a_p y_cp = s_c (W hbar)_c + k_c,  hbar = sum_p a_p h_p;
 * and the MLP's first conv absorbs that 1x1 map: W0' = W0 diag(s) W
 * (P x K), b0' = b0 + W0 k. So the plan pools h (K channels: a quarter of
 * y's bytes, read once for the logits and once for the sums), runs the MLP
 * on the K-channel context (context_mlp with K inputs, C outputs) and
 * gives t to conv3's epilogue (clbb_conv2d_options.output_add) with the
 * residual and ReLU: y is never written, and the channel_affine pass over
 * it is gone. Exact in real arithmetic; in floating point the sums are
 * reassociated (folded in double here, as the reference accumulates), so
 * the model checks compare this plan against the graph's literal
 * reference. Pooling 'avg' (a global average) folds the same way. */
#include <stdlib.h>
#include <string.h>

#include "plan_fuse.h"

/* conv3 as the fold needs it: 1x1, stride 1, no padding, one group, BN or
 * no norm, nothing fused yet. */
static int plain_conv3(const graph *g, const graph_node *c) {
    const clbb_conv2d_desc *d = &c->conv;
    return c->kind == NODE_CONV && d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 &&
           d->stride_w == 1 && d->dilation_h == 1 && d->dilation_w == 1 && !d->pad_top &&
           !d->pad_left && !d->pad_bottom && !d->pad_right && d->groups == 1 && c->gamma < 0 &&
           c->oc_off == 0 && (c->norm.kind == NORM_NONE || c->norm.kind == NORM_BN) &&
           c->in[NODE_RES].value < 0 && c->in[NODE_GATE].value < 0 &&
           c->act == CLBB_ACTIVATION_NONE && c->in[NODE_IN].view == TREF_SLICE &&
           clbb__fuse_same_ref(c->out, tref_all(c->out.value)) &&
           graph_tref_channels(g, c->out) == d->out_channels;
}

int clbb__match_context_block(const graph *g, int i) {
    if (i + 3 >= g->num_nodes) return 0;
    const graph_node *cv = &g->nodes[i], *pl = &g->nodes[i + 1], *ml = &g->nodes[i + 2],
                     *af = &g->nodes[i + 3];
    if (!plain_conv3(g, cv)) return 0;
    const int y = cv->out.value, c = cv->conv.out_channels;
    if ((pl->kind != NODE_CONTEXT_POOL && pl->kind != NODE_GAP) ||
        !clbb__fuse_same_ref(pl->in[NODE_IN], tref_all(y)) ||
        !clbb__fuse_same_ref(pl->out, tref_all(pl->out.value)) ||
        graph_tref_channels(g, pl->out) != c)
        return 0;
    if (ml->kind != NODE_CONTEXT_MLP || ml->act != CLBB_ACTIVATION_NONE ||
        !clbb__fuse_same_ref(ml->in[NODE_IN], pl->out) ||
        !clbb__fuse_same_ref(ml->out, tref_all(ml->out.value)) ||
        graph_tref_channels(g, ml->out) != c)
        return 0;
    if (af->kind != NODE_CHANNEL_AFFINE || af->in[NODE_AFF_MUL].value >= 0 ||
        !clbb__fuse_same_ref(af->in[NODE_IN], tref_all(y)) ||
        !clbb__fuse_same_ref(af->in[NODE_AFF_ADD], ml->out) ||
        !clbb__fuse_same_ref(af->out, tref_all(af->out.value)) ||
        (af->in[NODE_RES].value >= 0 && af->in[NODE_RES].view != TREF_SLICE))
        return 0;
    if (clbb__fuse_read_outside(g, y, i, i + 3) ||
        clbb__fuse_read_outside(g, pl->out.value, i, i + 3) ||
        clbb__fuse_read_outside(g, ml->out.value, i, i + 3))
        return 0;
    return 4;
}

typedef struct folded {
    float *wm;  /* K: the pooling logits' weights ('att') */
    float bm;
    float *w0;  /* P x K */
    float *b0;  /* P */
} folded;

/* w'_j = sum_c r_c s_c W_cj and sum_c r_c k_c for a row r of C weights
 * (double accumulation, as the references). */
static double fold_row(const float *r, const double *s, const double *k, const float *w, int C,
                       int K, double *acc, float *out) {
    double b = 0;
    for (int j = 0; j < K; j++) acc[j] = 0;
    for (int c = 0; c < C; c++) {
        const double a = (double)r[c] * s[c];
        const float *wr = w + (size_t)c * K;
        for (int j = 0; j < K; j++) acc[j] += a * wr[j];
        b += (double)r[c] * k[c];
    }
    for (int j = 0; j < K; j++) out[j] = (float)acc[j];
    return b;
}

static clbb_status fold(clbb_model *m, const graph_node *cv, const graph_node *pl,
                        const graph_node *ml, folded *f) {
    const graph *g = &m->g;
    const int C = cv->conv.out_channels, K = cv->conv.in_channels;
    const int P = (int)g->params[ml->weight].shape[0];
    float *scale, *shift;
    clbb_epilogue e;
    clbb_status st = clbb__node_epilogue(m, cv, &scale, &shift, &e);
    double *s = malloc((size_t)C * sizeof *s), *k = malloc((size_t)C * sizeof *k);
    double *acc = malloc((size_t)K * sizeof *acc);
    f->wm = malloc((size_t)K * sizeof *f->wm);
    f->w0 = malloc((size_t)P * K * sizeof *f->w0);
    f->b0 = malloc((size_t)P * sizeof *f->b0);
    if (st == CLBB_OK && (!s || !k || !acc || !f->wm || !f->w0 || !f->b0))
        st = clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    if (st == CLBB_OK) {
        const float *b3 = graph_pchan(g, cv->bias, 0), *w = g->params[cv->weight].data;
        for (int c = 0; c < C; c++) {
            s[c] = scale ? scale[c] : 1.0;
            k[c] = s[c] * (b3 ? b3[c] : 0.0) + (shift ? shift[c] : 0.0);
        }
        if (pl->kind == NODE_CONTEXT_POOL)
            f->bm = (float)(g->params[pl->bias].data[0] +
                            fold_row(g->params[pl->weight].data, s, k, w, C, K, acc, f->wm));
        const float *w0 = g->params[ml->weight].data, *b0 = g->params[ml->bias].data;
        for (int q = 0; q < P; q++)
            f->b0[q] = (float)(b0[q] + fold_row(w0 + (size_t)q * C, s, k, w, C, K, acc,
                                                f->w0 + (size_t)q * K));
    }
    free(scale);
    free(shift);
    free(s);
    free(k);
    free(acc);
    return st;
}

/* reshape to the first input, then setup */
static clbb_status bind(plan_op *po, const clbb_tensor **in, size_t n, const clbb_tensor *y) {
    CLBB_CHECK(clbb_op_reshape(po->op, clbb_tensor_shape(in[0]), NULL));
    return clbb_op_setup(po->op, in, n, y);
}

clbb_status clbb__plan_context_block(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *cv = &g->nodes[i], *pl = &g->nodes[i + 1], *ml = &g->nodes[i + 2],
                     *af = &g->nodes[i + 3];
    const int C = cv->conv.out_channels, K = cv->conv.in_channels;
    const int P = (int)g->params[ml->weight].shape[0];
    folded f = {0};
    clbb_status st = fold(m, cv, pl, ml, &f);
    clbb_op_options o;
    clbb__plan_options(m, &o);
    const clbb_shape hs = graph_tref_shape(g, cv->in[NODE_IN]);
    plan_op *pp = NULL, *pm = NULL;
    const clbb_tensor *h = NULL, *hbar = NULL, *t = NULL;
    /* the context of h: N x K x 1 x 1 */
    if (st == CLBB_OK) st = clbb__plan_push(m, i + 1, pl->kind == NODE_GAP ? "global_avg_pool"
                                                                           : "context_pool", &pp);
    if (st == CLBB_OK) {
        pp->out_node = -1;
        st = pl->kind == NODE_GAP ? clbb_global_avg_pool_create(m->ctx, &o, &pp->op)
                                  : clbb_context_pool_create(m->ctx, K, f.wm, f.bm, &o, &pp->op);
    }
    if (st == CLBB_OK) st = clbb__plan_view(m, pp, cv->in[NODE_IN], &h);
    if (st == CLBB_OK) st = clbb__plan_scratch(m, pp, (clbb_shape){hs.n, K, 1, 1}, &hbar);
    if (st == CLBB_OK) st = bind(pp, &h, 1, hbar);
    /* t = mlp(context): N x C x 1 x 1 */
    if (st == CLBB_OK) st = clbb__plan_push(m, i + 2, "context_mlp", &pm);
    if (st == CLBB_OK) {
        pm->out_node = -1;
        st = clbb_context_mlp_create(m->ctx, K, P, C, f.w0, f.b0,
                                     graph_pchan(g, ml->norm.weight, 0),
                                     graph_pchan(g, ml->norm.bias, 0), ml->norm.eps,
                                     g->params[ml->weight2].data, g->params[ml->bias2].data,
                                     CLBB_ACTIVATION_NONE, &o, &pm->op);
    }
    if (st == CLBB_OK) st = clbb__plan_scratch(m, pm, (clbb_shape){hs.n, C, 1, 1}, &t);
    if (st == CLBB_OK) st = bind(pm, &hbar, 1, t);
    free(f.wm);
    free(f.w0);
    free(f.b0);
    if (st != CLBB_OK) return st;
    /* conv3 with t, the residual and the activation in its epilogue,
     * writing the fusion's output */
    graph_node n3 = *cv;
    n3.in[NODE_RES] = af->in[NODE_RES];
    n3.act = af->act;
    n3.out = af->out;
    return clbb__node_conv_plan_as(m, i, &n3, t, i + 3);
}
