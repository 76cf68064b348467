/* The list of graph node kinds: the only place that names them all. */
#include <stdlib.h>

#include "graph.h"

static const node_kind_desc *const KINDS[NODE_KIND_COUNT] = {
    [NODE_CONV] = &clbb__node_conv,         [NODE_NORM] = &clbb__node_norm,
    [NODE_MAX_POOL] = &clbb__node_max_pool, [NODE_AVG_POOL] = &clbb__node_avg_pool,
    [NODE_GAP] = &clbb__node_gap,           [NODE_COPY] = &clbb__node_copy,
    [NODE_DEFORM_CONV] = &clbb__node_deform_conv,
};

const node_kind_desc *graph_node_kind(node_kind kind) {
    if ((int)kind < 0 || kind >= NODE_KIND_COUNT || !KINDS[kind]) abort(); /* a builder bug */
    return KINDS[kind];
}
