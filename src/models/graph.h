/* The model graph: what a backbone computes, as a list of fused nodes over
 * values (activations), with parameters stored by PyTorch key name.
 *
 * A node is already at the granularity clbb executes (a conv with its
 * norm, residual and activation), but it keeps the unfused parameters, so
 * the reference executor (graph_ref.c) runs every step separately from the
 * raw BN statistics, and the planner (plan.c) folds and fuses for the
 * device. Nodes read and write channel slices of values, which is how a
 * Ghost module's concat costs nothing: its two convs write the two halves
 * of one value. */
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
} param_role;

typedef struct graph_param {
    char key[128];
    param_role role;
    int ndim;
    int64_t shape[4];
    size_t numel;
    float *data; /* NULL for ROLE_NORM_COUNT */
    int zero_init; /* last norm of a block (zero_init_residual) */
} graph_param;

typedef enum norm_kind { NORM_NONE = 0, NORM_BN, NORM_GN } norm_kind;

typedef struct graph_norm {
    norm_kind kind;
    int weight, bias, mean, var; /* param indices (-1 if absent) */
    float eps;
    int groups;                  /* GN */
} graph_norm;

/* A channel slice [c0, c0 + c) of a value; c == 0 means all channels. */
typedef struct tref {
    int value; /* -1: none */
    int c0, c;
} tref;

typedef enum node_kind {
    NODE_CONV = 0, /* conv [+ bias] [+ norm] [+ residual] [+ act], optional input gate */
    NODE_NORM,     /* standalone norm [+ residual] [+ act] */
    NODE_MAX_POOL,
    NODE_AVG_POOL,
    NODE_GAP,
} node_kind;

typedef struct graph_node {
    node_kind kind;
    char name[160]; /* module path, e.g. "layer1.0.conv2" */
    tref in, out, residual, gate;
    clbb_conv2d_desc conv;
    int weight, bias; /* params (-1 none) */
    int oc_off;       /* first output channel of weight/bias/norm params used */
    graph_norm norm;
    clbb_activation act;
    clbb_pool2d_desc pool;
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

void graph_free(graph *g);

/* Adds a parameter (data allocated and zeroed unless ROLE_NORM_COUNT).
 * Returns its index, or -1 when out of memory. */
int graph_param_add(graph *g, const char *key, param_role role, int ndim, const int64_t *shape);

/* Adds a value of @p channels channels. Returns its id or -1. */
int graph_value_add(graph *g, int channels);

/* Appends a node (copied). Returns its index or -1. */
int graph_node_add(graph *g, const graph_node *node);

/* A full-value reference. */
static inline tref tref_all(int value) { return (tref){value, 0, 0}; }
static inline tref tref_none(void) { return (tref){-1, 0, 0}; }

/* Channels of a reference. */
int graph_tref_channels(const graph *g, tref r);

/* Infers every value's shape from the input shape; checks that slices
 * agree. Errors (input too small, channel mismatch) go to errbuf. */
clbb_status graph_infer(graph *g, clbb_shape input, char *errbuf, size_t errbuf_size);

/* Adds BN parameters under prefix ("layer1.0.bn1") in PyTorch order and
 * returns the norm description. */
int graph_add_bn(graph *g, const char *prefix, int channels, float eps, graph_norm *out);
int graph_add_gn(graph *g, const char *prefix, int channels, int groups, float eps,
                 graph_norm *out);

/* Reference forward: dense host input of g->values[input] shape; outputs
 * malloc'ed. */
clbb_status graph_forward_reference(const graph *g, const float *input, float **outputs,
                                    char *errbuf, size_t errbuf_size);

#endif
