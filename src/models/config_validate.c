/* MMDetection's own checks on a backbone config, in the order its
 * constructors run them (SPEC A 1.2), then clbb's own limits. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "core/internal.h"
#include "plugins.h"
#include "resnet_arch.h"

#define LIST_TEXT_MAX 64       /* an int list quoted in a message */
#define CHANNELS_MAX (1 << 20) /* clbb's own bound, far above any real backbone */
#define GHOST_NUM_BLOCKS 10    /* blocks.0 .. blocks.9 */

static void format_ints(const int *v, int n, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    len += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? ", " : "", v[i]);
    if (len < size) snprintf(buf + len, size - len, "]");
}

static int plugin_active(const clbb_plugin_config *pl, int stage) {
    return pl->num_stages == 0 || pl->stages[stage];
}

/* nn.GroupNorm raises unless num_channels % num_groups == 0. */
/* dcn's own arguments (the JSON parser checked the same; the struct API
 * reaches here directly). */
static clbb_status check_dcn(const clbb_model_config *c, char *err, size_t n) {
    if (!c->has_dcn) return CLBB_OK;
    if (strcmp(c->dcn_type, "DCN") != 0 && strcmp(c->dcn_type, "DCNv2") != 0)
        return clbb__fail_buf(err, n, CLBB_ERR_UNSUPPORTED,
                              "argument 'dcn.type' = '%.*s': clbb implements 'DCN' "
                              "(DeformConv2dPack) and 'DCNv2' (ModulatedDeformConv2dPack)",
                              (int)sizeof c->dcn_type, c->dcn_type);
    if (c->dcn_deform_groups < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'dcn.deform_groups' = %d: must be >= 1",
                              c->dcn_deform_groups);
    return CLBB_OK;
}

/* A block of the stage has a deformable conv2 (the fallback_on_stride
 * quirk may leave the first one plain). */
static int stage_deformable(const clbb_model_config *c, int stage) {
    const resnet_arch *a = clbb__resnet_arch(c->type, c->depth);
    const int blocks = a ? a->blocks[stage < 4 ? stage : 3] : 1;
    for (int j = 0; j < blocks; j++)
        if (clbb__dcn_conv2(c, stage, j)) return 1;
    return 0;
}

static clbb_status check_gn(const clbb_model_config *c, long long channels, const char *where,
                            char *err, size_t n) {
    if (c->norm_type != CLBB_NORM_GN || channels % c->norm_num_groups == 0) return CLBB_OK;
    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                          "argument 'norm_cfg.num_groups' = %d: %s has %lld channels, "
                          "not divisible by num_groups (GroupNorm needs num_channels %% "
                          "num_groups == 0)",
                          c->norm_num_groups, where, channels);
}

/* A refusal of clbb's (UNSUPPORTED) found while MMDetection's checks still
 * run: the first one is reported once every MMDetection check passed. */
typedef struct deferred {
    clbb_status st;
    char msg[512];
} deferred;

/* Bottleneck.make_block_plugins for one stage: positions in order, plugins
 * in list order, each layer built (its constructor's checks, through the
 * type's validate, with in_channels planes -- width for ResNeXt -- after
 * conv1/conv2 and planes * 4 after conv3), then `hasattr(self, name)`,
 * which spans the whole block, so a name clashes across positions too. */
static clbb_status check_block_plugins(const clbb_model_config *c, int stage, long long mid,
                                       long long out, deferred *d, char *err, size_t n) {
    char names[CLBB_MAX_PLUGINS][80];
    int num_names = 0;
    for (int pos = 1; pos <= 3; pos++) {
        for (int k = 0; k < c->num_plugins; k++) {
            const clbb_plugin_config *pl = &c->plugins[k];
            if (pl->position != pos || !plugin_active(pl, stage)) continue;
            char type[sizeof pl->type];
            clbb__strlcpy(type, pl->type, sizeof type);
            const plugin_desc *desc = clbb__plugin_find(type);
            if (!desc)
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'plugins[%d].cfg.type' = '%s': unknown plugin "
                                      "type (known: ContextBlock, GeneralizedAttention, "
                                      "NonLocal2d)",
                                      k, type);
            const long long in = pos == 3 ? out : mid;
            char msg[sizeof d->msg];
            clbb_status st = desc->validate(pl, k, in > INT_MAX ? INT_MAX : (int)in, msg, sizeof msg);
            if (st == CLBB_ERR_UNSUPPORTED && d->st == CLBB_OK) {
                d->st = st;
                clbb__strlcpy(d->msg, msg, sizeof d->msg);
            } else if (st != CLBB_OK && st != CLBB_ERR_UNSUPPORTED) {
                return clbb__fail_buf(err, n, st, "%s", msg);
            }
            char postfix[sizeof pl->postfix];
            clbb__strlcpy(postfix, pl->postfix, sizeof postfix);
            snprintf(names[num_names], sizeof names[num_names], "%s%s", desc->abbr, postfix);
            for (int j = 0; j < num_names; j++)
                if (strcmp(names[j], names[num_names]) == 0)
                    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                          "argument 'plugins[%d]': duplicate plugin %s in the "
                                          "blocks of layer%d (give each plugin of a block its "
                                          "own cfg.postfix)",
                                          k, names[j], stage + 1);
            num_names++;
        }
    }
    return CLBB_OK;
}

static clbb_status validate_ghostnet(const clbb_model_config *c, char *err, size_t n) {
    if (c->in_channels < 1 || c->in_channels > CHANNELS_MAX)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'in_channels' = %d: must be in 1..%d", c->in_channels,
                              CHANNELS_MAX);
    if (!(isfinite(c->width) && c->width > 0.0f && c->width <= GHOST_WIDTH_MAX))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'width' = %g: must be > 0 and <= %g", (double)c->width,
                              GHOST_WIDTH_MAX);
    if (c->num_out_indices < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'out_indices' is empty: give at least one of 0..9");
    if (c->num_out_indices > CLBB_MAX_OUT_INDICES)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'out_indices' has %d entries: at most %d", c->num_out_indices,
                              CLBB_MAX_OUT_INDICES);
    char list[LIST_TEXT_MAX];
    format_ints(c->out_indices, c->num_out_indices, list, sizeof list);
    for (int i = 0; i < c->num_out_indices; i++) {
        int v = c->out_indices[i];
        if (v < 0 || v >= GHOST_NUM_BLOCKS)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'out_indices' = %s: out_indices[%d] = %d must be in "
                                  "0..%d (index i is the output of blocks[i])",
                                  list, i, v, GHOST_NUM_BLOCKS - 1);
        for (int j = 0; j < i; j++)
            if (c->out_indices[j] == v)
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'out_indices' = %s: %d is listed twice", list, v);
    }
    return CLBB_OK;
}

/* ResNet.__init__ and the blocks it builds, in their order (SPEC 1.2). */
static clbb_status validate_resnet(const clbb_model_config *c, const cfg_extras *ex, char *err,
                                   size_t n) {
    const int resnext = c->type == CLBB_MODEL_RESNEXT;
    char list[LIST_TEXT_MAX];

    /* ResNetV1d(**kwargs) passes these itself; a struct that disagrees
     * describes a different network. */
    if (c->type == CLBB_MODEL_RESNET_V1D && (!c->deep_stem || !c->avg_down))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument '%s' = false: ResNetV1d always uses deep_stem=True and "
                              "avg_down=True",
                              c->deep_stem ? "avg_down" : "deep_stem");

    /* 1. depth */
    const resnet_arch *arch = clbb__resnet_arch(c->type, c->depth);
    if (!arch)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'depth' = %d: invalid depth %d for %s (valid: %s)",
                              c->depth, c->depth, resnext ? "resnext" : "resnet",
                              resnext ? "50, 101, 152" : "18, 34, 50, 101, 152");
    const int basic = !arch->bottleneck;

    /* 2. pretrained / init_cfg */
    if (ex->pretrained_and_init)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "arguments 'init_cfg' and 'pretrained': init_cfg and pretrained "
                              "cannot be specified at the same time");
    if (ex->pretrained_bad[0])
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'pretrained' = %s: pretrained must be a str or None",
                              ex->pretrained_bad);

    /* 3. stem_channels None -> base_channels */
    if (c->stem_channels < 0)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'stem_channels' = %d: must be >= 1 or null",
                              c->stem_channels);
    const long long stem = c->stem_channels ? c->stem_channels : c->base_channels;

    /* 4. */
    if (c->num_stages < 1 || c->num_stages > 4)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'num_stages' = %d: must be in 1..4", c->num_stages);
    const int ns = c->num_stages;

    /* 5. */
    if (c->num_strides != ns)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'strides' has %d entries but num_stages = %d "
                              "(len(strides) == len(dilations) == num_stages)",
                              c->num_strides, ns);
    if (c->num_dilations != ns)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'dilations' has %d entries but num_stages = %d "
                              "(len(strides) == len(dilations) == num_stages)",
                              c->num_dilations, ns);

    /* 6. max(out_indices) < num_stages; max() of nothing raises. */
    if (c->num_out_indices < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'out_indices' is empty: max() of an empty sequence; "
                              "give at least one stage index");
    if (c->num_out_indices > CLBB_MAX_OUT_INDICES)
        return clbb__fail_buf(err, n, CLBB_ERR_UNSUPPORTED,
                              "argument 'out_indices' has %d entries: clbb holds at most %d",
                              c->num_out_indices, CLBB_MAX_OUT_INDICES);
    format_ints(c->out_indices, c->num_out_indices, list, sizeof list);
    int max_out = INT_MIN;
    for (int i = 0; i < c->num_out_indices; i++)
        if (c->out_indices[i] > max_out) max_out = c->out_indices[i];
    if (max_out >= ns)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'out_indices' = %s: max(out_indices) = %d must be < "
                              "num_stages = %d",
                              list, max_out, ns);
    /* Repeated indices pass: MMDetection tests `i in out_indices`, so a stage
     * is output once however often it is listed. A negative index passes
     * there too but is never output; we refuse it as a likely mistake. */
    for (int i = 0; i < c->num_out_indices; i++)
        if (c->out_indices[i] < 0)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'out_indices' = %s: out_indices[%d] = %d must be "
                                  ">= 0 (a negative stage index would never be output)",
                                  list, i, c->out_indices[i]);

    /* 7. */
    CLBB_CHECK(check_dcn(c, err, n));
    if (c->has_dcn && c->num_stage_with_dcn != ns)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'stage_with_dcn' has %d entries but num_stages = %d "
                              "(len(stage_with_dcn) == num_stages when dcn is given)",
                              c->num_stage_with_dcn, ns);

    /* The stem: conv arguments and channel counts as PyTorch would reject them. */
    if (c->in_channels < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'in_channels' = %d: must be >= 1", c->in_channels);
    if (c->base_channels < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'base_channels' = %d: must be >= 1", c->base_channels);
    if (c->deep_stem && stem < 2)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'stem_channels' = %lld: the deep stem's first convs "
                              "have stem_channels // 2 = 0 channels; must be >= 2",
                              stem);
    for (int i = 0; i < ns; i++) {
        if (c->strides[i] < 1) {
            format_ints(c->strides, ns, list, sizeof list);
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'strides' = %s: strides[%d] = %d must be >= 1", list,
                                  i, c->strides[i]);
        }
        if (c->dilations[i] < 1) {
            format_ints(c->dilations, ns, list, sizeof list);
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'dilations' = %s: dilations[%d] = %d must be >= 1",
                                  list, i, c->dilations[i]);
        }
    }
    if (resnext) {
        if (c->groups < 1)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'groups' = %d: must be >= 1", c->groups);
        if (c->base_width < 1)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'base_width' = %d: must be >= 1", c->base_width);
    } else {
        /* Zero is tolerated: a zero-filled struct means "not a ResNeXt". */
        if (c->groups != 1 && c->groups != 0)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'groups' = %d: only ResNeXt takes groups", c->groups);
        if (c->base_width != 4 && c->base_width != 0)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'base_width' = %d: only ResNeXt takes base_width",
                                  c->base_width);
    }
    if (c->ghost_conv) {
        if (c->ghost_ratio < 2)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'conv_cfg.ratio' = %d: must be >= 2", c->ghost_ratio);
        if (c->ghost_dw_size < 1 || c->ghost_dw_size % 2 == 0)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'conv_cfg.dw_size' = %d: must be an odd integer >= 1",
                                  c->ghost_dw_size);
    }
    if (c->norm_type != CLBB_NORM_BN && c->norm_type != CLBB_NORM_SYNCBN &&
        c->norm_type != CLBB_NORM_GN)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'norm_cfg.type' = %d: unknown norm type",
                              (int)c->norm_type);
    if (!(isfinite(c->norm_eps) && c->norm_eps >= 0.0f))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'norm_cfg.eps' = %g: must be a finite number >= 0",
                              (double)c->norm_eps);
    if (c->norm_type == CLBB_NORM_GN && c->norm_num_groups < 1)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'norm_cfg.num_groups' = %d: GN needs num_groups >= 1",
                              c->norm_num_groups);
    if (c->deep_stem) {
        CLBB_CHECK(check_gn(c, stem / 2, "stem.1 (stem_channels // 2)", err, n));
        CLBB_CHECK(check_gn(c, stem, "stem.7 (stem_channels)", err, n));
    } else {
        CLBB_CHECK(check_gn(c, stem, "the stem norm gn1 (stem_channels)", err, n));
    }

    /* 9. the stages */
    if (c->num_plugins < 0 || c->num_plugins > CLBB_MAX_PLUGINS)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'plugins' has %d entries: at most %d", c->num_plugins,
                              CLBB_MAX_PLUGINS);
    const int expansion = basic ? 1 : 4;
    long long inplanes = stem, max_channels = stem > c->in_channels ? stem : c->in_channels;
    deferred plugin_refusal = {CLBB_OK, ""};
    for (int i = 0; i < ns; i++) {
        char where[96];
        /* `self.stage_with_dcn[i]` is indexed even when dcn is None. */
        if (i >= c->num_stage_with_dcn)
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "argument 'stage_with_dcn' has %d entries: stage %d has none "
                                  "(IndexError; give num_stages = %d entries)",
                                  c->num_stage_with_dcn, i, ns);
        const int dcn_on = c->has_dcn && c->stage_with_dcn[i];
        if (i == 0) /* make_stage_plugins, for every plugin */
            for (int k = 0; k < c->num_plugins; k++)
                if (c->plugins[k].num_stages != 0 && c->plugins[k].num_stages != ns)
                    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                          "argument 'plugins[%d].stages' has %d entries but "
                                          "num_stages = %d",
                                          k, c->plugins[k].num_stages, ns);
        const long long planes = (long long)c->base_channels << i;
        const long long out = planes * expansion;
        if (c->strides[i] != 1 || inplanes != out) {
            snprintf(where, sizeof where, "layer%d.0.downsample (planes * expansion)", i + 1);
            CLBB_CHECK(check_gn(c, out, where, err, n));
        }
        if (basic) {
            if (dcn_on)
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'dcn': BasicBlock (depth %d) with dcn in stage "
                                      "%d: Not implemented yet",
                                      c->depth, i);
            if (ex->plugins_given)
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'plugins': BasicBlock (depth %d) with plugins: "
                                      "Not implemented yet",
                                      c->depth);
            snprintf(where, sizeof where, "layer%d.0.gn1 (planes)", i + 1);
            CLBB_CHECK(check_gn(c, planes, where, err, n));
        } else {
            if (c->style_caffe != 0 && c->style_caffe != 1) {
                char text[TEXT_MAX];
                if (ex->style[0])
                    clbb__strlcpy(text, ex->style, sizeof text);
                else
                    snprintf(text, sizeof text, "%d", c->style_caffe);
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'style' = %s: must be 'pytorch' or 'caffe'", text);
            }
            for (int k = 0; k < c->num_plugins; k++) {
                const clbb_plugin_config *pl = &c->plugins[k];
                if (!plugin_active(pl, i) || (pl->position >= 1 && pl->position <= 3)) continue;
                char text[TEXT_MAX];
                if (ex->position[k][0])
                    clbb__strlcpy(text, ex->position[k], sizeof text);
                else
                    snprintf(text, sizeof text, "%d", pl->position);
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'plugins[%d].position' = %s: must be "
                                      "'after_conv1', 'after_conv2' or 'after_conv3'",
                                      k, text);
            }
            snprintf(where, sizeof where, "layer%d.0.gn1 (planes)", i + 1);
            CLBB_CHECK(check_gn(c, planes, where, err, n));
            snprintf(where, sizeof where, "layer%d.0.gn3 (planes * 4)", i + 1);
            CLBB_CHECK(check_gn(c, out, where, err, n));
            if (dcn_on && ex->conv_cfg_given && stage_deformable(c, i))
                return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                      "argument 'conv_cfg': conv_cfg must be None for DCN (dcn "
                                      "is on in stage %d)",
                                      i);
            const long long width =
                resnext ? clbb__resnext_width(planes, c->base_width, c->base_channels, c->groups)
                        : planes;
            CLBB_CHECK(check_block_plugins(c, i, width, out, &plugin_refusal, err, n));
            if (dcn_on) {
                const long long w = resnext ? clbb__resnext_width(planes, c->base_width,
                                                                  c->base_channels, c->groups)
                                            : planes;
                if (w >= 1 && w % c->dcn_deform_groups)
                    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                          "argument 'dcn.deform_groups' = %d does not divide "
                                          "the %lld channels of layer%d's conv2",
                                          c->dcn_deform_groups, w, i + 1);
            }
            if (resnext) {
                if (width < 1)
                    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                          "argument 'base_width' = %d: layer%d width = "
                                          "floor(%lld * %d / %d) * %d = %lld channels; must be "
                                          ">= 1",
                                          c->base_width, i + 1, planes, c->base_width,
                                          c->base_channels, c->groups, width);
                snprintf(where, sizeof where, "layer%d.0.gn2 (ResNeXt width)", i + 1);
                CLBB_CHECK(check_gn(c, width, where, err, n));
                if (width > max_channels) max_channels = width;
            }
        }
        if (out > max_channels) max_channels = out;
        inplanes = out;
    }
    /* 10. _freeze_stages(), the constructor's last step, reaches
     * layer1..layer{frozen_stages}: getattr fails past the last stage. */
    if (c->frozen_stages > ns)
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "argument 'frozen_stages' = %d: must be <= num_stages = %d "
                              "(ResNet._freeze_stages() would freeze layer%d, which does not "
                              "exist; -1 freezes nothing)",
                              c->frozen_stages, ns, ns + 1);
    /* Every MMDetection check passed; what follows is clbb's own limits. */
    if (max_channels > CHANNELS_MAX)
        return clbb__fail_buf(err, n, CLBB_ERR_UNSUPPORTED,
                              "arguments 'in_channels'/'stem_channels'/'base_channels'/'groups'/"
                              "'base_width' give a layer of %lld channels: clbb handles at most %d",
                              max_channels, CHANNELS_MAX);
    if (plugin_refusal.st != CLBB_OK)
        return clbb__fail_buf(err, n, plugin_refusal.st, "%s", plugin_refusal.msg);
    return CLBB_OK;
}

clbb_status clbb__config_validate(const clbb_model_config *c, const cfg_extras *ex, char *err,
                                  size_t n) {
    switch (c->type) {
    case CLBB_MODEL_RESNET:
    case CLBB_MODEL_RESNET_V1D:
    case CLBB_MODEL_RESNEXT: return validate_resnet(c, ex, err, n);
    case CLBB_MODEL_GHOSTNET: return validate_ghostnet(c, err, n);
    }
    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG, "argument 'type' = %d: unknown model type",
                          (int)c->type);
}

clbb_status clbb_model_config_validate(const clbb_model_config *config, char *errbuf,
                                       size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (!config)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_model_config_validate: config is NULL");
    cfg_extras ex;
    memset(&ex, 0, sizeof ex);
    ex.conv_cfg_given = config->ghost_conv != 0;
    ex.plugins_given = config->num_plugins > 0;
    return clbb__config_validate(config, &ex, errbuf, errbuf_size);
}
