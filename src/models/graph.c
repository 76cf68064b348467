/* Graph construction helpers and shape inference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "graph.h"

void graph_free(graph *g) {
    if (!g) return;
    for (int i = 0; i < g->num_params; i++) free(g->params[i].data);
    free(g->params);
    free(g->nodes);
    free(g->values);
    memset(g, 0, sizeof *g);
}

static int grow(void **p, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

int graph_param_add(graph *g, const char *key, param_role role, int ndim, const int64_t *shape) {
    if (grow((void **)&g->params, &g->cap_params, g->num_params + 1, sizeof *g->params)) return -1;
    graph_param *p = &g->params[g->num_params];
    memset(p, 0, sizeof *p);
    clbb__strlcpy(p->key, key, sizeof p->key);
    p->role = role;
    p->ndim = ndim;
    p->numel = 1;
    for (int i = 0; i < ndim; i++) {
        p->shape[i] = shape[i];
        p->numel *= (size_t)shape[i];
    }
    if (role != ROLE_NORM_COUNT) {
        p->data = calloc(p->numel ? p->numel : 1, sizeof(float));
        if (!p->data) return -1;
    }
    return g->num_params++;
}

int graph_value_add(graph *g, int channels) {
    if (grow((void **)&g->values, &g->cap_values, g->num_values + 1, sizeof *g->values)) return -1;
    graph_value *v = &g->values[g->num_values];
    memset(v, 0, sizeof *v);
    v->channels = channels;
    return g->num_values++;
}

int graph_node_add(graph *g, const graph_node *node) {
    if (grow((void **)&g->nodes, &g->cap_nodes, g->num_nodes + 1, sizeof *g->nodes)) return -1;
    g->nodes[g->num_nodes] = *node;
    return g->num_nodes++;
}

int graph_tref_channels(const graph *g, tref r) {
    if (r.value < 0) return 0;
    return r.c ? r.c : g->values[r.value].channels - r.c0;
}

static int add_vec(graph *g, const char *prefix, const char *name, param_role role, int c) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", prefix, name);
    int64_t shape[1] = {c};
    return graph_param_add(g, key, role, role == ROLE_NORM_COUNT ? 0 : 1, shape);
}

int graph_add_bn(graph *g, const char *prefix, int channels, float eps, graph_norm *out) {
    memset(out, 0, sizeof *out);
    out->kind = NORM_BN;
    out->eps = eps;
    out->weight = add_vec(g, prefix, "weight", ROLE_NORM_WEIGHT, channels);
    out->bias = add_vec(g, prefix, "bias", ROLE_NORM_BIAS, channels);
    out->mean = add_vec(g, prefix, "running_mean", ROLE_NORM_MEAN, channels);
    out->var = add_vec(g, prefix, "running_var", ROLE_NORM_VAR, channels);
    int cnt = add_vec(g, prefix, "num_batches_tracked", ROLE_NORM_COUNT, 0);
    return (out->weight < 0 || out->bias < 0 || out->mean < 0 || out->var < 0 || cnt < 0) ? -1 : 0;
}

int graph_add_gn(graph *g, const char *prefix, int channels, int groups, float eps,
                 graph_norm *out) {
    memset(out, 0, sizeof *out);
    out->kind = NORM_GN;
    out->eps = eps;
    out->groups = groups;
    out->mean = out->var = -1;
    out->weight = add_vec(g, prefix, "weight", ROLE_NORM_WEIGHT, channels);
    out->bias = add_vec(g, prefix, "bias", ROLE_NORM_BIAS, channels);
    return (out->weight < 0 || out->bias < 0) ? -1 : 0;
}

static clbb_shape ref_shape(const graph *g, tref r) {
    clbb_shape s = g->values[r.value].shape;
    s.c = graph_tref_channels(g, r);
    return s;
}

clbb_status graph_infer(graph *g, clbb_shape input, char *eb, size_t es) {
    for (int v = 0; v < g->num_values; v++) g->values[v].shape = (clbb_shape){0, 0, 0, 0};
    if (input.c != g->values[g->input].channels)
        return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "input has %d channels, the model expects %d",
                              input.c, g->values[g->input].channels);
    g->values[g->input].shape = input;
    for (int i = 0; i < g->num_nodes; i++) {
        graph_node *n = &g->nodes[i];
        if (g->values[n->in.value].shape.n == 0)
            return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "%s: input read before it is written",
                                  n->name);
        clbb_shape in = ref_shape(g, n->in), out = in;
        char msg[256];
        clbb_status st = CLBB_OK;
        switch (n->kind) {
        case NODE_CONV: st = clbb_conv2d_output_shape(&n->conv, in, &out, msg, sizeof msg); break;
        case NODE_MAX_POOL:
        case NODE_AVG_POOL: st = clbb_pool2d_output_shape(&n->pool, in, &out, msg, sizeof msg); break;
        case NODE_GAP: out.h = out.w = 1; break;
        case NODE_NORM: break;
        }
        if (st != CLBB_OK)
            return clbb__fail_buf(eb, es, st, "%s: input %dx%dx%dx%d: %s", n->name, in.n, in.c,
                                  in.h, in.w, msg);
        graph_value *ov = &g->values[n->out.value];
        int oc = graph_tref_channels(g, n->out);
        if (oc != out.c)
            return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "%s: writes %d channels into a %d-channel slice",
                                  n->name, out.c, oc);
        clbb_shape vs = {out.n, ov->channels, out.h, out.w};
        if (ov->shape.n == 0) {
            ov->shape = vs;
        } else if (ov->shape.n != vs.n || ov->shape.h != vs.h || ov->shape.w != vs.w) {
            return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                                  "%s: output %dx%d disagrees with the other writer's %dx%d",
                                  n->name, vs.h, vs.w, ov->shape.h, ov->shape.w);
        }
        if (n->residual.value >= 0) {
            clbb_shape rs = ref_shape(g, n->residual);
            if (rs.n != out.n || rs.c != out.c || rs.h != out.h || rs.w != out.w)
                return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                                      "%s: residual %dx%dx%dx%d does not match output %dx%dx%dx%d",
                                      n->name, rs.n, rs.c, rs.h, rs.w, out.n, out.c, out.h, out.w);
        }
    }
    return CLBB_OK;
}
