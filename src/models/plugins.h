/* MMDetection's block plugins (mmcv ContextBlock, NonLocal2d,
 * GeneralizedAttention; SPEC A §1.12): one builder per plugin type, called
 * by the ResNet block builder at after_conv1/2/3 in list order. Each lives
 * in plugin_<type>.c with its validation. */
#ifndef CLBB_MODELS_PLUGINS_H
#define CLBB_MODELS_PLUGINS_H

#include "build.h"

/* Registers the plugin's parameters under `name` (its module path, e.g.
 * "layer3.0.context_block") with mmcv's key names, in PyTorch registration
 * order, and emits its nodes reading value x (channels channels). Returns
 * the output value (same channels and shape as x), -1 when out of memory
 * (b->oom set). */
typedef int (*plugin_build_fn)(builder *b, const char *name, const clbb_plugin_config *pl,
                               int channels, int x);

/* Validates the type's arguments for a block of in_channels channels, as
 * mmcv's constructor asserts them; the message names the argument
 * ("plugins[k].cfg.<arg>"). */
typedef clbb_status (*plugin_validate_fn)(const clbb_plugin_config *pl, int k, int in_channels,
                                          char *err, size_t err_size);

typedef struct plugin_desc {
    const char *type; /* "ContextBlock" */
    const char *abbr; /* mmcv _abbr_: "context_block" */
    plugin_build_fn build;
    plugin_validate_fn validate;
} plugin_desc;

/* Helpers of the plugin builders: a new value, a node appended, a
 * parameter registered ("<name>.<leaf>"), each setting b->oom on failure. */
static inline int plugin_value(builder *b, int channels) {
    int v = graph_value_add(b->g, channels);
    if (v < 0) b->oom = 1;
    return v;
}
static inline void plugin_node(builder *b, const graph_node *n) {
    if (graph_node_add(b->g, n) < 0) b->oom = 1;
}
int plugin_param(builder *b, const char *name, const char *leaf, param_role role, int ndim,
                 int64_t d0, int64_t d1, int64_t d2, int64_t d3);

/* The descriptor of a type, NULL if unknown (plugins.c). */
const plugin_desc *clbb__plugin_find(const char *type);

extern const plugin_desc clbb__plugin_context_block, clbb__plugin_non_local,
    clbb__plugin_gen_attention;

#endif
