/* Model config defaults (MMDetection's constructor defaults) and the
 * ready-made `--arch` presets. */
#include <string.h>

#include "config_internal.h"
#include "core/internal.h"

void clbb_model_config_init(clbb_model_config *c, clbb_model_type type) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->type = type;
    /* ResNet.__init__ defaults (resnet.py lines 369-391). depth has no
     * default in MMDetection; 50 is ours, for the struct API. */
    c->depth = 50;
    c->in_channels = 3;
    c->stem_channels = 0;
    c->base_channels = 64;
    c->num_stages = 4;
    c->num_strides = 4;
    c->num_dilations = 4;
    for (int i = 0; i < CLBB_MAX_STAGES; i++) {
        c->strides[i] = i == 0 ? 1 : 2;
        c->dilations[i] = 1;
        c->stage_with_dcn[i] = 0;
    }
    c->num_stage_with_dcn = 4;
    c->dcn_deform_groups = 1;
    c->num_out_indices = 4;
    for (int i = 0; i < 4; i++) c->out_indices[i] = i;
    c->style_caffe = 0;
    c->deep_stem = c->avg_down = type == CLBB_MODEL_RESNET_V1D;
    c->frozen_stages = -1;
    c->norm_eval = 1;
    c->with_cp = 0;
    c->zero_init_residual = 1;
    c->norm_type = CLBB_NORM_BN;
    c->norm_eps = DEFAULT_NORM_EPS;
    c->norm_num_groups = 0;
    c->norm_requires_grad = 1;
    c->ghost_conv = 0;
    c->ghost_ratio = 2;
    c->ghost_dw_size = 3;
    c->ghost_relu = 1;
    /* ResNeXt(groups=1, base_width=4); neutral for the other types. */
    c->groups = 1;
    c->base_width = 4;
    c->width = 1.0f;
    if (type == CLBB_MODEL_GHOSTNET) {
        static const int ghost_out[4] = {2, 4, 6, 9};
        memcpy(c->out_indices, ghost_out, sizeof ghost_out);
    }
}

/* name, type, depth, groups, base_width, width, ghost conv */
#define CLBB_PRESETS(X)                                                    \
    X("resnet18", CLBB_MODEL_RESNET, 18, 1, 4, 1.0f, 0)                    \
    X("resnet34", CLBB_MODEL_RESNET, 34, 1, 4, 1.0f, 0)                    \
    X("resnet50", CLBB_MODEL_RESNET, 50, 1, 4, 1.0f, 0)                    \
    X("resnet101", CLBB_MODEL_RESNET, 101, 1, 4, 1.0f, 0)                  \
    X("resnet152", CLBB_MODEL_RESNET, 152, 1, 4, 1.0f, 0)                  \
    X("resnet18v1d", CLBB_MODEL_RESNET_V1D, 18, 1, 4, 1.0f, 0)             \
    X("resnet34v1d", CLBB_MODEL_RESNET_V1D, 34, 1, 4, 1.0f, 0)             \
    X("resnet50v1d", CLBB_MODEL_RESNET_V1D, 50, 1, 4, 1.0f, 0)             \
    X("resnet101v1d", CLBB_MODEL_RESNET_V1D, 101, 1, 4, 1.0f, 0)           \
    X("resnet152v1d", CLBB_MODEL_RESNET_V1D, 152, 1, 4, 1.0f, 0)           \
    X("resnext50_32x4d", CLBB_MODEL_RESNEXT, 50, 32, 4, 1.0f, 0)           \
    X("resnext101_32x4d", CLBB_MODEL_RESNEXT, 101, 32, 4, 1.0f, 0)         \
    X("resnext101_64x4d", CLBB_MODEL_RESNEXT, 101, 64, 4, 1.0f, 0)         \
    X("resnext101_32x8d", CLBB_MODEL_RESNEXT, 101, 32, 8, 1.0f, 0)         \
    X("ghostnet", CLBB_MODEL_GHOSTNET, 0, 1, 4, 1.0f, 0)                   \
    X("ghostnet_050", CLBB_MODEL_GHOSTNET, 0, 1, 4, 0.5f, 0)               \
    X("ghostnet_130", CLBB_MODEL_GHOSTNET, 0, 1, 4, 1.3f, 0)               \
    X("ghost_resnet50", CLBB_MODEL_RESNET, 50, 1, 4, 1.0f, 1)             \
    X("resnet50_dcn_c3c5", CLBB_MODEL_RESNET, 50, 1, 4, 1.0f, 0)          \
    X("resnet50_dcnv2_c3c5", CLBB_MODEL_RESNET, 50, 1, 4, 1.0f, 0)        \
    X("resnet101_dcn_c3c5", CLBB_MODEL_RESNET, 101, 1, 4, 1.0f, 0)

typedef struct preset {
    const char *name;
    clbb_model_type type;
    int depth, groups, base_width;
    float width;
    int ghost;
} preset;

#define PRESET_ROW(n, t, d, g, bw, w, gh) {n, t, d, g, bw, w, gh},
static const preset presets[] = {CLBB_PRESETS(PRESET_ROW)};
/* ResNet-50 with plugins: name, plugin type, ratio (ContextBlock), stages
 * (bit i: stage i), position. GCNet's configs/gcnet/mask-rcnn_r50-gcb-r16-c3-c5
 * and -r4-c3-c5 (ContextBlock after conv3 in stages 2..4); MMDetection has
 * no NonLocal2d backbone config: one NonLocal2d (mmcv's defaults) after
 * conv3 of every layer3 block (c4). Empirical attention's attn1111 and
 * attn0010 (GeneralizedAttention after conv2 in stages 3 and 4). */
#define CLBB_PLUGIN_PRESETS(X)                                             \
    X("resnet50_gcb_r16_c3c5", "ContextBlock", 1.0 / 16, 0xe, 3)          \
    X("resnet50_gcb_r4_c3c5", "ContextBlock", 1.0 / 4, 0xe, 3)            \
    X("resnet50_nonlocal_c4", "NonLocal2d", 0.0, 0x4, 3)                 \
    X("resnet50_attn1111_c4c5", "GeneralizedAttention", 0.0, 0xc, 2)      \
    X("resnet50_attn0010_c4c5", "GeneralizedAttention", 0.0, 0xc, 2)

typedef struct plugin_preset {
    const char *name, *type;
    double ratio;
    unsigned stages;
    int position;
} plugin_preset;

#define PLUGIN_PRESET_ROW(n, t, r, s, p) {n, t, r, s, p},
static const plugin_preset plugin_presets[] = {CLBB_PLUGIN_PRESETS(PLUGIN_PRESET_ROW)};

#define PRESET_NAME(n, t, d, g, bw, w, gh) n,
#define PLUGIN_PRESET_NAME(n, t, r, s, p) n,
static const char *const preset_names[] = {CLBB_PRESETS(PRESET_NAME)
                                               CLBB_PLUGIN_PRESETS(PLUGIN_PRESET_NAME) NULL};

/* mmcv's constructor defaults of every plugin type, as the JSON parser
 * fills them before reading a cfg. */
static void plugin_init(clbb_plugin_config *pl, const char *type) {
    memset(pl, 0, sizeof *pl);
    clbb__strlcpy(pl->type, type, sizeof pl->type);
    pl->ratio = 0.0;
    pl->pooling_att = 1;
    pl->fusion_add = 1;
    pl->reduction = 2;
    pl->use_scale = 1;
    clbb__strlcpy(pl->mode, "embedded_gaussian", sizeof pl->mode);
    pl->spatial_range = -1;
    pl->num_heads = 9;
    pl->position_embedding_dim = -1;
    pl->position_magnitude = 1;
    pl->kv_stride = 2;
    pl->q_stride = 1;
    clbb__strlcpy(pl->attention_type, "1111", sizeof pl->attention_type);
}

static int apply_plugin_preset(const char *name, clbb_model_config *c) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(plugin_presets); i++) {
        const plugin_preset *p = &plugin_presets[i];
        if (strcmp(p->name, name) != 0) continue;
        clbb_model_config_init(c, CLBB_MODEL_RESNET);
        c->num_plugins = 1;
        clbb_plugin_config *pl = &c->plugins[0];
        plugin_init(pl, p->type);
        pl->ratio = p->ratio;
        pl->position = p->position;
        if (!strcmp(p->type, "GeneralizedAttention")) {
            /* configs/empirical_attention/faster-rcnn_r50-attn1111 / -attn0010:
             * spatial_range=-1, num_heads=8, kv_stride=2 */
            pl->spatial_range = -1;
            pl->num_heads = 8;
            pl->kv_stride = 2;
            clbb__strlcpy(pl->attention_type, strstr(p->name, "attn0010") ? "0010" : "1111",
                          sizeof pl->attention_type);
        }
        pl->num_stages = 4;
        for (int s = 0; s < 4; s++) pl->stages[s] = (int)(p->stages >> s) & 1;
        return 1;
    }
    return 0;
}

const char *const *clbb_model_preset_names(void) { return preset_names; }

/* The DCN presets: MMDetection's dconv-c3-c5 / mdconv-c3-c5 backbones,
 * dcn=dict(type=..., deform_groups=1, fallback_on_stride=False),
 * stage_with_dcn=(False, True, True, True). */
static const struct {
    const char *name, *dcn_type;
} dcn_presets[] = {
    {"resnet50_dcn_c3c5", "DCN"},
    {"resnet50_dcnv2_c3c5", "DCNv2"},
    {"resnet101_dcn_c3c5", "DCN"},
};

static void preset_dcn(const char *name, clbb_model_config *c) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(dcn_presets); i++) {
        if (strcmp(dcn_presets[i].name, name) != 0) continue;
        c->has_dcn = 1;
        clbb__strlcpy(c->dcn_type, dcn_presets[i].dcn_type, sizeof c->dcn_type);
        c->dcn_deform_groups = 1;
        c->dcn_fallback_on_stride = 0;
        for (int s = 0; s < 4; s++) c->stage_with_dcn[s] = s > 0;
    }
}

clbb_status clbb_model_config_preset(const char *name, clbb_model_config *config) {
    /* The signature has no error buffer: callers list the valid names
     * through clbb_model_preset_names(). */
    if (!name || !config) return CLBB_ERR_INVALID_ARGUMENT;
    if (apply_plugin_preset(name, config)) return CLBB_OK;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(presets); i++) {
        const preset *p = &presets[i];
        if (strcmp(p->name, name) != 0) continue;
        clbb_model_config_init(config, p->type);
        if (p->type == CLBB_MODEL_GHOSTNET) {
            config->width = p->width;
        } else {
            config->depth = p->depth;
            config->groups = p->groups;
            config->base_width = p->base_width;
            config->ghost_conv = p->ghost;
            preset_dcn(name, config);
        }
        return CLBB_OK;
    }
    return CLBB_ERR_INVALID_ARGUMENT;
}
