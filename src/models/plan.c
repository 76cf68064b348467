/* Device planning of a model for one input shape: activation buffers shared
 * by liveness, then each node planned by its kind (node_*.c: BN folded into
 * the preceding conv, residual add and activation fused into its epilogue,
 * SE gate fused into the consumer conv, Ghost concat through channel
 * views); then execution with no host synchronization between ops. Models
 * are built only on the op API. */
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
    clbb_op_destroy(p->input_copy);
    if (p->values)
        for (int v = 0; v < m->g.num_values; v++) clbb_tensor_destroy(p->values[v]);
    free(p->values);
    for (int s = 0; p->slots && s < p->num_slots; s++) clbb__buffer_release(m->ctx, p->slots[s]);
    free(p->slots);
    free(p->slot_bytes);
    free(p->value_slot);
    memset(p, 0, sizeof *p);
}

static size_t value_bytes(const clbb_model *m, int v) {
    return clbb_shape_numel(m->g.values[v].shape) * clbb_dtype_size(m->dtype);
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
    /* a fused run [lo, hi] counts as one node: what it writes is defined
     * at lo, what it reads or writes is live until hi */
    for (int lo = 0, hi; lo < g->num_nodes; lo = hi + 1) {
        const int span = clbb__plan_fused_span(m, lo);
        hi = lo + (span > 1 ? span - 1 : 0);
        for (int i = lo; i <= hi; i++) {
            const graph_node *n = &g->nodes[i];
            if (def[n->out.value] == INT_MAX) def[n->out.value] = lo;
            for (int k = 0; k <= NODE_MAX_INPUTS; k++) {
                int v = k < NODE_MAX_INPUTS ? n->in[k].value : n->out.value;
                if (v >= 0 && last[v] < hi) last[v] = hi;
            }
        }
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
        size_t need = value_bytes(m, v);
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
    clbb_device_info d;
    clbb_context_device_info(m->ctx, &d);
    const clbb_shape in = p->input;
    double act = 0, weights = 0;
    for (int v = 0; v < m->g.num_values; v++)
        if (clbb_shape_numel(m->g.values[v].shape) > (size_t)INT32_MAX)
            return clbb__fail(m->ctx, CLBB_ERR_DEVICE_MEMORY,
                              "input %dx%dx%dx%d needs a %.1f MiB activation of more than 2^31-1 "
                              "elements, beyond what clbb's kernels index",
                              in.n, in.c, in.h, in.w, value_bytes(m, v) / 1048576.0);
    for (int s = 0; s < p->num_slots; s++) {
        act += (double)p->slot_bytes[s];
        if (d.max_alloc_bytes && p->slot_bytes[s] > d.max_alloc_bytes)
            return clbb__fail(m->ctx, CLBB_ERR_DEVICE_MEMORY,
                              "input %dx%dx%dx%d needs an activation buffer of %.1f MiB; the "
                              "device's max allocation is %.1f MiB",
                              in.n, in.c, in.h, in.w, p->slot_bytes[s] / 1048576.0,
                              d.max_alloc_bytes / 1048576.0);
    }
    /* weights are stored in the activations' dtype (half in fp16) */
    const double wsz = (double)clbb_dtype_size(m->dtype);
    for (int i = 0; i < m->g.num_params; i++) weights += wsz * (double)m->g.params[i].numel;
    if (d.global_mem_bytes && act + weights > (double)d.global_mem_bytes)
        return clbb__fail(m->ctx, CLBB_ERR_DEVICE_MEMORY,
                          "input %dx%dx%dx%d needs %.1f MiB of activations and %.1f MiB of "
                          "weights; the device has %.1f MiB",
                          in.n, in.c, in.h, in.w, act / 1048576.0, weights / 1048576.0,
                          d.global_mem_bytes / 1048576.0);
    return CLBB_OK;
}

void clbb__plan_options(const clbb_model *m, clbb_op_options *o) {
    clbb_op_options_init(o);
    o->dtype = m->dtype;
    o->math = m->prec.math; /* the ops with tensor-core kernels read it */
}

clbb_status clbb__plan_push(clbb_model *m, int node, const char *kind, plan_op **out) {
    plan *p = &m->p;
    if (p->num_ops == p->cap_ops) {
        int cap = p->cap_ops ? 2 * p->cap_ops : 2 * m->g.num_nodes + 8;
        plan_op *ops = realloc(p->ops, (size_t)cap * sizeof *ops);
        if (!ops) return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
        p->ops = ops;
        p->cap_ops = cap;
    }
    plan_op *po = &p->ops[p->num_ops++];
    memset(po, 0, sizeof *po);
    po->node = po->out_node = node;
    clbb__strlcpy(po->kind, kind, sizeof po->kind);
    *out = po;
    return CLBB_OK;
}

void clbb__plan_truncate(clbb_model *m, int num_ops) {
    plan *p = &m->p;
    while (p->num_ops > num_ops) {
        plan_op *po = &p->ops[--p->num_ops];
        clbb_op_destroy(po->op);
        for (int k = 0; k < po->num_views; k++) clbb_tensor_destroy(po->views[k]);
    }
}

static clbb_status keep_view(clbb_model *m, plan_op *po, clbb_tensor *v) {
    if (po->num_views == PLAN_MAX_VIEWS) {
        clbb_tensor_destroy(v);
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_STATE, "plan: more than %d views in one op",
                          PLAN_MAX_VIEWS);
    }
    po->views[po->num_views++] = v;
    return CLBB_OK;
}

/* The tensor a reference reads: the value, a channel view of it, then a
 * reshape or permute view of that. */
clbb_status clbb__plan_view(clbb_model *m, plan_op *po, tref r, const clbb_tensor **out) {
    const graph *g = &m->g;
    const clbb_tensor *t = m->p.values[r.value];
    int c = graph_tref_channels(g, r);
    clbb_tensor *v;
    if (r.c0 != 0 || c != g->values[r.value].channels) {
        CLBB_CHECK(clbb_tensor_view_channels(m->ctx, t, r.c0, c, &v));
        CLBB_CHECK(keep_view(m, po, v));
        t = v;
    }
    if (r.view == TREF_RESHAPE) {
        CLBB_CHECK(clbb_tensor_view_reshape(m->ctx, t, graph_tref_shape(g, r), &v));
        CLBB_CHECK(keep_view(m, po, v));
        t = v;
    } else if (r.view == TREF_PERMUTE) {
        CLBB_CHECK(clbb_tensor_view_permute(m->ctx, t, r.perm, &v));
        CLBB_CHECK(keep_view(m, po, v));
        t = v;
    }
    *out = t;
    return CLBB_OK;
}

clbb_status clbb__plan_scratch(clbb_model *m, plan_op *po, clbb_shape shape,
                               const clbb_tensor **out) {
    clbb_tensor *t;
    CLBB_CHECK(clbb_tensor_create(m->ctx, shape, m->dtype, &t));
    CLBB_CHECK(keep_view(m, po, t));
    *out = t;
    return CLBB_OK;
}

clbb_status clbb__plan_bind(clbb_model *m, plan_op *po, const tref *ins, int num_ins, tref out) {
    const clbb_tensor *in[NODE_MAX_INPUTS + 1], *y;
    size_t n = 0;
    for (int k = 0; k < num_ins; k++) {
        if (ins[k].value < 0) continue;
        CLBB_CHECK(clbb__plan_view(m, po, ins[k], &in[n]));
        n++;
    }
    CLBB_CHECK(clbb__plan_view(m, po, out, &y));
    CLBB_CHECK(clbb_op_reshape(po->op, clbb_tensor_shape(in[0]), NULL));
    return clbb_op_setup(po->op, in, n, y);
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
    if (!p->slots || !p->values)
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "plan: out of host memory");
    for (int s = 0; s < p->num_slots; s++) {
        CLBB_CHECK(clbb__buffer_create(ctx, p->slot_bytes[s], CL_MEM_READ_WRITE, NULL,
                                       "activation buffer", &p->slots[s]));
        p->mem.activations_bytes += p->slot_bytes[s];
    }
    for (int v = 0; v < g->num_values; v++) {
        if (p->value_slot[v] < 0) continue;
        CLBB_CHECK(clbb_tensor_wrap(ctx, p->slots[p->value_slot[v]], 0, g->values[v].shape,
                                    m->dtype, 0, &p->values[v]));
    }
    clbb_context_stats before, after;
    clbb_context_get_stats(ctx, &before);
    for (int i = 0, used = 0; i < g->num_nodes; i += used) {
        /* a run of nodes one op computes (plan_fuse.c), else the node alone */
        st = clbb__plan_fused(m, i, &used);
        if (st == CLBB_OK && !used) {
            st = graph_node_kind(g->nodes[i].kind)->plan(m, i);
            used = 1;
        }
        if (st != CLBB_OK) {
            clbb__fail_append(ctx, " (layer %s)", g->nodes[i].name);
            return st;
        }
    }
    clbb_context_get_stats(ctx, &after);
    /* what the ops allocated: packed weights, and the growth of the shared
     * scratch, which is reported separately */
    p->mem.weights_bytes = after.device_bytes_allocated - before.device_bytes_allocated -
                           (after.scratch_bytes - before.scratch_bytes);
    p->mem.workspace_bytes = after.scratch_bytes;
    p->valid = 1;
    return CLBB_OK;
}

clbb_status clbb__plan_build(clbb_model *m, clbb_shape input) {
    plan *p = &m->p;
    CLBB_CHECK(clbb__shape_check(m->ctx, input, "model input"));
    if (p->valid && clbb__shape_eq(p->input, input)) return CLBB_OK;
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
            clbb__fail_append(m->ctx, " (layer %s)", m->g.nodes[p->ops[k].node].name);
            return st;
        }
    }
    return CLBB_OK;
}

/* Non-finite values in node i's output on the device (its channel range of
 * the value); *bad = their count. */
static clbb_status scan_node(clbb_model *m, int i, size_t *bad) {
    const graph *g = &m->g;
    const tref out = g->nodes[i].out;
    const int c = graph_tref_channels(g, out);
    clbb_tensor *v = NULL;
    float *h = NULL;
    *bad = 0;
    clbb_status st = clbb_tensor_view_channels(m->ctx, m->p.values[out.value], out.c0, c, &v);
    const size_t n = st == CLBB_OK ? clbb_shape_numel(clbb_tensor_shape(v)) : 0;
    if (st == CLBB_OK && !(h = malloc((n ? n : 1) * sizeof *h)))
        st = clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "overflow scan: out of host memory");
    if (st == CLBB_OK) st = clbb_tensor_read_f32(m->ctx, v, h, n);
    for (size_t k = 0; st == CLBB_OK && k < n; k++) *bad += !isfinite(h[k]);
    free(h);
    clbb_tensor_destroy(v);
    return st;
}

clbb_status clbb__plan_run_scan(clbb_model *m, int *first_bad) {
    plan *p = &m->p;
    *first_bad = -1;
    for (int k = 0; k < p->num_ops; k++) {
        clbb_status st = clbb_op_run(p->ops[k].op);
        const int node = p->ops[k].out_node;
        if (st != CLBB_OK) {
            clbb__fail_append(m->ctx, " (layer %s)", m->g.nodes[p->ops[k].node].name);
            return st;
        }
        /* after the node's last op, until the first bad one: what follows
         * an overflow only spreads it */
        if (*first_bad >= 0 || node < 0 || (k + 1 < p->num_ops && p->ops[k + 1].out_node == node))
            continue;
        size_t bad;
        CLBB_CHECK(scan_node(m, node, &bad));
        if (bad) *first_bad = node;
    }
    return CLBB_OK;
}

clbb_status clbb_model_profile(clbb_model *m, clbb_layer_profile *layers, size_t capacity,
                               size_t *count, double *total_ms) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!count) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "profile: count is NULL");
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
    return clbb__done(m->ctx, CLBB_OK);
}
