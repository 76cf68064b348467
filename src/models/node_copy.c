/* Copy nodes: a dense copy of whatever view the node reads (a transpose
 * made contiguous for the ops that read dense images). Input: NODE_IN. */
#include <string.h>

#include "model_internal.h"

static void copy_reference(const graph *g, const graph_node *n, const clbb_shape *shapes,
                           const float *const *in, float *y) {
    (void)g;
    (void)n;
    memcpy(y, in[NODE_IN], clbb_shape_numel(shapes[NODE_IN]) * sizeof(float));
}

static clbb_status copy_plan(clbb_model *m, int i) {
    const graph_node *n = &m->g.nodes[i];
    clbb_op_options o;
    clbb__plan_options(m, &o);
    plan_op *po;
    CLBB_CHECK(clbb__plan_push(m, i, "copy", &po));
    CLBB_CHECK(clbb_copy_create(m->ctx, &o, &po->op));
    return clbb__plan_bind(m, po, &n->in[NODE_IN], 1, n->out);
}

const node_kind_desc clbb__node_copy = {"copy", graph_infer_same, copy_reference, copy_plan};
