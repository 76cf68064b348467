/* Reference forward of a graph on the host: every node through its kind's
 * reference (unfused: conv, then the norm from its raw statistics, then
 * residual, then activation), with the double-accumulating reference ops.
 * This is the oracle that device forwards are checked against. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "graph.h"

static size_t plane(clbb_shape s) { return (size_t)s.h * s.w; }

/* The view a reference reads, as a dense array of its shape. */
static float *gather(const graph *g, float *const *vals, tref r) {
    clbb_shape vs = g->values[r.value].shape;
    int c = graph_tref_channels(g, r);
    size_t hw = plane(vs), n_el = (size_t)vs.n * c * hw;
    float *d = malloc(n_el * sizeof(float));
    if (!d) return NULL;
    for (int n = 0; n < vs.n; n++)
        memcpy(d + (size_t)n * c * hw, vals[r.value] + ((size_t)n * vs.c + r.c0) * hw,
               (size_t)c * hw * sizeof(float));
    if (r.view != TREF_PERMUTE) return d; /* a reshape of dense data is the same data */
    float *p = malloc(n_el * sizeof(float));
    if (p) clbb_ref_permute((clbb_shape){vs.n, c, vs.h, vs.w}, d, r.perm, p);
    free(d);
    return p;
}

static void scatter(const graph *g, float *const *vals, tref r, const float *d) {
    clbb_shape vs = g->values[r.value].shape;
    int c = graph_tref_channels(g, r);
    size_t hw = plane(vs);
    for (int n = 0; n < vs.n; n++)
        memcpy(vals[r.value] + ((size_t)n * vs.c + r.c0) * hw, d + (size_t)n * c * hw,
               (size_t)c * hw * sizeof(float));
}

/* One node: gather its inputs, run its kind's reference, scatter. */
static clbb_status run_node(const graph *g, float **vals, const graph_node *n, double *max_abs) {
    float *in[NODE_MAX_INPUTS] = {0};
    clbb_shape shapes[NODE_MAX_INPUTS] = {{0, 0, 0, 0}};
    clbb_status st = CLBB_OK;
    for (int k = 0; k < NODE_MAX_INPUTS && st == CLBB_OK; k++) {
        if (n->in[k].value < 0) continue;
        shapes[k] = graph_tref_shape(g, n->in[k]);
        if (!(in[k] = gather(g, vals, n->in[k]))) st = CLBB_ERR_OUT_OF_MEMORY;
    }
    clbb_shape os = g->values[n->out.value].shape;
    os.c = graph_tref_channels(g, n->out);
    float *y = st == CLBB_OK ? malloc(clbb_shape_numel(os) * sizeof(float)) : NULL;
    if (!y) st = CLBB_ERR_OUT_OF_MEMORY;
    if (st == CLBB_OK) {
        graph_node_kind(n->kind)->reference(g, n, shapes, (const float *const *)in, y);
        scatter(g, vals, n->out, y);
        if (max_abs) {
            double mx = 0;
            const size_t cnt = clbb_shape_numel(os);
            for (size_t k = 0; k < cnt; k++) {
                const double a = fabs((double)y[k]);
                if (!(a <= mx)) mx = a; /* NaN counts as beyond any range */
            }
            *max_abs = mx;
        }
    }
    free(y);
    for (int k = 0; k < NODE_MAX_INPUTS; k++) free(in[k]);
    return st;
}

clbb_status graph_forward_reference(const graph *g, const float *input, float **outputs,
                                    char *eb, size_t es) {
    return graph_forward_reference_stats(g, input, outputs, NULL, eb, es);
}

clbb_status graph_forward_reference_stats(const graph *g, const float *input, float **outputs,
                                          double *node_max, char *eb, size_t es) {
    clbb_status st = CLBB_OK;
    float **vals = calloc((size_t)g->num_values, sizeof *vals);
    int *last = malloc((size_t)g->num_values * sizeof *last);
    if (!vals || !last) {
        free(vals);
        free(last);
        return clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "reference: out of host memory");
    }
    for (int v = 0; v < g->num_values; v++) last[v] = -1;
    for (int i = 0; i < g->num_nodes; i++)
        for (int k = 0; k < NODE_MAX_INPUTS; k++)
            if (g->nodes[i].in[k].value >= 0) last[g->nodes[i].in[k].value] = i;
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
        st = run_node(g, vals, n, node_max ? &node_max[i] : NULL);
        /* values read for the last time can go */
        for (int k = 0; k < NODE_MAX_INPUTS; k++) {
            int v = n->in[k].value;
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
