/* The list of op descriptors of the harness: the only place that names
 * them all (`clbb check`, the tests and the op benchmarks go through it). */
#include <string.h>

#include "check.h"

extern const check_op clbb__check_conv2d, clbb__check_batch_norm, clbb__check_group_norm,
    clbb__check_add, clbb__check_mul, clbb__check_max_pool2d, clbb__check_avg_pool2d,
    clbb__check_global_avg_pool, clbb__check_copy, clbb__check_softmax, clbb__check_layer_norm,
    clbb__check_channel_affine, clbb__check_context_pool, clbb__check_context_mlp,
    clbb__check_matmul,
    clbb__check_attention, clbb__check_gen_attention, clbb__check_upsample_add,
    clbb__check_deform_conv2d, clbb__check_ghost_module, clbb__check_se_gate;

static const check_op *const OPS[] = {
    &clbb__check_conv2d,     &clbb__check_batch_norm, &clbb__check_group_norm,
    &clbb__check_add,        &clbb__check_mul,        &clbb__check_max_pool2d,
    &clbb__check_avg_pool2d, &clbb__check_global_avg_pool, &clbb__check_copy,
    &clbb__check_softmax,    &clbb__check_layer_norm, &clbb__check_channel_affine,
    &clbb__check_context_pool, &clbb__check_context_mlp, &clbb__check_matmul,     &clbb__check_attention,
    &clbb__check_gen_attention, &clbb__check_upsample_add,
    &clbb__check_deform_conv2d,
    &clbb__check_ghost_module, &clbb__check_se_gate,
};

size_t check_num_ops(void) { return CLBB_ARRAY_SIZE(OPS); }

const check_op *check_op_at(size_t i) { return i < CLBB_ARRAY_SIZE(OPS) ? OPS[i] : NULL; }

const check_op *check_op_named(const char *name) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(OPS); i++)
        if (!strcmp(OPS[i]->name, name)) return OPS[i];
    return NULL;
}
