/* What the model-config files share: config_presets.c fills the defaults,
 * config_json.c parses, config_validate.c runs MMDetection's checks.
 *
 * The parser checks JSON types only. What the struct cannot hold (a style
 * string that is neither 'pytorch' nor 'caffe', conv_cfg given as a plain
 * dict, an empty plugins list, both pretrained and init_cfg...) goes into a
 * side record, so that clbb__config_validate() raises each error at the point
 * where MMDetection would and quotes the user's own spelling. */
#ifndef CLBB_MODELS_CONFIG_INTERNAL_H
#define CLBB_MODELS_CONFIG_INTERNAL_H

#include <stddef.h>

#include "clbb.h"

#define TEXT_MAX 96            /* a value quoted in a message */
#define GHOST_WIDTH_MAX 4.0
#define DEFAULT_NORM_EPS 1e-5f

/* What the JSON said that the struct cannot hold (all zero for the struct
 * API, where the struct is all there is). */
typedef struct cfg_extras {
    char style[TEXT_MAX];            /* style as written when not pytorch/caffe */
    int conv_cfg_given;              /* conv_cfg was a dict: mmdet's `is not None` */
    int plugins_given;               /* plugins was a list, even an empty one */
    int pretrained_and_init;         /* both truthy: the assert of step 2 */
    char pretrained_bad[TEXT_MAX];   /* pretrained that is neither str nor None */
    char position[CLBB_MAX_PLUGINS][TEXT_MAX]; /* an invalid position as written */
} cfg_extras;

/* A plugin position as MMDetection spells it (1..3 in the struct). */
static inline const char *position_name(int pos) {
    switch (pos) {
    case 1: return "after_conv1";
    case 2: return "after_conv2";
    case 3: return "after_conv3";
    }
    return "?";
}

/* clbb_model_config_validate() with what the JSON said beyond the struct. */
clbb_status clbb__config_validate(const clbb_model_config *c, const cfg_extras *ex, char *err,
                                  size_t n);

/* Reads the backbone dict @p root (a cJSON tree: config_source.c makes it
 * from JSON or the Python form) into @p config and validates it, as
 * clbb_model_config_parse() documents. */
struct cJSON;
clbb_status clbb__config_parse_tree(const struct cJSON *root, clbb_model_config *config,
                                   char *errbuf, size_t errbuf_size);

#endif
