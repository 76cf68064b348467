/* What the planner's fusions share (plan_fuse.c: launch fusions;
 * plan_fuse_context.c: GCNet's ContextBlock through conv3's input). */
#ifndef CLBB_MODELS_PLAN_FUSE_H
#define CLBB_MODELS_PLAN_FUSE_H

#include "model_internal.h"

/* Whether a and b name the same channel range of one value (plain slices). */
int clbb__fuse_same_ref(tref a, tref b);
/* Whether value v is a graph output or read by a node outside [lo, hi]. */
int clbb__fuse_read_outside(const graph *g, int v, int lo, int hi);

/* Nodes i..i+3 as conv3 -> context_pool or global average pool ->
 * context_mlp (channel_add) -> channel_affine: 4, else 0. */
int clbb__match_context_block(const graph *g, int i);
/* Plans them through conv3's input (plan_fuse_context.c). */
clbb_status clbb__plan_context_block(clbb_model *m, int i);

#endif
