/* Graph construction helpers, references and views, shape inference. */
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

void graph_node_init(graph_node *n, node_kind kind, const char *name) {
    memset(n, 0, sizeof *n);
    n->kind = kind;
    clbb__strlcpy(n->name, name, sizeof n->name);
    for (int i = 0; i < NODE_MAX_INPUTS; i++) n->in[i] = tref_none();
    n->out = tref_none();
    n->weight = n->bias = n->gamma = n->weight2 = n->bias2 = -1;
    for (int i = 0; i < GA_NUM_PARAMS; i++) n->attn_params[i] = -1;
    n->norm.kind = NORM_NONE;
    n->norm.weight = n->norm.bias = n->norm.mean = n->norm.var = -1;
}

clbb_status graph_infer_same(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                             char *msg, size_t size) {
    (void)g;
    (void)n;
    (void)msg;
    (void)size;
    *out = in;
    return CLBB_OK;
}

int graph_tref_channels(const graph *g, tref r) {
    if (r.value < 0) return 0;
    return r.c ? r.c : g->values[r.value].channels - r.c0;
}

/* A TREF_RESHAPE size, its code resolved against the slice s (0 when a
 * REST does not divide, which check_view then refuses). */
static int32_t reshape_size(const graph *g, tref r, clbb_shape s, int32_t v, int32_t o1,
                            int32_t o2) {
    const int like = r.shape.n;
    const int like_ok = like >= 0 && like < g->num_values;
    switch (v) {
    case TREF_C: return s.c;
    case TREF_HW: return s.h * s.w;
    case TREF_LIKE_H: return like_ok ? g->values[like].shape.h : 0;
    case TREF_LIKE_W: return like_ok ? g->values[like].shape.w : 0;
    case TREF_REST: {
        const long long rest = (long long)s.c * s.h * s.w, d = (long long)o1 * o2;
        return d > 0 && rest % d == 0 ? (int32_t)(rest / d) : 0;
    }
    }
    return v;
}

clbb_shape graph_tref_shape(const graph *g, tref r) {
    clbb_shape s = g->values[r.value].shape;
    s.c = graph_tref_channels(g, r);
    if (r.view == TREF_RESHAPE) {
        /* the fixed and relative sizes first, then what they leave */
        int32_t c = r.shape.c, h = r.shape.h, w = r.shape.w;
        if (c != TREF_REST) c = reshape_size(g, r, s, c, 0, 0);
        if (h != TREF_REST) h = reshape_size(g, r, s, h, 0, 0);
        if (w != TREF_REST) w = reshape_size(g, r, s, w, 0, 0);
        if (c == TREF_REST) c = reshape_size(g, r, s, c, h, w);
        if (h == TREF_REST) h = reshape_size(g, r, s, h, c, w);
        if (w == TREF_REST) w = reshape_size(g, r, s, w, c, h);
        s = (clbb_shape){s.n, c, h, w};
    } else if (r.view == TREF_PERMUTE) {
        const int32_t d[4] = {s.n, s.c, s.h, s.w};
        s = (clbb_shape){d[r.perm[0]], d[r.perm[1]], d[r.perm[2]], d[r.perm[3]]};
    }
    return s;
}

/* A view that the planner can make from the slice. */
static clbb_status check_view(const graph *g, const graph_node *n, tref r, char *eb, size_t es) {
    clbb_shape s = g->values[r.value].shape;
    s.c = graph_tref_channels(g, r);
    if (r.view == TREF_RESHAPE) {
        clbb_shape t = graph_tref_shape(g, r);
        if (t.c < 1 || t.h < 1 || t.w < 1 || clbb_shape_numel(t) != clbb_shape_numel(s))
            return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                                  "%s: cannot view %dx%dx%d as %dx%dx%d", n->name, s.c, s.h, s.w,
                                  t.c, t.h, t.w);
    } else if (r.view == TREF_PERMUTE) {
        int seen = 0;
        for (int i = 0; i < 4; i++)
            if (r.perm[i] >= 0 && r.perm[i] < 4) seen |= 1 << r.perm[i];
        if (seen != 15)
            return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "%s: a view permutation is not one",
                                  n->name);
    }
    return CLBB_OK;
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

clbb_status graph_infer(graph *g, clbb_shape input, char *eb, size_t es) {
    for (int v = 0; v < g->num_values; v++) g->values[v].shape = (clbb_shape){0, 0, 0, 0};
    if (input.c != g->values[g->input].channels)
        return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "input has %d channels, the model expects %d",
                              input.c, g->values[g->input].channels);
    g->values[g->input].shape = input;
    for (int i = 0; i < g->num_nodes; i++) {
        graph_node *n = &g->nodes[i];
        for (int k = 0; k < NODE_MAX_INPUTS; k++) {
            if (n->in[k].value < 0) continue;
            if (g->values[n->in[k].value].shape.n == 0)
                return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                                      "%s: input %d read before it is written", n->name, k);
            CLBB_CHECK(check_view(g, n, n->in[k], eb, es));
        }
        if (n->out.view != TREF_SLICE)
            return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE, "%s: writes through a view", n->name);
        clbb_shape in = graph_tref_shape(g, n->in[NODE_IN]), out = in;
        char msg[256] = "";
        clbb_status st = graph_node_kind(n->kind)->infer(g, n, in, &out, msg, sizeof msg);
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
        if (n->in[NODE_RES].value >= 0) {
            clbb_shape rs = graph_tref_shape(g, n->in[NODE_RES]);
            if (!clbb__shape_eq(rs, out))
                return clbb__fail_buf(eb, es, CLBB_ERR_SHAPE,
                                      "%s: residual %dx%dx%dx%d does not match output %dx%dx%dx%d",
                                      n->name, rs.n, rs.c, rs.h, rs.w, out.n, out.c, out.h, out.w);
        }
    }
    return CLBB_OK;
}
