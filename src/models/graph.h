/* The model graph: what a backbone computes, as a list of fused nodes over
 * values (activations), with parameters stored by PyTorch key name.
 *
 * A node is already at the granularity clbb executes (a conv with its
 * norm, residual and activation), but it keeps the unfused parameters, so
 * the reference executor (graph_ref.c) runs every step separately from the
 * raw BN statistics, and the planner (plan.c) folds and fuses for the
 * device. Each node kind is one descriptor (node_<kind>.c): its shape
 * inference, its host reference and its device plan.
 *
 * Nodes read views of values: a channel slice (how a Ghost module's concat
 * costs nothing: its two convs write the two halves of one value), then
 * optionally a reshape or a permutation of that slice ((N, C, H*W) and its
 * transpose, for attention). Nodes write channel slices only. */
#ifndef CLBB_MODELS_GRAPH_H
#define CLBB_MODELS_GRAPH_H

#include <stdint.h>

#include "clbb.h"

typedef enum param_role {
    ROLE_CONV_WEIGHT = 0,
    ROLE_CONV_BIAS,
    ROLE_NORM_WEIGHT,
    ROLE_NORM_BIAS,
    ROLE_NORM_MEAN,
    ROLE_NORM_VAR,
    ROLE_NORM_COUNT, /* num_batches_tracked: listed, never stored */
    ROLE_LINEAR_WEIGHT, /* nn.Linear weight [out, in] (mmcv kaiming_uniform a=1, fan_in) */
    ROLE_UNIFORM,       /* uniform in (-init_bound, init_bound) at init (GA's appr/geom_bias) */
    ROLE_GAMMA,         /* a zero-initialised scale (GA's gamma) */
} param_role;

typedef struct graph_param {
    char key[128];
    param_role role;
    int ndim;
    int64_t shape[4];
    size_t numel;
    float *data; /* NULL for ROLE_NORM_COUNT */
    int zero_init; /* last norm of a block (zero_init_residual) */
    double init_bound; /* ROLE_UNIFORM */
} graph_param;

typedef enum norm_kind { NORM_NONE = 0, NORM_BN, NORM_GN } norm_kind;

typedef struct graph_norm {
    norm_kind kind;
    int weight, bias, mean, var; /* param indices (-1 if absent) */
    float eps;
    int groups;                  /* GN */
} graph_norm;

typedef enum tref_view {
    TREF_SLICE = 0, /* the channel slice as it is */
    TREF_RESHAPE,   /* the slice as `shape` (same N and C*H*W; sizes may be TREF_* codes) */
    TREF_PERMUTE,   /* the slice with dimensions permuted by `perm` */
} tref_view;

/* Sizes of a TREF_RESHAPE relative to the slice read (n, c, h, w), so that
 * a graph holds at every input shape: its c, its h*w, what the other two
 * sizes leave of c*h*w, and the h / w of value `shape.n` (a reshape's n is
 * always the slice's). */
enum { TREF_C = -1, TREF_HW = -2, TREF_REST = -3, TREF_LIKE_H = -4, TREF_LIKE_W = -5 };

/* What a node reads: channels [c0, c0 + c) of a value (c == 0: all), then
 * the view. */
typedef struct tref {
    int value; /* -1: none */
    int c0, c;
    tref_view view;
    clbb_shape shape;
    int perm[4];
} tref;

typedef enum node_kind {
    NODE_CONV = 0, /* conv [+ bias] [+ norm] [+ residual] [+ act], optional input gate */
    NODE_NORM,     /* standalone norm (or plain add) [+ residual] [+ act] */
    NODE_MAX_POOL,
    NODE_AVG_POOL,
    NODE_GAP,
    NODE_COPY,     /* a dense copy of a view (a transpose made contiguous) */
    NODE_CONTEXT_POOL,   /* ContextBlock's attention pooling (node_context.c) */
    NODE_LAYER_NORM,     /* layer norm over (C, H, W) [+ act] (node_context.c) */
    NODE_CHANNEL_AFFINE, /* x * mul[n,c] + add[n,c] [+ residual] [+ act] (node_context.c) */
    NODE_SOFTMAX,        /* softmax of alpha * x over the last axis (node_attention.c) */
    NODE_MATMUL,         /* act(alpha * A . B) per (n, c) (node_attention.c) */
    NODE_PAIR_PROJ,      /* NonLocal2d concatenation's half projection (node_attention.c) */
    NODE_GEN_ATTENTION, /* GeneralizedAttention's core: x (shape), v, [k], [q] */
    NODE_UPSAMPLE_ADD,  /* x + bilinear resize of z to x's size (node_gen_attention.c) */
    NODE_DEFORM_CONV, /* deformable conv (DCN v1/v2) [+ norm] [+ residual] [+ act] */
    NODE_CONTEXT_MLP, /* ContextBlock's conv, LayerNorm + ReLU, conv [+ act] (node_context.c) */
    NODE_KIND_COUNT,
} node_kind;

/* Input slots of a node; a kind documents which it reads. */
enum { NODE_IN = 0, NODE_RES = 1, NODE_GATE = 2, NODE_MAX_INPUTS = 5 };
/* channel_affine's per-(n, c) operands; matmul's right-hand matrix */
enum { NODE_AFF_MUL = 2, NODE_AFF_ADD = 3, NODE_MM_B = 2 };
/* NODE_GEN_ATTENTION's value, key and query projections (NODE_IN: the
 * module input, read for its shape) */
enum { NODE_GA_V = 2, NODE_GA_K = 3, NODE_GA_Q = 4 };
/* NODE_UPSAMPLE_ADD's low-resolution input (NODE_IN: x) */
enum { NODE_UP_Z = 2 };
/* NODE_GEN_ATTENTION's parameters in graph_node.attn_params */
enum { GA_APPR_BIAS = 0, GA_GEOM_BIAS, GA_FC_X, GA_FC_Y, GA_NUM_PARAMS };
/* NODE_DEFORM_CONV's offsets and (DCNv2) mask */
enum { NODE_DCN_OFFSET = 2, NODE_DCN_MASK = 3 };

typedef struct graph_node {
    node_kind kind;
    char name[160]; /* module path, e.g. "layer1.0.conv2" */
    tref in[NODE_MAX_INPUTS], out;
    clbb_conv2d_desc conv;
    int weight, bias; /* params (-1 none) */
    int oc_off;       /* first output channel of weight/bias/norm params used */
    graph_norm norm;
    clbb_activation act;
    clbb_pool2d_desc pool;
    float alpha; /* softmax scale, matmul alpha */
    int alpha_per_col; /* matmul: alpha / P, P the columns of B (a mean over keys) */
    int gamma; /* conv: a scalar param scaling conv + bias before the residual (-1 none) */
    clbb_gen_attention_desc attn;    /* NODE_GEN_ATTENTION */
    int attn_params[GA_NUM_PARAMS];  /* -1 where the type has none */
    int deform_groups, modulated; /* NODE_DEFORM_CONV */
    int weight2, bias2;           /* NODE_CONTEXT_MLP: the second conv's params */
} graph_node;

typedef struct graph_value {
    int channels;
    clbb_shape shape; /* set by graph_infer */
} graph_value;

#define GRAPH_MAX_OUTPUTS 10

typedef struct graph {
    graph_param *params;
    int num_params, cap_params;
    graph_node *nodes;
    int num_nodes, cap_nodes;
    graph_value *values;
    int num_values, cap_values;
    int input;                  /* value id of the input */
    int outputs[GRAPH_MAX_OUTPUTS];
    int num_outputs;
} graph;

/* One node kind: shape inference, host reference (unfused, double
 * accumulation), device plan. `in` holds the node's inputs as dense host
 * arrays of their view shapes (NULL where a slot is unused). */
struct clbb_model;
typedef struct node_kind_desc {
    const char *name;
    clbb_status (*infer)(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                         char *msg, size_t msg_size);
    void (*reference)(const graph *g, const graph_node *n, const clbb_shape *shapes,
                      const float *const *in, float *y);
    /* creates the node's ops, binds them (plan.c) */
    clbb_status (*plan)(struct clbb_model *m, int node);
} node_kind_desc;

/* infer of kinds whose output has their input's shape. */
clbb_status graph_infer_same(const graph *g, const graph_node *n, clbb_shape in, clbb_shape *out,
                             char *msg, size_t msg_size);

/* The descriptor of a kind (node_kinds.c). */
const node_kind_desc *graph_node_kind(node_kind kind);

extern const node_kind_desc clbb__node_conv, clbb__node_norm, clbb__node_max_pool,
    clbb__node_avg_pool, clbb__node_gap, clbb__node_copy, clbb__node_gen_attention,
    clbb__node_upsample_add;
extern const node_kind_desc clbb__node_context_pool, clbb__node_context_mlp, clbb__node_layer_norm,
    clbb__node_channel_affine, clbb__node_softmax, clbb__node_matmul, clbb__node_pair_proj;
extern const node_kind_desc clbb__node_deform_conv;

void graph_free(graph *g);

/* Adds a parameter (data allocated and zeroed unless ROLE_NORM_COUNT).
 * Returns its index, or -1 when out of memory. */
int graph_param_add(graph *g, const char *key, param_role role, int ndim, const int64_t *shape);

/* Adds a value of @p channels channels. Returns its id or -1. */
int graph_value_add(graph *g, int channels);

/* Appends a node (copied). Returns its index or -1. */
int graph_node_add(graph *g, const graph_node *node);

/* An empty node of a kind: every input slot none, no params. */
void graph_node_init(graph_node *n, node_kind kind, const char *name);

/* References. */
static inline tref tref_all(int value) { return (tref){value, 0, 0, TREF_SLICE, {0, 0, 0, 0}, {0, 1, 2, 3}}; }
static inline tref tref_none(void) { return tref_all(-1); }
static inline tref tref_slice(int value, int c0, int c) {
    tref r = tref_all(value);
    r.c0 = c0;
    r.c = c;
    return r;
}

/* The slice (or a value) reshaped: c, h, w sizes or TREF_* codes. */
static inline tref tref_reshape(tref r, int c, int h, int w) {
    r.view = TREF_RESHAPE;
    r.shape = (clbb_shape){0, c, h, w};
    return r;
}
/* The slice reshaped to the h x w of value `like` (channels what is left). */
static inline tref tref_reshape_like(tref r, int like) {
    r.view = TREF_RESHAPE;
    r.shape = (clbb_shape){like, TREF_REST, TREF_LIKE_H, TREF_LIKE_W};
    return r;
}
static inline tref tref_permute(tref r, int p0, int p1, int p2, int p3) {
    r.view = TREF_PERMUTE;
    r.perm[0] = p0;
    r.perm[1] = p1;
    r.perm[2] = p2;
    r.perm[3] = p3;
    return r;
}

/* Channels of the slice a reference reads (before its view). */
int graph_tref_channels(const graph *g, tref r);
/* The shape a reference reads: the slice of the value's inferred shape,
 * then the view. */
clbb_shape graph_tref_shape(const graph *g, tref r);

/* Infers every value's shape from the input shape; checks that slices
 * and views agree. Errors (input too small, channel mismatch) go to
 * errbuf. */
clbb_status graph_infer(graph *g, clbb_shape input, char *errbuf, size_t errbuf_size);

/* Adds BN parameters under prefix ("layer1.0.bn1") in PyTorch order and
 * returns the norm description. */
int graph_add_bn(graph *g, const char *prefix, int channels, float eps, graph_norm *out);
int graph_add_gn(graph *g, const char *prefix, int channels, int groups, float eps,
                 graph_norm *out);

/* Per-channel parameter of a node, from its first output channel on. */
static inline const float *graph_pchan(const graph *g, int p, int off) {
    return p >= 0 ? g->params[p].data + off : NULL;
}

/* Reference forward: dense host input of g->values[input] shape; outputs
 * malloc'ed. */
clbb_status graph_forward_reference(const graph *g, const float *input, float **outputs,
                                    char *errbuf, size_t errbuf_size);
/* The same, also recording max |value| of each node's output into
 * node_max[num_nodes] (NULL: not recorded): what fp16 checks compare with
 * half's range to name the first layer that overflows. */
clbb_status graph_forward_reference_stats(const graph *g, const float *input, float **outputs,
                                          double *node_max, char *errbuf, size_t errbuf_size);

#endif
