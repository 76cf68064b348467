/* The model object behind clbb_model, shared by model.c (API), plan.c
 * (device planning and execution) and weights.c (files and init). */
#ifndef CLBB_MODELS_MODEL_INTERNAL_H
#define CLBB_MODELS_MODEL_INTERNAL_H

#include "core/tensor_internal.h"
#include "graph.h"

typedef struct plan_op {
    clbb_op *op;
    int node;
    char kind[32];
    clbb_tensor *views[5]; /* bound input/output views, destroyed with the plan */
    int num_views;
} plan_op;

typedef struct plan {
    int valid;
    clbb_shape input;
    plan_op *ops;
    int num_ops;
    cl_mem *slots;
    size_t *slot_bytes;
    int num_slots;
    int *value_slot;
    clbb_tensor **values; /* one whole-value tensor per graph value */
    clbb_model_memory mem;
} plan;

struct clbb_model {
    clbb_context *ctx;
    clbb_model_config cfg;
    graph g;
    int weights_ready;
    clbb_conv_algo conv_algo; /* forced algorithm, AUTO for per-layer choice */
    plan p;
};

/* Builds device ops and buffers for an input shape (no-op if planned). */
clbb_status clbb__plan_build(clbb_model *m, clbb_shape input);
void clbb__plan_free(clbb_model *m);
/* Enqueues every op of the plan. */
clbb_status clbb__plan_run(clbb_model *m);

/* Tuning-table key of a conv node at the graph's current shapes. */
void clbb__conv_key(const graph *g, const graph_node *n, char *buf, size_t size);

/* Creates the conv op of node i (BN folded, epilogue fused) with an
 * algorithm and tuning string. */
clbb_status clbb__node_conv_create(clbb_model *m, int i, clbb_conv_algo algo, const char *tuning,
                                   clbb_op **op);

/* Fills every parameter with random values for conformance tests: random
 * BN statistics and affine so that every path carries signal (MMDetection's
 * init zeroes residual branches). */
clbb_status clbb__model_randomize(clbb_model *m, uint64_t seed);

/* The graph (for tests: key lists, node counts). */
const graph *clbb__model_graph(const clbb_model *m);

/* Sets the weights-ready flag and drops the plan (weights are packed into ops). */
void clbb__model_weights_changed(clbb_model *m);

#endif
