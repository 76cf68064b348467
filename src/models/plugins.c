/* The list of MMDetection plugin types clbb builds (plugins.h): the only
 * place that names them all. */
#include <stdio.h>
#include <string.h>

#include "plugins.h"

static const plugin_desc *const PLUGINS[] = {
    &clbb__plugin_context_block,
    &clbb__plugin_gen_attention,
    &clbb__plugin_non_local,
};

const plugin_desc *clbb__plugin_find(const char *type) {
    if (!type) return NULL;
    for (size_t i = 0; i < sizeof PLUGINS / sizeof PLUGINS[0]; i++)
        if (strcmp(PLUGINS[i]->type, type) == 0) return PLUGINS[i];
    return NULL;
}

int plugin_param(builder *b, const char *name, const char *leaf, param_role role, int ndim,
                 int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", name, leaf);
    const int64_t shape[4] = {d0, d1, d2, d3};
    int p = graph_param_add(b->g, key, role, ndim, shape);
    if (p < 0) b->oom = 1;
    return p;
}
