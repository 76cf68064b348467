/* GeneralizedAttention (mmcv generalized_attention.py): a placeholder so
 * that the plugin list links; the real builder replaces this file. Its
 * arguments are parsed and checked by config_json.c; validation refuses
 * the type as not implemented. */
#include "core/internal.h"
#include "plugins.h"

static clbb_status gen_attention_validate(const clbb_plugin_config *pl, int k, int in_channels,
                                          char *err, size_t err_size) {
    (void)pl;
    (void)in_channels;
    return clbb__fail_buf(err, err_size, CLBB_ERR_UNSUPPORTED,
                          "argument 'plugins[%d].cfg.type' = 'GeneralizedAttention': "
                          "GeneralizedAttention is not implemented yet",
                          k);
}

static int gen_attention_build(builder *b, const char *name, const clbb_plugin_config *pl,
                               int channels, int x) {
    (void)name;
    (void)pl;
    (void)channels;
    (void)x;
    b->oom = 1; /* never reached: validation refuses the type */
    return -1;
}

const plugin_desc clbb__plugin_gen_attention = {"GeneralizedAttention", "gen_attention_block",
                                                gen_attention_build, gen_attention_validate};
