/* The model object behind clbb_model, shared by model.c (API), plan.c
 * (device planning and execution), the node kinds (node_*.c), tune.c and
 * weights.c. Models are built on the public op API; they see the context
 * through functions only. */
#ifndef CLBB_MODELS_MODEL_INTERNAL_H
#define CLBB_MODELS_MODEL_INTERNAL_H

#include "core/internal.h"
#include "graph.h"

#define PLAN_MAX_VIEWS 16

typedef struct plan_op {
    clbb_op *op;
    int node;
    /* the node whose output this op completes, for the overflow scan: node,
     * or what a fused plan computes instead (-1: an intermediate of a fused
     * plan, scanned with the output it feeds) */
    int out_node;
    char kind[32];
    clbb_tensor *views[PLAN_MAX_VIEWS]; /* bound views, destroyed with the plan */
    int num_views;
} plan_op;

typedef struct plan {
    int valid;
    clbb_shape input;
    plan_op *ops;
    int num_ops, cap_ops;
    cl_mem *slots;
    size_t *slot_bytes;
    int num_slots;
    int *value_slot;
    clbb_tensor **values; /* one whole-value tensor per graph value */
    /* copies a device input of another dtype or layout into the input
     * value (made once per plan: an op per forward would create a kernel
     * each time) */
    clbb_op *input_copy;
    clbb_model_memory mem;
} plan;

struct clbb_model {
    clbb_context *ctx;
    clbb_model_config cfg;
    graph g;
    int weights_ready;
    clbb_conv_algo conv_algo; /* forced algorithm, AUTO for per-layer choice */
    clbb_precision precision;
    clbb_dtype dtype;         /* storage of activations, from the precision */
    /* what the precision runs as on this device (clbb_model_precision_info):
     * info.math is what every conv node asks for */
    clbb_precision_info prec;
    plan p;
};

/* What precision p runs as on ctx's device: the fallback rule of
 * clbb_model_set_precision() (asks clbb_context_has_math()). */
void clbb__precision_resolve(clbb_context *ctx, clbb_precision p, clbb_precision_info *info);

/* Builds device ops and buffers for an input shape (no-op if planned). */
clbb_status clbb__plan_build(clbb_model *m, clbb_shape input);
void clbb__plan_free(clbb_model *m);
/* Enqueues every op of the plan. */
clbb_status clbb__plan_run(clbb_model *m);

/* Enqueues every op, reading each node's output back after its last op
 * until one holds a NaN or infinity: *first_bad = that node (-1: none).
 * A debug scan (one read per node) for fp16 checks and
 * CLBB_CHECK_OVERFLOW=1; forwards use clbb__plan_run. */
clbb_status clbb__plan_run_scan(clbb_model *m, int *first_bad);
/* clbb_model_forward with that scan. */
clbb_status clbb__model_forward_scan(clbb_model *m, clbb_shape shape, const float *input,
                                     int *first_bad);
/* clbb_model_forward_reference, also recording max |value| of every node's
 * output into node_max[graph num_nodes] (NULL: not recorded). */
clbb_status clbb__model_forward_reference_stats(clbb_model *m, clbb_shape shape,
                                                const float *input, float **outputs,
                                                clbb_shape *shapes, double *node_max);

/* For node kinds: a new op slot of the plan for node i. */
clbb_status clbb__plan_push(clbb_model *m, int node, const char *kind, plan_op **out);
/* Binds an op to its inputs (views of the trefs, the absent ones skipped)
 * and output: reshape to the first input's shape, then setup. */
clbb_status clbb__plan_bind(clbb_model *m, plan_op *po, const tref *ins, int num_ins, tref out);
/* The tensor of a tref in the plan (a view kept by po where it needs one). */
clbb_status clbb__plan_view(clbb_model *m, plan_op *po, tref r, const clbb_tensor **out);
/* A device tensor of its own for an op of a fused plan (an intermediate no
 * graph value holds: the liveness of the graph's slots does not cover it),
 * destroyed with the plan. */
clbb_status clbb__plan_scratch(clbb_model *m, plan_op *po, clbb_shape shape,
                               const clbb_tensor **out);
/* Drops the ops after the first num_ops (what a failed attempt left). */
void clbb__plan_truncate(clbb_model *m, int num_ops);
/* Plans the run of nodes from i that one fused op computes (plan_fuse.c):
 * *used gets how many nodes it took, 0 when none applies (or fusion is
 * off: CLBB_FUSE, batch, family). */
clbb_status clbb__plan_fused(clbb_model *m, int i, int *used);
/* How many nodes from i a fused plan would take (0: none), for liveness:
 * the slots treat such a run as one node, since its ops read the run's
 * inputs after writing what the graph defines later in it. */
int clbb__plan_fused_span(const clbb_model *m, int i);
/* The op options of the model (its storage dtype; AUTO family). */
void clbb__plan_options(const clbb_model *m, clbb_op_options *o);

/* Tuning-table key of conv node i at the graph's current shapes: its
 * geometry, fusions and dtype, and the shape class of its input
 * (columns and width rounded up to powers of two). */
void clbb__conv_key(const clbb_model *m, int node, char *buf, size_t size);

/* Creates the conv op of node i (BN folded, epilogue fused) with an
 * algorithm, kernel family and tuning text. */
clbb_status clbb__node_conv_create(clbb_model *m, int node, clbb_conv_algo algo,
                                   clbb_kernel_family family, const char *tuning, clbb_op **op);
/* Creates the op of deformable conv node i (BN folded, epilogue fused)
 * in a kernel family with a tuning text (NULL or "": the defaults). */
clbb_status clbb__node_deform_create(clbb_model *m, int node, clbb_kernel_family family,
                                     const char *tuning, clbb_op **op);
/* Plans conv node i as n describes it (node i with the residual,
 * activation and output a fused plan gives it; no GN), adding add[n, co]
 * in its epilogue when add is not NULL (clbb_conv2d_options.output_add;
 * setup order x, residual, gate, add); the layer's tuned or forced
 * algorithm first, AUTO where that does not apply. out_node: the node
 * whose output the op completes (plan_op.out_node). */
clbb_status clbb__node_conv_plan_as(clbb_model *m, int i, const graph_node *n,
                                    const clbb_tensor *add, int out_node);
/* The fused epilogue of a conv-like node: BN folded into the scale and shift
 * (malloc'ed, NULL without BN; the caller frees), residual and activation
 * unless the node's norm is GN (then a group_norm op takes them). */
clbb_status clbb__node_epilogue(clbb_model *m, const graph_node *n, float **scale,
                                float **shift, clbb_epilogue *e);
/* A conv-like node with GN: the group_norm op in place on its output, with
 * the residual and activation (nothing otherwise). */
clbb_status clbb__node_plan_gn(clbb_model *m, int i);

/* The norm (BN, GN or none) of a node over y in place, then residual and
 * act, with the reference ops: what conv and norm nodes share. */
void clbb__node_ref_norm(const graph *g, const graph_node *n, clbb_shape s, float *y,
                         const float *res);

/* Fills every parameter with random values for conformance tests: random
 * BN statistics and affine so that every path carries signal (MMDetection's
 * init zeroes residual branches). */
clbb_status clbb__model_randomize(clbb_model *m, uint64_t seed);

/* The graph (for tests: key lists, node counts). */
const graph *clbb__model_graph(const clbb_model *m);

/* Sets the weights-ready flag and drops the plan (weights are packed into ops). */
void clbb__model_weights_changed(clbb_model *m);

#endif
