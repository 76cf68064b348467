/* The list of graph node kinds: the only place that names them all. */
#include <stdlib.h>

#include "graph.h"

static const node_kind_desc *const KINDS[NODE_KIND_COUNT] = {
    [NODE_CONV] = &clbb__node_conv,         [NODE_NORM] = &clbb__node_norm,
    [NODE_MAX_POOL] = &clbb__node_max_pool, [NODE_AVG_POOL] = &clbb__node_avg_pool,
    [NODE_GAP] = &clbb__node_gap,           [NODE_COPY] = &clbb__node_copy,
    [NODE_CONTEXT_POOL] = &clbb__node_context_pool,
    [NODE_LAYER_NORM] = &clbb__node_layer_norm,
    [NODE_CHANNEL_AFFINE] = &clbb__node_channel_affine,
    [NODE_SOFTMAX] = &clbb__node_softmax,
    [NODE_MATMUL] = &clbb__node_matmul,
    [NODE_PAIR_PROJ] = &clbb__node_pair_proj,
    [NODE_GEN_ATTENTION] = &clbb__node_gen_attention,
    [NODE_UPSAMPLE_ADD] = &clbb__node_upsample_add,
    [NODE_DEFORM_CONV] = &clbb__node_deform_conv,
    [NODE_CONTEXT_MLP] = &clbb__node_context_mlp,
};

const node_kind_desc *graph_node_kind(node_kind kind) {
    if ((int)kind < 0 || kind >= NODE_KIND_COUNT || !KINDS[kind]) abort(); /* a builder bug */
    return KINDS[kind];
}
