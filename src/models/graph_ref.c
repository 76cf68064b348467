/* Reference forward of a graph on the host: every node unfused (conv, then
 * the norm from its raw statistics, then residual, then activation), with
 * the double-accumulating reference ops. This is the oracle that device
 * forwards are checked against. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "graph.h"

static size_t plane(clbb_shape s) { return (size_t)s.h * s.w; }

/* Copies a channel slice of value data into a dense array. */
static float *gather(const graph *g, float *const *vals, tref r) {
    clbb_shape vs = g->values[r.value].shape;
    int c = graph_tref_channels(g, r);
    size_t hw = plane(vs);
    float *d = malloc((size_t)vs.n * c * hw * sizeof(float));
    if (!d) return NULL;
    for (int n = 0; n < vs.n; n++)
        memcpy(d + (size_t)n * c * hw, vals[r.value] + ((size_t)n * vs.c + r.c0) * hw,
               (size_t)c * hw * sizeof(float));
    return d;
}

static void scatter(const graph *g, float *const *vals, tref r, const float *d) {
    clbb_shape vs = g->values[r.value].shape;
    int c = graph_tref_channels(g, r);
    size_t hw = plane(vs);
    for (int n = 0; n < vs.n; n++)
        memcpy(vals[r.value] + ((size_t)n * vs.c + r.c0) * hw, d + (size_t)n * c * hw,
               (size_t)c * hw * sizeof(float));
}

static const float *pdata(const graph *g, int p) { return p >= 0 ? g->params[p].data : NULL; }

/* Per-channel parameter of a node, from its first output channel on. */
static const float *pchan(const graph *g, int p, int off) {
    return p >= 0 ? g->params[p].data + off : NULL;
}

static void apply_norm(const graph *g, const graph_node *n, clbb_shape s, float *y,
                       const float *res, clbb_activation act) {
    const graph_norm *nm = &n->norm;
    int o = n->oc_off;
    if (nm->kind == NORM_BN)
        clbb_ref_batch_norm(s, y, pchan(g, nm->mean, o), pchan(g, nm->var, o),
                            pchan(g, nm->weight, o), pchan(g, nm->bias, o), nm->eps, res, act, y);
    else if (nm->kind == NORM_GN)
        clbb_ref_group_norm(s, nm->groups, y, pchan(g, nm->weight, o), pchan(g, nm->bias, o),
                            nm->eps, res, act, y);
    else {
        clbb_epilogue e = {NULL, NULL, res != NULL, act};
        clbb_ref_epilogue(s, &e, res, y);
    }
}

clbb_status graph_forward_reference(const graph *g, const float *input, float **outputs,
                                    char *eb, size_t es) {
    clbb_status st = CLBB_OK;
    float **vals = calloc((size_t)g->num_values, sizeof *vals);
    int *last = malloc((size_t)g->num_values * sizeof *last);
    if (!vals || !last) {
        free(vals);
        free(last);
        return clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "reference: out of host memory");
    }
    for (int v = 0; v < g->num_values; v++) last[v] = -1;
    for (int i = 0; i < g->num_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        tref rs[3] = {n->in, n->residual, n->gate};
        for (int k = 0; k < 3; k++)
            if (rs[k].value >= 0) last[rs[k].value] = i;
    }
    for (int o = 0; o < g->num_outputs; o++) last[g->outputs[o]] = g->num_nodes;
    size_t in_n = clbb_shape_numel(g->values[g->input].shape);
    vals[g->input] = malloc(in_n * sizeof(float));
    if (!vals[g->input]) {
        st = CLBB_ERR_OUT_OF_MEMORY;
        goto done;
    }
    memcpy(vals[g->input], input, in_n * sizeof(float));
    for (int i = 0; i < g->num_nodes && st == CLBB_OK; i++) {
        const graph_node *n = &g->nodes[i];
        int ov = n->out.value;
        if (!vals[ov] && !(vals[ov] = calloc(clbb_shape_numel(g->values[ov].shape), sizeof(float)))) {
            st = CLBB_ERR_OUT_OF_MEMORY;
            break;
        }
        clbb_shape in = g->values[n->in.value].shape;
        in.c = graph_tref_channels(g, n->in);
        clbb_shape os = g->values[ov].shape;
        os.c = graph_tref_channels(g, n->out);
        float *x = gather(g, vals, n->in);
        float *y = malloc(clbb_shape_numel(os) * sizeof(float));
        float *res = n->residual.value >= 0 ? gather(g, vals, n->residual) : NULL;
        float *gate = n->gate.value >= 0 ? gather(g, vals, n->gate) : NULL;
        if (!x || !y || (n->residual.value >= 0 && !res) || (n->gate.value >= 0 && !gate)) {
            st = CLBB_ERR_OUT_OF_MEMORY;
        } else {
            switch (n->kind) {
            case NODE_CONV: {
                size_t per = (size_t)(n->conv.in_channels / n->conv.groups) * n->conv.kernel_h *
                             n->conv.kernel_w;
                clbb_ref_conv2d(&n->conv, in, x, pdata(g, n->weight) + (size_t)n->oc_off * per,
                                pchan(g, n->bias, n->oc_off), NULL, NULL, gate, y);
                apply_norm(g, n, os, y, res, n->act);
                break;
            }
            case NODE_NORM:
                memcpy(y, x, clbb_shape_numel(os) * sizeof(float));
                apply_norm(g, n, os, y, res, n->act);
                break;
            case NODE_MAX_POOL: clbb_ref_max_pool2d(&n->pool, in, x, y); break;
            case NODE_AVG_POOL: clbb_ref_avg_pool2d(&n->pool, in, x, y); break;
            case NODE_GAP: clbb_ref_global_avg_pool(in, x, y); break;
            }
            scatter(g, vals, n->out, y);
        }
        free(x);
        free(y);
        free(res);
        free(gate);
        /* values read for the last time can go */
        tref rs[3] = {n->in, n->residual, n->gate};
        for (int k = 0; k < 3; k++) {
            int v = rs[k].value;
            if (v >= 0 && last[v] == i && v != ov) {
                free(vals[v]);
                vals[v] = NULL;
            }
        }
    }
    if (st != CLBB_OK) {
        clbb__fail_buf(eb, es, st, "reference forward: out of host memory");
        goto done;
    }
    for (int o = 0; o < g->num_outputs; o++) {
        int v = g->outputs[o];
        size_t cnt = clbb_shape_numel(g->values[v].shape);
        outputs[o] = malloc(cnt * sizeof(float));
        if (!outputs[o]) {
            for (int k = 0; k < o; k++) {
                free(outputs[k]);
                outputs[k] = NULL;
            }
            st = clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "reference forward: out of host memory");
            break;
        }
        memcpy(outputs[o], vals[v], cnt * sizeof(float));
    }
done:
    for (int v = 0; v < g->num_values; v++) free(vals[v]);
    free(vals);
    free(last);
    return st;
}
