/* Device planning of a model for one input shape: BN folded into the
 * preceding conv, residual add and activation fused into its epilogue, SE
 * gate fused into the consumer conv, Ghost concat through channel views;
 * activation buffers shared by liveness; then execution with no host
 * synchronization between ops. Models are built only on the op API. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

void clbb__plan_free(clbb_model *m) {
    plan *p = &m->p;
    for (int i = 0; i < p->num_ops; i++) {
        clbb_op_destroy(p->ops[i].op);
        for (int k = 0; k < p->ops[i].num_views; k++) clbb_tensor_destroy(p->ops[i].views[k]);
    }
    free(p->ops);
    if (p->values)
        for (int v = 0; v < m->g.num_values; v++) clbb_tensor_destroy(p->values[v]);
    free(p->values);
    for (int s = 0; p->slots && s < p->num_slots; s++) clbb__buffer_release(m->ctx, p->slots[s]);
    free(p->slots);
    free(p->slot_bytes);
    free(p->value_slot);
    memset(p, 0, sizeof *p);
}

static size_t value_bytes(const graph *g, int v) {
    return clbb_shape_numel(g->values[v].shape) * sizeof(float);
}

/* Liveness: [def, last] per value in node indices; slots reused greedily. */
static clbb_status assign_slots(clbb_model *m) {
    const graph *g = &m->g;
    plan *p = &m->p;
    int nv = g->num_values;
    int *def = malloc((size_t)nv * sizeof *def), *last = malloc((size_t)nv * sizeof *last);
    int *order = malloc((size_t)nv * sizeof *order), *slot_last = malloc((size_t)nv * sizeof *slot_last);
    p->value_slot = malloc((size_t)nv * sizeof *p->value_slot);
    p->slot_bytes = calloc((size_t)nv, sizeof *p->slot_bytes);
    if (!def || !last || !order || !slot_last || !p->value_slot || !p->slot_bytes) {
        free(def); free(last); free(order); free(slot_last);
        return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    }
    for (int v = 0; v < nv; v++) {
        def[v] = INT_MAX;
        last[v] = -1;
        p->value_slot[v] = -1;
    }
    def[g->input] = -1;
    for (int i = 0; i < g->num_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        if (def[n->out.value] == INT_MAX) def[n->out.value] = i;
        tref r[4] = {n->in, n->residual, n->gate, n->out};
        for (int k = 0; k < 4; k++)
            if (r[k].value >= 0 && last[r[k].value] < i) last[r[k].value] = i;
    }
    for (int o = 0; o < g->num_outputs; o++) last[g->outputs[o]] = INT_MAX;
    int cnt = 0;
    for (int v = 0; v < nv; v++)
        if (def[v] != INT_MAX) order[cnt++] = v;
    for (int i = 1; i < cnt; i++) /* insertion sort by definition */
        for (int j = i; j > 0 && def[order[j]] < def[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    double naive = 0;
    for (int i = 0; i < cnt; i++) {
        int v = order[i];
        size_t need = value_bytes(g, v);
        naive += (double)need;
        int best = -1;
        for (int s = 0; s < p->num_slots; s++) {
            if (slot_last[s] >= def[v]) continue;
            if (best < 0) {
                best = s;
                continue;
            }
            size_t bs = p->slot_bytes[best], ss = p->slot_bytes[s];
            int s_fits = ss >= need, b_fits = bs >= need;
            if ((s_fits && (!b_fits || ss < bs)) || (!s_fits && !b_fits && ss > bs)) best = s;
        }
        if (best < 0) best = p->num_slots++;
        if (p->slot_bytes[best] < need) p->slot_bytes[best] = need;
        slot_last[best] = last[v];
        p->value_slot[v] = best;
    }
    p->mem.naive_activation_bytes = (uint64_t)naive;
    free(def); free(last); free(order); free(slot_last);
    return CLBB_OK;
}

static clbb_status check_fits(clbb_model *m) {
    plan *p = &m->p;
    const clbb_device_info *d = &m->ctx->info;
    double act = 0, weights = 0;
    for (int v = 0; v < m->g.num_values; v++)
        if (clbb_shape_numel(m->g.values[v].shape) > (size_t)INT32_MAX)
            return clbb__fail(m->ctx, CLBB_ERR_DEVICE_MEMORY,
                              "input %dx%dx%dx%d needs a %.1f MiB activation of more than 2^31-1 "
                              "elements, beyond what clbb's kernels index",
                              p->input.n, p->input.c, p->input.h, p->input.w,
                              4.0 * clbb_shape_numel(m->g.values[v].shape) / 1048576.0);
    for (int s = 0; s < p->num_slots; s++) {
        act += (double)p->slot_bytes[s];
        if (d->max_alloc_bytes && p->slot_bytes[s] > d->max_alloc_bytes)
            return clbb__fail(m->ctx, CLBB_ERR_DEVICE_MEMORY,
                              "input %dx%dx%dx%d needs an activation buffer of %.1f MiB; the "
                              "device's max allocation is %.1f MiB",
                              p->input.n, p->input.c, p->input.h, p->input.w,
                              p->slot_bytes[s] / 1048576.0, d->max_alloc_bytes / 1048576.0);
    }
    for (int i = 0; i < m->g.num_params; i++) weights += 4.0 * (double)m->g.params[i].numel;
    if (d->global_mem_bytes && act + weights > (double)d->global_mem_bytes)
        return clbb__fail(m->ctx, CLBB_ERR_DEVICE_MEMORY,
                          "input %dx%dx%dx%d needs %.1f MiB of activations and %.1f MiB of "
                          "weights; the device has %.1f MiB",
                          p->input.n, p->input.c, p->input.h, p->input.w, act / 1048576.0,
                          weights / 1048576.0, d->global_mem_bytes / 1048576.0);
    return CLBB_OK;
}

static clbb_status view_of(clbb_model *m, plan_op *po, tref r, const clbb_tensor **out) {
    const graph *g = &m->g;
    clbb_tensor *whole = m->p.values[r.value];
    int c = graph_tref_channels(g, r);
    if (r.c0 == 0 && c == g->values[r.value].channels) {
        *out = whole;
        return CLBB_OK;
    }
    clbb_tensor *v;
    CLBB_CHECK(clbb_tensor_view_channels(m->ctx, whole, r.c0, c, &v));
    po->views[po->num_views++] = v;
    *out = v;
    return CLBB_OK;
}

static clbb_status fold_bn(clbb_model *m, const graph_norm *nm, int off, int c, float **scale,
                           float **shift) {
    const graph *g = &m->g;
    *scale = malloc((size_t)c * sizeof(float));
    *shift = malloc((size_t)c * sizeof(float));
    if (!*scale || !*shift) return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    for (int i = 0; i < c; i++) {
        double w = g->params[nm->weight].data[off + i], b = g->params[nm->bias].data[off + i];
        double mu = g->params[nm->mean].data[off + i], var = g->params[nm->var].data[off + i];
        double a = w / sqrt(var + (double)nm->eps);
        (*scale)[i] = (float)a;
        (*shift)[i] = (float)(b - mu * a);
    }
    return CLBB_OK;
}

static const float *pch(const graph *g, int p, int off) {
    return p >= 0 ? g->params[p].data + off : NULL;
}

static plan_op *push_op(plan *p, int node, const char *kind) {
    plan_op *po = &p->ops[p->num_ops++];
    memset(po, 0, sizeof *po);
    po->node = node;
    clbb__strlcpy(po->kind, kind, sizeof po->kind);
    return po;
}

void clbb__conv_key(const graph *g, const graph_node *n, char *buf, size_t size) {
    const clbb_conv2d_desc *d = &n->conv;
    clbb_shape in = g->values[n->in.value].shape;
    int gn = n->norm.kind == NORM_GN;
    snprintf(buf, size, "conv %d>%d g%d k%dx%d s%dx%d d%dx%d p%d,%d,%d,%d r%d g%d a%d | %dx%dx%d",
             d->in_channels, d->out_channels, d->groups, d->kernel_h, d->kernel_w, d->stride_h,
             d->stride_w, d->dilation_h, d->dilation_w, d->pad_top, d->pad_left, d->pad_bottom,
             d->pad_right, n->residual.value >= 0 && !gn, n->gate.value >= 0,
             gn ? 0 : (int)n->act, in.n, in.h, in.w);
}

clbb_status clbb__node_conv_create(clbb_model *m, int i, clbb_conv_algo algo, const char *tuning,
                                   clbb_op **op) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    const graph_norm *nm = &n->norm;
    int c = n->conv.out_channels, off = n->oc_off;
    size_t per = (size_t)(n->conv.in_channels / n->conv.groups) * n->conv.kernel_h * n->conv.kernel_w;
    float *scale = NULL, *shift = NULL;
    clbb_status st = nm->kind == NORM_BN ? fold_bn(m, nm, off, c, &scale, &shift) : CLBB_OK;
    int gn = nm->kind == NORM_GN;
    clbb_epilogue e = {scale, shift, n->residual.value >= 0 && !gn, gn ? CLBB_ACTIVATION_NONE : n->act};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.input_gate = n->gate.value >= 0;
    o.algo = algo;
    o.tuning = tuning && tuning[0] ? tuning : NULL;
    const float *w = g->params[n->weight].data + (size_t)off * per;
    if (st == CLBB_OK) st = clbb_conv2d_create(m->ctx, &n->conv, w, pch(g, n->bias, off), &e, &o, op);
    free(scale);
    free(shift);
    return st;
}

/* Creates the op(s) of a node; reshape and setup follow. */
static clbb_status create_ops(clbb_model *m, int i) {
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    plan *p = &m->p;
    clbb_context *ctx = m->ctx;
    clbb_status st = CLBB_OK;
    const graph_norm *nm = &n->norm;
    if (n->kind == NODE_CONV) {
        int c = n->conv.out_channels, off = n->oc_off;
        clbb_conv_algo algo = m->conv_algo;
        const char *tuning = NULL;
        if (algo == CLBB_CONV_ALGO_AUTO && ctx->num_tuning) {
            char key[160];
            clbb__conv_key(g, n, key, sizeof key);
            const clbb_tuning_entry *t = clbb__tuning_find(ctx, key);
            if (t) {
                algo = t->algo;
                tuning = t->tuning;
            }
        }
        plan_op *po = push_op(p, i, "conv2d");
        st = clbb__node_conv_create(m, i, algo, tuning, &po->op);
        if (st == CLBB_ERR_UNSUPPORTED && algo != CLBB_CONV_ALGO_AUTO) /* forced algorithm does not apply */
            st = clbb__node_conv_create(m, i, CLBB_CONV_ALGO_AUTO, NULL, &po->op);
        if (st == CLBB_OK && nm->kind == NORM_GN) {
            plan_op *pg = push_op(p, i, "group_norm");
            st = clbb_group_norm_create(ctx, c, nm->groups, pch(g, nm->weight, off),
                                        pch(g, nm->bias, off), nm->eps, n->residual.value >= 0,
                                        n->act, &pg->op);
        }
        return st;
    }
    if (n->kind == NODE_NORM) {
        int c = graph_tref_channels(g, n->in), off = n->oc_off, res = n->residual.value >= 0;
        if (nm->kind == NORM_BN) {
            plan_op *po = push_op(p, i, "batch_norm");
            return clbb_batch_norm_create(ctx, c, pch(g, nm->mean, off), pch(g, nm->var, off),
                                          pch(g, nm->weight, off), pch(g, nm->bias, off), nm->eps,
                                          res, n->act, &po->op);
        }
        if (nm->kind == NORM_GN) {
            plan_op *po = push_op(p, i, "group_norm");
            return clbb_group_norm_create(ctx, c, nm->groups, pch(g, nm->weight, off),
                                          pch(g, nm->bias, off), nm->eps, res, n->act, &po->op);
        }
        plan_op *po = push_op(p, i, "add");
        return clbb_add_create(ctx, n->act, &po->op);
    }
    if (n->kind == NODE_MAX_POOL) return clbb_max_pool2d_create(ctx, &n->pool, &push_op(p, i, "max_pool2d")->op);
    if (n->kind == NODE_AVG_POOL) return clbb_avg_pool2d_create(ctx, &n->pool, &push_op(p, i, "avg_pool2d")->op);
    return clbb_global_avg_pool_create(ctx, &push_op(p, i, "global_avg_pool")->op);
}

/* Binds an op to its tensors: inputs per the op kind, then the output. */
static clbb_status bind_op(clbb_model *m, plan_op *po, int second_of_node) {
    const graph_node *n = &m->g.nodes[po->node];
    const clbb_tensor *ins[4];
    size_t nin = 0;
    const clbb_tensor *out;
    CLBB_CHECK(view_of(m, po, n->out, &out));
    if (second_of_node) {
        ins[nin++] = out; /* group norm in place on the conv output */
    } else {
        CLBB_CHECK(view_of(m, po, n->in, &ins[nin]));
        nin++;
    }
    int conv_gn_first = n->kind == NODE_CONV && n->norm.kind == NORM_GN && !second_of_node;
    if (n->residual.value >= 0 && !conv_gn_first) {
        CLBB_CHECK(view_of(m, po, n->residual, &ins[nin]));
        nin++;
    }
    if (n->gate.value >= 0 && n->kind == NODE_CONV && !second_of_node) {
        CLBB_CHECK(view_of(m, po, n->gate, &ins[nin]));
        nin++;
    }
    clbb_shape got;
    CLBB_CHECK(clbb_op_reshape(po->op, clbb_tensor_shape(ins[0]), &got));
    return clbb_op_setup(po->op, ins, nin, out);
}

static clbb_status build(clbb_model *m, clbb_shape input) {
    graph *g = &m->g;
    plan *p = &m->p;
    clbb_context *ctx = m->ctx;
    char msg[512];
    clbb_status st = graph_infer(g, input, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    p->input = input;
    CLBB_CHECK(assign_slots(m));
    CLBB_CHECK(check_fits(m));
    p->slots = calloc((size_t)p->num_slots + 1, sizeof *p->slots);
    p->values = calloc((size_t)g->num_values, sizeof *p->values);
    p->ops = calloc(2 * (size_t)g->num_nodes + 1, sizeof *p->ops);
    if (!p->slots || !p->values || !p->ops)
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    for (int s = 0; s < p->num_slots; s++) {
        CLBB_CHECK(clbb__buffer_create(ctx, p->slot_bytes[s], CL_MEM_READ_WRITE, NULL,
                                       "activation buffer", &p->slots[s]));
        p->mem.activations_bytes += p->slot_bytes[s];
    }
    for (int v = 0; v < g->num_values; v++) {
        if (p->value_slot[v] < 0) continue;
        CLBB_CHECK(clbb_tensor_wrap(ctx, p->slots[p->value_slot[v]], 0, g->values[v].shape, 0,
                                    &p->values[v]));
    }
    uint64_t before = ctx->stats.device_bytes_allocated;
    for (int i = 0; i < g->num_nodes; i++) CLBB_CHECK(create_ops(m, i));
    p->mem.weights_bytes = ctx->stats.device_bytes_allocated - before;
    for (int k = 0; k < p->num_ops; k++) {
        int second = k > 0 && p->ops[k - 1].node == p->ops[k].node;
        CLBB_CHECK(bind_op(m, &p->ops[k], second));
    }
    /* op workspaces share the context's scratch buffer */
    p->mem.workspace_bytes = ctx->scratch_bytes;
    p->valid = 1;
    return CLBB_OK;
}

clbb_status clbb__plan_build(clbb_model *m, clbb_shape input) {
    plan *p = &m->p;
    CLBB_CHECK(clbb__shape_check(m->ctx, input, "model input"));
    if (p->valid && p->input.n == input.n && p->input.c == input.c && p->input.h == input.h &&
        p->input.w == input.w)
        return CLBB_OK;
    clbb__plan_free(m);
    clbb_status st = build(m, input);
    if (st != CLBB_OK) clbb__plan_free(m);
    return st;
}

clbb_status clbb__plan_run(clbb_model *m) {
    plan *p = &m->p;
    for (int k = 0; k < p->num_ops; k++) {
        clbb__profile_set_tag(m->ctx, k);
        clbb_status st = clbb_op_run(p->ops[k].op);
        if (st != CLBB_OK) {
            size_t len = strlen(m->ctx->error);
            snprintf(m->ctx->error + len, sizeof m->ctx->error - len, " (layer %s)",
                     m->g.nodes[p->ops[k].node].name);
            return st;
        }
    }
    return CLBB_OK;
}

clbb_status clbb_model_profile(clbb_model *m, clbb_layer_profile *layers, size_t capacity,
                               size_t *count, double *total_ms) {
    if (!m || !count) return CLBB_ERR_INVALID_ARGUMENT;
    plan *p = &m->p;
    if (!p->valid)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_STATE, "profile: run a forward first");
    double *ms = calloc((size_t)p->num_ops + 1, sizeof *ms);
    if (!ms) return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "profile: out of host memory");
    clbb_status st = clbb__profile_begin(m->ctx);
    if (st == CLBB_OK) {
        st = clbb__plan_run(m);
        clbb_status st2 = clbb__profile_end(m->ctx, ms, p->num_ops);
        if (st == CLBB_OK) st = st2;
    }
    double total = 0;
    for (int k = 0; st == CLBB_OK && k < p->num_ops; k++) {
        total += ms[k];
        if ((size_t)k >= capacity || !layers) continue;
        clbb_layer_profile *l = &layers[k];
        const graph_node *n = &m->g.nodes[p->ops[k].node];
        clbb_op_info info;
        clbb_op_get_info(p->ops[k].op, &info);
        memset(l, 0, sizeof *l);
        clbb__strlcpy(l->name, n->name, sizeof l->name);
        clbb__strlcpy(l->kind, p->ops[k].kind, sizeof l->kind);
        clbb__strlcpy(l->algorithm, info.algorithm, sizeof l->algorithm);
        l->out_shape = m->g.values[n->out.value].shape;
        l->out_shape.c = graph_tref_channels(&m->g, n->out);
        l->ms = ms[k];
        l->flops = info.flops;
        l->bytes = info.bytes;
    }
    free(ms);
    if (st != CLBB_OK) return st;
    *count = (size_t)p->num_ops;
    if (total_ms) *total_ms = total;
    return CLBB_OK;
}
