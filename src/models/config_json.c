/* The JSON form of MMDetection's backbone constructor arguments
 * (docs/config.md), as a cJSON tree (from JSON or the Python form:
 * config_source.c), read into the struct and its side record
 * (config_internal.h), then handed to clbb__config_validate() for
 * MMDetection's checks on the values. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config_internal.h"
#include "core/internal.h"
#include "resnet_arch.h"

static const char *type_name(clbb_model_type t) {
    switch (t) {
    case CLBB_MODEL_RESNET: return "ResNet";
    case CLBB_MODEL_RESNET_V1D: return "ResNetV1d";
    case CLBB_MODEL_RESNEXT: return "ResNeXt";
    case CLBB_MODEL_GHOSTNET: return "GhostNet";
    }
    return "?";
}

typedef struct parser {
    clbb_model_config *cfg;
    cfg_extras *ex;
    char *err;
    size_t err_size;
} parser;

/* A bounded, compact rendering of a JSON value for messages (a hostile
 * config may hold a huge array; we never print more than fits). */
typedef struct text_buf {
    char *s;
    size_t cap, len;
    int full;
} text_buf;

static void tb_put(text_buf *b, const char *str) {
    /* len stays <= cap - 4, so "..." and its NUL always fit. */
    for (; *str && !b->full; str++) {
        if (b->len + 5 > b->cap) {
            memcpy(b->s + b->len, "...", 4);
            b->len += 3;
            b->full = 1;
            return;
        }
        b->s[b->len++] = *str;
        b->s[b->len] = '\0';
    }
}

static void format_number(double d, char *buf, size_t size) {
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(buf, size, "%.0f", d);
        return;
    }
    /* The shortest text that reads back as the same double, as Python's repr. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) return;
    }
}

static void tb_value(text_buf *b, const cJSON *it, int depth) {
    char num[40];
    if (!it || b->full) return;
    if (cJSON_IsNull(it)) {
        tb_put(b, "null");
    } else if (cJSON_IsTrue(it)) {
        tb_put(b, "true");
    } else if (cJSON_IsFalse(it)) {
        tb_put(b, "false");
    } else if (cJSON_IsNumber(it)) {
        format_number(it->valuedouble, num, sizeof num);
        tb_put(b, num);
    } else if (cJSON_IsString(it)) {
        char ch[2] = {0, 0};
        tb_put(b, "\"");
        for (const char *s = it->valuestring; s && *s && !b->full; s++) {
            if (*s == '"' || *s == '\\') tb_put(b, "\\");
            ch[0] = (unsigned char)*s < 0x20 ? '?' : *s;
            tb_put(b, ch);
        }
        tb_put(b, "\"");
    } else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
        const int object = cJSON_IsObject(it);
        tb_put(b, object ? "{" : "[");
        if (depth >= 3 && it->child) tb_put(b, "...");
        for (const cJSON *e = depth >= 3 ? NULL : it->child; e && !b->full; e = e->next) {
            if (e != it->child) tb_put(b, ", ");
            if (object) {
                tb_put(b, "\"");
                tb_put(b, e->string ? e->string : "");
                tb_put(b, "\": ");
            }
            tb_value(b, e, depth + 1);
        }
        tb_put(b, object ? "}" : "]");
    } else {
        tb_put(b, "?");
    }
}

static void value_text(const cJSON *it, char *buf, size_t size) {
    text_buf b = {buf, size, 0, 0};
    buf[0] = '\0';
    tb_value(&b, it, 0);
}

static clbb_status bad_value_st(parser *p, clbb_status st, const char *name, const cJSON *it,
                                const char *why) {
    char text[TEXT_MAX];
    value_text(it, text, sizeof text);
    return clbb__fail_buf(p->err, p->err_size, st, "argument '%s' = %s: %s", name, text, why);
}

static clbb_status bad_value(parser *p, const char *name, const cJSON *it, const char *why) {
    return bad_value_st(p, CLBB_ERR_CONFIG, name, it, why);
}

/* Python truthiness of a JSON value (for `assert not (init_cfg and pretrained)`). */
static int truthy(const cJSON *it) {
    if (!it || cJSON_IsNull(it) || cJSON_IsFalse(it)) return 0;
    if (cJSON_IsNumber(it)) return it->valuedouble != 0.0;
    if (cJSON_IsString(it)) return it->valuestring && it->valuestring[0];
    if (cJSON_IsArray(it) || cJSON_IsObject(it)) return it->child != NULL;
    return 1;
}

/* JSON has no int type: 50 and 50.0 read the same; 50.5 is rejected. */
static clbb_status get_int(parser *p, const char *name, const cJSON *it, int *out) {
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) ||
        it->valuedouble != floor(it->valuedouble))
        return bad_value(p, name, it, "must be an integer");
    if (it->valuedouble < INT_MIN || it->valuedouble > INT_MAX)
        return bad_value(p, name, it, "is out of the range of an int");
    *out = (int)it->valuedouble;
    return CLBB_OK;
}

static clbb_status get_bool(parser *p, const char *name, const cJSON *it, int *out) {
    if (!cJSON_IsBool(it)) return bad_value(p, name, it, "must be true or false");
    *out = cJSON_IsTrue(it);
    return CLBB_OK;
}

static clbb_status get_number(parser *p, const char *name, const cJSON *it, double *out) {
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return bad_value(p, name, it, "must be a number");
    *out = it->valuedouble;
    return CLBB_OK;
}

static clbb_status get_string(parser *p, const char *name, const cJSON *it, const char **out) {
    if (!cJSON_IsString(it) || !it->valuestring) return bad_value(p, name, it, "must be a string");
    *out = it->valuestring;
    return CLBB_OK;
}

/* Arrays longer than the struct holds keep their true count, so that the
 * length checks (which come first in MMDetection's order) report them. */
static clbb_status get_int_list(parser *p, const char *name, const cJSON *it, int *vals, int cap,
                                int *count) {
    if (!cJSON_IsArray(it)) return bad_value(p, name, it, "must be an array of integers");
    int k = 0;
    for (const cJSON *e = it->child; e; e = e->next, k++) {
        char elem[64];
        int v = 0;
        snprintf(elem, sizeof elem, "%s[%d]", name, k);
        CLBB_CHECK(get_int(p, elem, e, &v));
        if (k < cap) vals[k] = v;
    }
    *count = k;
    return CLBB_OK;
}

static clbb_status get_bool_list(parser *p, const char *name, const cJSON *it, int *vals, int cap,
                                 int *count) {
    if (!cJSON_IsArray(it)) return bad_value(p, name, it, "must be an array of true/false");
    int k = 0;
    for (const cJSON *e = it->child; e; e = e->next, k++) {
        char elem[64];
        int v = 0;
        snprintf(elem, sizeof elem, "%s[%d]", name, k);
        CLBB_CHECK(get_bool(p, elem, e, &v));
        if (k < cap) vals[k] = v;
    }
    *count = k;
    return CLBB_OK;
}

/* Python dicts cannot hold a key twice; a JSON object can, and cJSON would
 * silently keep the first. Called as each key is reached, so the cost stays
 * bounded by the number of known keys before it. */
static clbb_status check_unique_key(parser *p, const cJSON *obj, const cJSON *item,
                                    const char *where) {
    for (const cJSON *e = obj->child; e && e != item; e = e->next)
        if (e->string && strcmp(e->string, item->string) == 0)
            return clbb__fail_buf(p->err, p->err_size, CLBB_ERR_CONFIG,
                                  "%s: key '%s' is given twice", where, item->string);
    return CLBB_OK;
}

static clbb_status unknown_subkey(parser *p, const char *arg, const cJSON *item,
                                  const char *accepted) {
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arg, item->string ? item->string : "");
    char why[192];
    snprintf(why, sizeof why, "unknown key in %s (accepted: %s)", arg, accepted);
    return bad_value(p, name, item, why);
}

static int in_list(const char *s, const char *const *list, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(s, list[i]) == 0) return 1;
    return 0;
}

static clbb_status parse_norm_cfg(parser *p, const cJSON *it) {
    clbb_model_config *c = p->cfg;
    if (!cJSON_IsObject(it))
        return bad_value(p, "norm_cfg", it, "must be a dict such as {\"type\": \"BN\"}");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
    if (!t)
        return bad_value(p, "norm_cfg", it, "the cfg dict must contain the key \"type\"");
    const char *type = NULL;
    CLBB_CHECK(get_string(p, "norm_cfg.type", t, &type));
    /* mmcv's other registered norms: valid in MMDetection, not run by clbb. */
    static const char *const other_norms[] = {"BN1d", "BN3d", "IN", "IN1d", "IN2d", "IN3d",
                                              "LN", "LN2d", "MMSyncBN", "naiveSyncBN"};
    if (strcmp(type, "BN") == 0 || strcmp(type, "BN2d") == 0)
        c->norm_type = CLBB_NORM_BN;
    else if (strcmp(type, "SyncBN") == 0)
        c->norm_type = CLBB_NORM_SYNCBN;
    else if (strcmp(type, "GN") == 0)
        c->norm_type = CLBB_NORM_GN;
    else if (in_list(type, other_norms, CLBB_ARRAY_SIZE(other_norms)))
        return bad_value_st(p, CLBB_ERR_UNSUPPORTED, "norm_cfg.type", t,
                            "only BN, SyncBN and GN norms are implemented by clbb");
    else
        return bad_value(p, "norm_cfg.type", t,
                         "unknown norm type (BN, SyncBN or GN; mmcv also knows IN, LN)");
    /* A given norm_cfg replaces the default dict as a whole; mmcv's
     * build_norm_layer then defaults eps to 1e-5 and requires_grad to True. */
    c->norm_eps = DEFAULT_NORM_EPS;
    c->norm_requires_grad = 1;
    c->norm_num_groups = 0;
    int have_groups = 0;
    for (const cJSON *e = it->child; e; e = e->next) {
        CLBB_CHECK(check_unique_key(p, it, e, "argument 'norm_cfg'"));
        const char *k = e->string;
        if (strcmp(k, "type") == 0) continue;
        if (strcmp(k, "eps") == 0) {
            double eps = 0;
            CLBB_CHECK(get_number(p, "norm_cfg.eps", e, &eps));
            if (eps < 0) return bad_value(p, "norm_cfg.eps", e, "must be >= 0");
            c->norm_eps = (float)eps;
        } else if (strcmp(k, "requires_grad") == 0) {
            CLBB_CHECK(get_bool(p, "norm_cfg.requires_grad", e, &c->norm_requires_grad));
        } else if (strcmp(k, "num_groups") == 0 && c->norm_type == CLBB_NORM_GN) {
            CLBB_CHECK(get_int(p, "norm_cfg.num_groups", e, &c->norm_num_groups));
            if (c->norm_num_groups < 1) return bad_value(p, "norm_cfg.num_groups", e, "must be >= 1");
            have_groups = 1;
        } else if (strcmp(k, "num_groups") == 0) {
            return bad_value(p, "norm_cfg.num_groups", e,
                             "only GN takes num_groups (BatchNorm2d() got an unexpected keyword "
                             "argument)");
        } else if (strcmp(k, "momentum") == 0 && c->norm_type != CLBB_NORM_GN) {
            /* Training only: the running-stat update rate. */
            double m = 0;
            if (!cJSON_IsNull(e)) CLBB_CHECK(get_number(p, "norm_cfg.momentum", e, &m));
        } else {
            return unknown_subkey(p, "norm_cfg", e,
                                  c->norm_type == CLBB_NORM_GN
                                      ? "type, eps, requires_grad, num_groups"
                                      : "type, eps, requires_grad, momentum");
        }
    }
    if (c->norm_type == CLBB_NORM_GN && !have_groups)
        return clbb__fail_buf(p->err, p->err_size, CLBB_ERR_CONFIG,
                              "argument 'norm_cfg.num_groups' is required for GN");
    return CLBB_OK;
}

static clbb_status parse_conv_cfg(parser *p, const cJSON *it) {
    clbb_model_config *c = p->cfg;
    c->ghost_conv = 0;
    p->ex->conv_cfg_given = 0;
    if (cJSON_IsNull(it)) return CLBB_OK;
    if (!cJSON_IsObject(it))
        return bad_value(p, "conv_cfg", it, "must be null or a dict such as {\"type\": \"Conv\"}");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
    if (!t) return bad_value(p, "conv_cfg", it, "the cfg dict must contain the key \"type\"");
    const char *type = NULL;
    CLBB_CHECK(get_string(p, "conv_cfg.type", t, &type));
    static const char *const other_convs[] = {"DCN",     "DCNv2", "DCNv3", "DCNv4",  "ConvWS",
                                              "ConvAWS", "SAC",   "Conv1d", "Conv3d", "deconv",
                                              "deconv3d"};
    int ghost = 0;
    if (strcmp(type, "Ghost") == 0)
        ghost = 1;
    else if (in_list(type, other_convs, CLBB_ARRAY_SIZE(other_convs)))
        return bad_value_st(p, CLBB_ERR_UNSUPPORTED, "conv_cfg.type", t,
                            "only plain (Conv, Conv2d) and Ghost convs are implemented by clbb");
    else if (strcmp(type, "Conv") != 0 && strcmp(type, "Conv2d") != 0)
        return bad_value(p, "conv_cfg.type", t, "unknown conv type (Conv, Conv2d or Ghost)");
    p->ex->conv_cfg_given = 1;
    c->ghost_conv = ghost;
    c->ghost_ratio = 2;
    c->ghost_dw_size = 3;
    c->ghost_relu = 1;
    for (const cJSON *e = it->child; e; e = e->next) {
        CLBB_CHECK(check_unique_key(p, it, e, "argument 'conv_cfg'"));
        const char *k = e->string;
        if (strcmp(k, "type") == 0) continue;
        if (ghost && strcmp(k, "ratio") == 0)
            CLBB_CHECK(get_int(p, "conv_cfg.ratio", e, &c->ghost_ratio));
        else if (ghost && strcmp(k, "dw_size") == 0)
            CLBB_CHECK(get_int(p, "conv_cfg.dw_size", e, &c->ghost_dw_size));
        else if (ghost && strcmp(k, "relu") == 0)
            CLBB_CHECK(get_bool(p, "conv_cfg.relu", e, &c->ghost_relu));
        else
            return unknown_subkey(p, "conv_cfg", e, ghost ? "type, ratio, dw_size, relu" : "type");
    }
    return CLBB_OK;
}

static clbb_status parse_dcn(parser *p, const cJSON *it) {
    clbb_model_config *c = p->cfg;
    c->has_dcn = 0;
    c->dcn_type[0] = '\0';
    c->dcn_deform_groups = 1;
    c->dcn_fallback_on_stride = 0;
    if (cJSON_IsNull(it)) return CLBB_OK;
    if (!cJSON_IsObject(it))
        return bad_value(p, "dcn", it, "must be null or a dict such as {\"type\": \"DCN\"}");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
    if (!t) return bad_value(p, "dcn", it, "the cfg dict must contain the key \"type\"");
    const char *type = NULL;
    CLBB_CHECK(get_string(p, "dcn.type", t, &type));
    /* mmcv registers DCN (DeformConv2dPack) and DCNv2
     * (ModulatedDeformConv2dPack) for dcn; any other conv type is not a
     * deformable conv clbb implements */
    if (strcmp(type, "DCN") != 0 && strcmp(type, "DCNv2") != 0)
        return bad_value_st(p, CLBB_ERR_UNSUPPORTED, "dcn.type", t,
                            "clbb implements 'DCN' (DeformConv2dPack) and 'DCNv2' "
                            "(ModulatedDeformConv2dPack)");
    int dg = 1, fallback = 0;
    for (const cJSON *e = it->child; e; e = e->next) {
        CLBB_CHECK(check_unique_key(p, it, e, "argument 'dcn'"));
        const char *k = e->string;
        if (strcmp(k, "type") == 0) continue;
        if (strcmp(k, "deform_groups") == 0) {
            CLBB_CHECK(get_int(p, "dcn.deform_groups", e, &dg));
            if (dg < 1) return bad_value(p, "dcn.deform_groups", e, "must be >= 1");
        } else if (strcmp(k, "fallback_on_stride") == 0) {
            CLBB_CHECK(get_bool(p, "dcn.fallback_on_stride", e, &fallback));
        } else {
            return unknown_subkey(p, "dcn", e, "type, deform_groups, fallback_on_stride");
        }
    }
    c->has_dcn = 1;
    clbb__strlcpy(c->dcn_type, type, sizeof c->dcn_type);
    c->dcn_deform_groups = dg;
    c->dcn_fallback_on_stride = fallback;
    return CLBB_OK;
}

/* What a plugin argument parser returns for a key its type does not take. */
#define ARG_UNKNOWN ((clbb_status)-1)

/* mmcv's defaults of a plugin type's constructor (ContextBlock's ratio has
 * none: NaN until given, and validation reports it missing where mmcv's
 * constructor would). */
static void plugin_defaults(clbb_plugin_config *pl) {
    pl->ratio = NAN;
    pl->pooling_att = 1;
    pl->fusion_add = 1;
    pl->fusion_mul = 0;
    pl->reduction = 2;
    pl->use_scale = 1;
    pl->sub_sample = 0;
    clbb__strlcpy(pl->mode, "embedded_gaussian", sizeof pl->mode);
    pl->nl_norm_bn = 0;
    pl->spatial_range = -1;
    pl->num_heads = 9;
    pl->position_embedding_dim = -1;
    pl->position_magnitude = 1;
    pl->kv_stride = 2;
    pl->q_stride = 1;
    clbb__strlcpy(pl->attention_type, "1111", sizeof pl->attention_type);
}

/* ContextBlock(in_channels, ratio, pooling_type='att', fusion_types=('channel_add',)) */
static clbb_status parse_context_block_arg(parser *p, clbb_plugin_config *pl, const char *field,
                                           const cJSON *e) {
    const char *k = e->string, *s = NULL;
    if (strcmp(k, "ratio") == 0) return get_number(p, field, e, &pl->ratio);
    if (strcmp(k, "pooling_type") == 0) {
        CLBB_CHECK(get_string(p, field, e, &s));
        if (strcmp(s, "att") != 0 && strcmp(s, "avg") != 0)
            return bad_value(p, field, e, "must be 'att' or 'avg' (assert pooling_type in ['avg', 'att'])");
        pl->pooling_att = strcmp(s, "att") == 0;
        return CLBB_OK;
    }
    if (strcmp(k, "fusion_types") == 0) {
        if (!cJSON_IsArray(e))
            return bad_value(p, field, e,
                             "must be a list of 'channel_add' / 'channel_mul' (assert "
                             "isinstance(fusion_types, (list, tuple)))");
        pl->fusion_add = pl->fusion_mul = 0;
        int i = 0;
        for (const cJSON *f = e->child; f; f = f->next, i++) {
            char elem[112];
            snprintf(elem, sizeof elem, "%s[%d]", field, i);
            CLBB_CHECK(get_string(p, elem, f, &s));
            if (strcmp(s, "channel_add") == 0)
                pl->fusion_add = 1;
            else if (strcmp(s, "channel_mul") == 0)
                pl->fusion_mul = 1;
            else
                return bad_value(p, elem, f, "must be 'channel_add' or 'channel_mul'");
        }
        if (i == 0) return bad_value(p, field, e, "is empty: at least one fusion should be used");
        return CLBB_OK;
    }
    return ARG_UNKNOWN;
}

/* The conv_cfg / norm_cfg of NonLocal2d's ConvModules. */
static clbb_status parse_non_local_cfg(parser *p, clbb_plugin_config *pl, const char *field,
                                       const cJSON *e, int norm) {
    char sub[128];
    if (cJSON_IsNull(e)) {
        if (norm) pl->nl_norm_bn = 0;
        return CLBB_OK;
    }
    if (!cJSON_IsObject(e))
        return bad_value(p, field, e, norm ? "must be null or a dict such as {\"type\": \"BN\"}"
                                           : "must be null or {\"type\": \"Conv2d\"}");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
    if (!t) return bad_value(p, field, e, "the cfg dict must contain the key \"type\"");
    const char *type = NULL;
    snprintf(sub, sizeof sub, "%s.type", field);
    CLBB_CHECK(get_string(p, sub, t, &type));
    /* mmcv's other registered layers: valid there, not built by clbb */
    static const char *const other_convs[] = {"DCN", "DCNv2", "ConvWS", "ConvAWS", "SAC",
                                              "Conv1d", "Conv3d", "deconv", "deconv3d"};
    static const char *const other_norms[] = {"GN", "BN1d", "BN3d", "IN", "IN1d", "IN2d",
                                              "IN3d", "LN", "LN2d", "MMSyncBN", "naiveSyncBN"};
    if (!norm && strcmp(type, "Conv2d") != 0 && strcmp(type, "Conv") != 0) {
        if (in_list(type, other_convs, CLBB_ARRAY_SIZE(other_convs)))
            return bad_value_st(p, CLBB_ERR_UNSUPPORTED, sub, t,
                                "only a plain conv (Conv2d, Conv) is implemented by clbb for "
                                "NonLocal2d");
        return bad_value(p, sub, t, "unknown conv type (Conv2d or Conv)");
    }
    if (norm && strcmp(type, "BN") != 0 && strcmp(type, "BN2d") != 0 &&
        strcmp(type, "SyncBN") != 0) {
        if (in_list(type, other_norms, CLBB_ARRAY_SIZE(other_norms)))
            return bad_value_st(p, CLBB_ERR_UNSUPPORTED, sub, t,
                                "only BN / SyncBN is implemented by clbb on NonLocal2d's "
                                "conv_out");
        return bad_value(p, sub, t, "unknown norm type (BN, SyncBN; mmcv also knows GN, IN, LN)");
    }
    for (const cJSON *f = e->child; f; f = f->next) {
        snprintf(sub, sizeof sub, "argument '%s'", field);
        CLBB_CHECK(check_unique_key(p, e, f, sub));
        const char *k = f->string;
        snprintf(sub, sizeof sub, "%s.%s", field, k);
        int b = 0;
        double d = 0;
        if (strcmp(k, "type") == 0) continue;
        if (norm && strcmp(k, "requires_grad") == 0) {
            CLBB_CHECK(get_bool(p, sub, f, &b)); /* training only */
        } else if (norm && strcmp(k, "momentum") == 0) {
            if (!cJSON_IsNull(f)) CLBB_CHECK(get_number(p, sub, f, &d)); /* training only */
        } else if (norm && strcmp(k, "eps") == 0) {
            CLBB_CHECK(get_number(p, sub, f, &d));
            /* the struct carries no eps for this norm: BatchNorm's default only */
            if ((float)d != DEFAULT_NORM_EPS)
                return bad_value_st(p, CLBB_ERR_UNSUPPORTED, sub, f,
                                    "clbb implements NonLocal2d's conv_out norm with eps 1e-5 "
                                    "only");
        } else {
            char name[112];
            snprintf(name, sizeof name, "%s", field);
            return unknown_subkey(p, name, f, norm ? "type, eps, requires_grad, momentum" : "type");
        }
    }
    if (norm) pl->nl_norm_bn = 1;
    return CLBB_OK;
}

/* NonLocal2d(in_channels, sub_sample=False, conv_cfg=dict(type='Conv2d'),
 * reduction=2, use_scale=True, norm_cfg=None, mode='embedded_gaussian',
 * **init_weights kwargs: std=0.01, zeros_init=True) */
static clbb_status parse_non_local_arg(parser *p, clbb_plugin_config *pl, const char *field,
                                       const cJSON *e) {
    const char *k = e->string, *s = NULL;
    int b = 0;
    double d = 0;
    if (strcmp(k, "reduction") == 0) return get_int(p, field, e, &pl->reduction);
    if (strcmp(k, "use_scale") == 0) return get_bool(p, field, e, &pl->use_scale);
    if (strcmp(k, "sub_sample") == 0) return get_bool(p, field, e, &pl->sub_sample);
    if (strcmp(k, "conv_cfg") == 0) return parse_non_local_cfg(p, pl, field, e, 0);
    if (strcmp(k, "norm_cfg") == 0) return parse_non_local_cfg(p, pl, field, e, 1);
    if (strcmp(k, "mode") == 0) {
        CLBB_CHECK(get_string(p, field, e, &s));
        static const char *const modes[] = {"gaussian", "embedded_gaussian", "dot_product",
                                            "concatenation"};
        if (!in_list(s, modes, CLBB_ARRAY_SIZE(modes)))
            return bad_value(p, field, e,
                             "Mode should be in 'gaussian', 'concatenation', "
                             "'embedded_gaussian' or 'dot_product'");
        clbb__strlcpy(pl->mode, s, sizeof pl->mode);
        return CLBB_OK;
    }
    /* init_weights() arguments: no effect on inference */
    if (strcmp(k, "std") == 0) return get_number(p, field, e, &d);
    if (strcmp(k, "zeros_init") == 0) return get_bool(p, field, e, &b);
    return ARG_UNKNOWN;
}

/* GeneralizedAttention(in_channels, spatial_range=-1, num_heads=9,
 * position_embedding_dim=-1, position_magnitude=1, kv_stride=2, q_stride=1,
 * attention_type='1111') */
static clbb_status parse_gen_attention_arg(parser *p, clbb_plugin_config *pl, const char *field,
                                           const cJSON *e) {
    const char *k = e->string, *s = NULL;
    if (strcmp(k, "spatial_range") == 0) return get_int(p, field, e, &pl->spatial_range);
    if (strcmp(k, "num_heads") == 0) return get_int(p, field, e, &pl->num_heads);
    if (strcmp(k, "position_embedding_dim") == 0)
        return get_int(p, field, e, &pl->position_embedding_dim);
    if (strcmp(k, "position_magnitude") == 0) return get_int(p, field, e, &pl->position_magnitude);
    if (strcmp(k, "kv_stride") == 0) return get_int(p, field, e, &pl->kv_stride);
    if (strcmp(k, "q_stride") == 0) return get_int(p, field, e, &pl->q_stride);
    if (strcmp(k, "attention_type") == 0) {
        CLBB_CHECK(get_string(p, field, e, &s));
        /* mmcv reads [bool(int(c)) for c in attention_type] and indexes 0..3 */
        int ok = strlen(s) == 4;
        for (int i = 0; ok && i < 4; i++) ok = s[i] >= '0' && s[i] <= '9';
        if (!ok) return bad_value(p, field, e, "must be four digits such as '1111'");
        for (int i = 0; i < 4; i++) pl->attention_type[i] = s[i] == '0' ? '0' : '1';
        pl->attention_type[4] = '\0';
        return CLBB_OK;
    }
    return ARG_UNKNOWN;
}

/* The layer arguments of a plugin's cfg (all but type and postfix). An
 * unknown type's arguments are not read: validation reports the type. */
static clbb_status parse_plugin_args(parser *p, const cJSON *cfg, const char *name,
                                     clbb_plugin_config *pl) {
    static const struct {
        const char *type, *accepted;
        clbb_status (*arg)(parser *, clbb_plugin_config *, const char *, const cJSON *);
    } types[] = {
        {"ContextBlock", "type, postfix, ratio, pooling_type, fusion_types",
         parse_context_block_arg},
        {"NonLocal2d",
         "type, postfix, reduction, use_scale, conv_cfg, norm_cfg, mode, sub_sample, std, "
         "zeros_init",
         parse_non_local_arg},
        {"GeneralizedAttention",
         "type, postfix, spatial_range, num_heads, position_embedding_dim, position_magnitude, "
         "kv_stride, q_stride, attention_type",
         parse_gen_attention_arg},
    };
    plugin_defaults(pl);
    int t = -1;
    for (int i = 0; i < (int)CLBB_ARRAY_SIZE(types); i++)
        if (strcmp(pl->type, types[i].type) == 0) t = i;
    if (t < 0) return CLBB_OK;
    char where[96], field[128];
    snprintf(where, sizeof where, "%s.cfg", name);
    for (const cJSON *e = cfg->child; e; e = e->next) {
        snprintf(field, sizeof field, "argument '%s'", where);
        CLBB_CHECK(check_unique_key(p, cfg, e, field));
        const char *k = e->string;
        if (strcmp(k, "type") == 0 || strcmp(k, "postfix") == 0) continue;
        snprintf(field, sizeof field, "%s.%s", where, k);
        if (strcmp(k, "in_channels") == 0) {
            char why[192];
            snprintf(why, sizeof why,
                     "is given by the block (planes, or planes * 4 after conv3): %s() got "
                     "multiple values for argument 'in_channels'",
                     types[t].type);
            return bad_value(p, field, e, why);
        }
        clbb_status st = types[t].arg(p, pl, field, e);
        if (st == ARG_UNKNOWN) {
            char why[256];
            snprintf(why, sizeof why, "%s.__init__() got an unexpected keyword argument (accepted: %s)",
                     types[t].type, types[t].accepted);
            return bad_value(p, field, e, why);
        }
        CLBB_CHECK(st);
    }
    return CLBB_OK;
}

static clbb_status parse_plugin(parser *p, const cJSON *it, int k) {
    clbb_plugin_config *pl = &p->cfg->plugins[k];
    char name[64], field[96];
    snprintf(name, sizeof name, "plugins[%d]", k);
    if (!cJSON_IsObject(it))
        return bad_value(p, name, it, "must be a dict with keys cfg, position and stages");
    const cJSON *cfg = NULL, *pos = NULL;
    for (const cJSON *e = it->child; e; e = e->next) {
        snprintf(field, sizeof field, "argument '%s'", name);
        CLBB_CHECK(check_unique_key(p, it, e, field));
        const char *key = e->string;
        if (strcmp(key, "cfg") == 0) {
            cfg = e;
        } else if (strcmp(key, "position") == 0) {
            pos = e;
        } else if (strcmp(key, "stages") == 0) {
            snprintf(field, sizeof field, "%s.stages", name);
            pl->num_stages = 0;
            if (cJSON_IsNull(e)) continue;
            CLBB_CHECK(get_bool_list(p, field, e, pl->stages, CLBB_MAX_STAGES, &pl->num_stages));
            /* 0 means None in the struct; an empty tuple fails the length assert. */
            if (pl->num_stages == 0)
                return bad_value(p, field, e, "has 0 entries (give num_stages entries or null)");
        } else {
            return unknown_subkey(p, name, e, "cfg, position, stages");
        }
    }
    if (!cfg) return bad_value(p, name, it, "the plugin dict must contain the key \"cfg\"");
    if (!pos) return bad_value(p, name, it, "the plugin dict must contain the key \"position\"");

    snprintf(field, sizeof field, "%s.cfg", name);
    if (!cJSON_IsObject(cfg)) return bad_value(p, field, cfg, "must be a dict with a \"type\"");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cfg, "type");
    snprintf(field, sizeof field, "%s.cfg.type", name);
    if (!t) return bad_value(p, field, cfg, "the cfg dict must contain the key \"type\"");
    const char *type = NULL;
    CLBB_CHECK(get_string(p, field, t, &type));
    if (strlen(type) >= sizeof pl->type)
        return bad_value(p, field, t,
                         "unknown plugin type (known: ContextBlock, GeneralizedAttention, "
                         "NonLocal2d)");
    clbb__strlcpy(pl->type, type, sizeof pl->type);
    const cJSON *postfix = cJSON_GetObjectItemCaseSensitive(cfg, "postfix");
    pl->postfix[0] = '\0';
    if (postfix) {
        snprintf(field, sizeof field, "%s.cfg.postfix", name);
        /* build_plugin_layer asserts isinstance(postfix, (int, str)); bool is an int. */
        if (cJSON_IsString(postfix)) {
            if (strlen(postfix->valuestring) >= sizeof pl->postfix)
                return bad_value(p, field, postfix, "is too long (at most 31 characters)");
            clbb__strlcpy(pl->postfix, postfix->valuestring, sizeof pl->postfix);
        } else if (cJSON_IsBool(postfix)) {
            clbb__strlcpy(pl->postfix, cJSON_IsTrue(postfix) ? "True" : "False",
                          sizeof pl->postfix);
        } else {
            int v = 0;
            if (!cJSON_IsNumber(postfix) || get_int(p, field, postfix, &v) != CLBB_OK)
                return bad_value(p, field, postfix, "must be a str or an int");
            snprintf(pl->postfix, sizeof pl->postfix, "%d", v);
        }
    }

    CLBB_CHECK(parse_plugin_args(p, cfg, name, pl));

    snprintf(field, sizeof field, "%s.position", name);
    const char *position = NULL;
    CLBB_CHECK(get_string(p, field, pos, &position));
    pl->position = 0;
    for (int i = 1; i <= 3; i++)
        if (strcmp(position, position_name(i)) == 0) pl->position = i;
    if (!pl->position) value_text(pos, p->ex->position[k], sizeof p->ex->position[k]);
    return CLBB_OK;
}

static clbb_status parse_plugins(parser *p, const cJSON *it) {
    p->cfg->num_plugins = 0;
    p->ex->plugins_given = 0;
    memset(p->ex->position, 0, sizeof p->ex->position);
    if (cJSON_IsNull(it)) return CLBB_OK;
    if (!cJSON_IsArray(it)) return bad_value(p, "plugins", it, "must be null or a list of dicts");
    int count = cJSON_GetArraySize(it);
    if (count > CLBB_MAX_PLUGINS)
        return clbb__fail_buf(p->err, p->err_size, CLBB_ERR_UNSUPPORTED,
                              "argument 'plugins' has %d entries: clbb holds at most %d", count,
                              CLBB_MAX_PLUGINS);
    int k = 0;
    for (const cJSON *e = it->child; e; e = e->next, k++) {
        memset(&p->cfg->plugins[k], 0, sizeof p->cfg->plugins[k]);
        CLBB_CHECK(parse_plugin(p, e, k));
    }
    p->cfg->num_plugins = count;
    p->ex->plugins_given = 1;
    return CLBB_OK;
}

static clbb_status copy_checkpoint(parser *p, const char *name, const cJSON *it) {
    const char *path = NULL;
    CLBB_CHECK(get_string(p, name, it, &path));
    if (strlen(path) >= sizeof p->cfg->pretrained)
        return bad_value(p, name, it, "is too long (at most 1023 bytes)");
    clbb__strlcpy(p->cfg->pretrained, path, sizeof p->cfg->pretrained);
    return CLBB_OK;
}

/* One init dict. Only Pretrained matters at inference; the others
 * (Kaiming, Constant, ...) describe a random init and are accepted. */
static clbb_status parse_init_item(parser *p, const char *name, const cJSON *it,
                                   int *num_pretrained) {
    char field[96];
    if (!cJSON_IsObject(it)) return bad_value(p, name, it, "must be a dict with a \"type\"");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
    if (!t) return bad_value(p, name, it, "the init dict must contain the key \"type\"");
    const char *type = NULL;
    snprintf(field, sizeof field, "%s.type", name);
    CLBB_CHECK(get_string(p, field, t, &type));
    static const char *const inits[] = {"Kaiming", "Constant",    "Normal",      "Xavier",
                                        "Uniform", "TruncNormal", "Caffe2Xavier"};
    if (strcmp(type, "Pretrained") != 0) {
        if (!in_list(type, inits, CLBB_ARRAY_SIZE(inits)))
            return bad_value(p, field, t,
                             "unknown init type (Pretrained, Kaiming, Constant, Normal, Xavier, "
                             "Uniform, TruncNormal, Caffe2Xavier)");
        return CLBB_OK;
    }
    if (++*num_pretrained > 1)
        return bad_value(p, field, t, "init_cfg names more than one Pretrained checkpoint");
    const cJSON *ckpt = NULL;
    for (const cJSON *e = it->child; e; e = e->next) {
        snprintf(field, sizeof field, "argument '%s'", name);
        CLBB_CHECK(check_unique_key(p, it, e, field));
        const char *k = e->string;
        snprintf(field, sizeof field, "%s.%s", name, k);
        const char *s = NULL;
        if (strcmp(k, "type") == 0) continue;
        if (strcmp(k, "checkpoint") == 0) {
            ckpt = e;
        } else if (strcmp(k, "map_location") == 0) {
            CLBB_CHECK(get_string(p, field, e, &s));
        } else if (strcmp(k, "prefix") == 0) {
            /* "backbone." is what the weights loader strips by itself. */
            if (!cJSON_IsNull(e)) {
                CLBB_CHECK(get_string(p, field, e, &s));
                if (strcmp(s, "backbone.") != 0)
                    return bad_value_st(p, CLBB_ERR_UNSUPPORTED, field, e,
                                        "only the prefix \"backbone.\" is supported");
            }
        } else {
            return unknown_subkey(p, name, e, "type, checkpoint, prefix, map_location");
        }
    }
    snprintf(field, sizeof field, "%s.checkpoint", name);
    if (!ckpt) return bad_value(p, name, it, "Pretrained needs the key \"checkpoint\"");
    return copy_checkpoint(p, field, ckpt);
}

static clbb_status parse_init_cfg(parser *p, const cJSON *it) {
    int num_pretrained = 0;
    if (cJSON_IsNull(it)) return CLBB_OK;
    if (cJSON_IsObject(it)) return parse_init_item(p, "init_cfg", it, &num_pretrained);
    if (!cJSON_IsArray(it))
        return bad_value(p, "init_cfg", it, "must be null, a dict or a list of dicts");
    int k = 0;
    for (const cJSON *e = it->child; e; e = e->next, k++) {
        char name[48];
        snprintf(name, sizeof name, "init_cfg[%d]", k);
        CLBB_CHECK(parse_init_item(p, name, e, &num_pretrained));
    }
    return CLBB_OK;
}

/* Constructor arguments and the types that take them (docs/config.md). */
enum {
    T_RN = 1u << CLBB_MODEL_RESNET,
    T_V1D = 1u << CLBB_MODEL_RESNET_V1D,
    T_RX = 1u << CLBB_MODEL_RESNEXT,
    T_GH = 1u << CLBB_MODEL_GHOSTNET,
    T_RES = T_RN | T_V1D | T_RX,
};

typedef enum key_id {
    K_TYPE, K_DEPTH, K_IN_CHANNELS, K_STEM_CHANNELS, K_BASE_CHANNELS, K_NUM_STAGES, K_STRIDES,
    K_DILATIONS, K_OUT_INDICES, K_STYLE, K_DEEP_STEM, K_AVG_DOWN, K_FROZEN_STAGES, K_CONV_CFG,
    K_NORM_CFG, K_NORM_EVAL, K_DCN, K_STAGE_WITH_DCN, K_PLUGINS, K_WITH_CP,
    K_ZERO_INIT_RESIDUAL, K_PRETRAINED, K_INIT_CFG, K_GROUPS, K_BASE_WIDTH, K_WIDTH,
} key_id;

static const struct key_spec {
    const char *name;
    key_id id;
    unsigned types;
} key_specs[] = {
    {"type", K_TYPE, T_RES | T_GH},
    {"depth", K_DEPTH, T_RES},
    {"in_channels", K_IN_CHANNELS, T_RES | T_GH},
    {"stem_channels", K_STEM_CHANNELS, T_RES},
    {"base_channels", K_BASE_CHANNELS, T_RES},
    {"num_stages", K_NUM_STAGES, T_RES},
    {"strides", K_STRIDES, T_RES},
    {"dilations", K_DILATIONS, T_RES},
    {"out_indices", K_OUT_INDICES, T_RES | T_GH},
    {"style", K_STYLE, T_RES},
    {"deep_stem", K_DEEP_STEM, T_RES},
    {"avg_down", K_AVG_DOWN, T_RES},
    {"frozen_stages", K_FROZEN_STAGES, T_RES},
    {"conv_cfg", K_CONV_CFG, T_RES},
    {"norm_cfg", K_NORM_CFG, T_RES},
    {"norm_eval", K_NORM_EVAL, T_RES},
    {"dcn", K_DCN, T_RES},
    {"stage_with_dcn", K_STAGE_WITH_DCN, T_RES},
    {"plugins", K_PLUGINS, T_RES},
    {"with_cp", K_WITH_CP, T_RES},
    {"zero_init_residual", K_ZERO_INIT_RESIDUAL, T_RES},
    {"pretrained", K_PRETRAINED, T_RES},
    {"init_cfg", K_INIT_CFG, T_RES},
    {"groups", K_GROUPS, T_RX},
    {"base_width", K_BASE_WIDTH, T_RX},
    {"width", K_WIDTH, T_GH},
};

static clbb_status unknown_key(parser *p, const cJSON *item) {
    char accepted[512];
    size_t len = 0;
    accepted[0] = '\0';
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(key_specs) && len < sizeof accepted; i++)
        if (key_specs[i].types & (1u << p->cfg->type))
            len += (size_t)snprintf(accepted + len, sizeof accepted - len, "%s%s", len ? ", " : "",
                                    key_specs[i].name);
    char why[640];
    snprintf(why, sizeof why, "%s.__init__() got an unexpected keyword argument (accepted: %s)",
             type_name(p->cfg->type), accepted);
    return bad_value(p, item->string, item, why);
}

static clbb_status parse_key(parser *p, const cJSON *e, key_id id) {
    clbb_model_config *c = p->cfg;
    const char *k = e->string;
    switch (id) {
    case K_TYPE: return CLBB_OK;
    case K_DEPTH: return get_int(p, k, e, &c->depth);
    case K_IN_CHANNELS: return get_int(p, k, e, &c->in_channels);
    case K_STEM_CHANNELS:
        c->stem_channels = 0;
        if (cJSON_IsNull(e)) return CLBB_OK;
        CLBB_CHECK(get_int(p, k, e, &c->stem_channels));
        /* 0 would read back as None. */
        if (c->stem_channels < 1) return bad_value(p, k, e, "must be >= 1 or null");
        return CLBB_OK;
    case K_BASE_CHANNELS: return get_int(p, k, e, &c->base_channels);
    case K_NUM_STAGES: return get_int(p, k, e, &c->num_stages);
    case K_STRIDES:
        return get_int_list(p, k, e, c->strides, CLBB_MAX_STAGES, &c->num_strides);
    case K_DILATIONS:
        return get_int_list(p, k, e, c->dilations, CLBB_MAX_STAGES, &c->num_dilations);
    case K_OUT_INDICES:
        CLBB_CHECK(get_int_list(p, k, e, c->out_indices, CLBB_MAX_OUT_INDICES,
                                &c->num_out_indices));
        if (c->num_out_indices > CLBB_MAX_OUT_INDICES)
            return bad_value_st(p, c->type == CLBB_MODEL_GHOSTNET ? CLBB_ERR_CONFIG
                                                                   : CLBB_ERR_UNSUPPORTED,
                                k, e, "has more than 10 entries");
        return CLBB_OK;
    case K_STYLE: {
        const char *s;
        if (!cJSON_IsString(e)) return bad_value(p, k, e, "must be 'pytorch' or 'caffe'");
        s = e->valuestring;
        p->ex->style[0] = '\0';
        if (strcmp(s, "pytorch") == 0) {
            c->style_caffe = 0;
        } else if (strcmp(s, "caffe") == 0) {
            c->style_caffe = 1;
        } else {
            /* Only Bottleneck asserts the style; validate decides by depth. */
            c->style_caffe = -1;
            value_text(e, p->ex->style, sizeof p->ex->style);
        }
        return CLBB_OK;
    }
    case K_DEEP_STEM:
    case K_AVG_DOWN:
        if (c->type == CLBB_MODEL_RESNET_V1D) {
            char why[160];
            snprintf(why, sizeof why,
                     "ResNetV1d.__init__() got multiple values for keyword argument '%s' "
                     "(ResNetV1d always sets deep_stem=True, avg_down=True)",
                     k);
            return bad_value(p, k, e, why);
        }
        return get_bool(p, k, e, id == K_DEEP_STEM ? &c->deep_stem : &c->avg_down);
    case K_FROZEN_STAGES: return get_int(p, k, e, &c->frozen_stages);
    case K_CONV_CFG: return parse_conv_cfg(p, e);
    case K_NORM_CFG: return parse_norm_cfg(p, e);
    case K_NORM_EVAL: return get_bool(p, k, e, &c->norm_eval);
    case K_DCN: return parse_dcn(p, e);
    case K_STAGE_WITH_DCN:
        return get_bool_list(p, k, e, c->stage_with_dcn, CLBB_MAX_STAGES,
                             &c->num_stage_with_dcn);
    case K_PLUGINS: return parse_plugins(p, e);
    case K_WITH_CP: return get_bool(p, k, e, &c->with_cp);
    case K_ZERO_INIT_RESIDUAL: return get_bool(p, k, e, &c->zero_init_residual);
    case K_PRETRAINED: return CLBB_OK; /* after init_cfg: see parse_root */
    case K_INIT_CFG: return parse_init_cfg(p, e);
    case K_GROUPS: return get_int(p, k, e, &c->groups);
    case K_BASE_WIDTH: return get_int(p, k, e, &c->base_width);
    case K_WIDTH: {
        double w = 0;
        CLBB_CHECK(get_number(p, k, e, &w));
        if (!(w > 0.0 && w <= GHOST_WIDTH_MAX)) return bad_value(p, k, e, "must be > 0 and <= 4");
        c->width = (float)w;
        return CLBB_OK;
    }
    }
    return CLBB_OK;
}

static clbb_status parse_root(parser *p, const cJSON *root) {
    static const char *const supported[] = {"ResNet", "ResNetV1d", "ResNeXt", "GhostNet"};
    /* MMDetection 3.3.0's other backbones: real configs, not run by clbb. */
    static const char *const mmdet_other[] = {
        "CSPDarknet",      "Darknet",    "DetectoRS_ResNet", "DetectoRS_ResNeXt",
        "EfficientNet",    "HourglassNet", "HRNet",          "MobileNetV2",
        "PyramidVisionTransformer", "PyramidVisionTransformerV2", "RegNet", "Res2Net",
        "ResNeSt",         "SSDVGG",     "SwinTransformer",  "TridentResNet"};
    if (!cJSON_IsObject(root)) {
        char text[TEXT_MAX];
        value_text(root, text, sizeof text);
        return clbb__fail_buf(p->err, p->err_size, CLBB_ERR_CONFIG,
                              "config must be a dict (JSON object) with a \"type\", got %s", text);
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!t)
        return clbb__fail_buf(p->err, p->err_size, CLBB_ERR_CONFIG,
                              "argument 'type' is required (ResNet, ResNetV1d, ResNeXt or "
                              "GhostNet)");
    const char *type = NULL;
    CLBB_CHECK(get_string(p, "type", t, &type));
    int ti = -1;
    for (int i = 0; i < (int)CLBB_ARRAY_SIZE(supported); i++)
        if (strcmp(type, supported[i]) == 0) ti = i;
    if (ti < 0) {
        if (in_list(type, mmdet_other, CLBB_ARRAY_SIZE(mmdet_other)))
            return bad_value_st(p, CLBB_ERR_UNSUPPORTED, "type", t,
                                "this MMDetection backbone is not implemented by clbb "
                                "(ResNet, ResNetV1d, ResNeXt or GhostNet)");
        return bad_value(p, "type", t,
                         "unknown backbone type (ResNet, ResNetV1d, ResNeXt or GhostNet)");
    }
    clbb_model_config_init(p->cfg, (clbb_model_type)ti);

    const cJSON *pretrained = NULL, *init_cfg = NULL;
    for (const cJSON *e = root->child; e; e = e->next) {
        const struct key_spec *spec = NULL;
        for (size_t i = 0; i < CLBB_ARRAY_SIZE(key_specs); i++)
            if (strcmp(key_specs[i].name, e->string) == 0 &&
                (key_specs[i].types & (1u << p->cfg->type)))
                spec = &key_specs[i];
        if (!spec) return unknown_key(p, e);
        CLBB_CHECK(check_unique_key(p, root, e, "config"));
        if (spec->id == K_PRETRAINED) pretrained = e;
        if (spec->id == K_INIT_CFG) init_cfg = e;
        CLBB_CHECK(parse_key(p, e, spec->id));
    }
    if (p->cfg->type != CLBB_MODEL_GHOSTNET && !cJSON_GetObjectItemCaseSensitive(root, "depth"))
        return clbb__fail_buf(p->err, p->err_size, CLBB_ERR_CONFIG,
                              "argument 'depth' is required: %s.__init__() missing 1 required "
                              "positional argument: 'depth'",
                              type_name(p->cfg->type));

    /* `assert not (init_cfg and pretrained)` tests truthiness; then a str
     * pretrained replaces init_cfg, and anything else but None raises. */
    p->ex->pretrained_and_init = truthy(pretrained) && truthy(init_cfg);
    if (pretrained && cJSON_IsString(pretrained))
        CLBB_CHECK(copy_checkpoint(p, "pretrained", pretrained));
    else if (pretrained && !cJSON_IsNull(pretrained))
        value_text(pretrained, p->ex->pretrained_bad, sizeof p->ex->pretrained_bad);
    return CLBB_OK;
}

clbb_status clbb__config_parse_tree(const cJSON *root, clbb_model_config *config, char *errbuf,
                                   size_t errbuf_size) {
    clbb_model_config cfg;
    cfg_extras ex;
    memset(&cfg, 0, sizeof cfg);
    memset(&ex, 0, sizeof ex);
    parser p = {&cfg, &ex, errbuf, errbuf_size};
    clbb_status st = parse_root(&p, root);
    if (st != CLBB_OK) return st;

    st = clbb__config_validate(&cfg, &ex, errbuf, errbuf_size);
    /* BasicBlock never reads style: MMDetection accepts any string there. */
    const resnet_arch *arch = clbb__resnet_arch(cfg.type, cfg.depth);
    if ((cfg.style_caffe != 0 && cfg.style_caffe != 1) && arch && !arch->bottleneck)
        cfg.style_caffe = 0;
    /* Parsed configs come back even when validation fails (UNSUPPORTED dcn
     * or plugins included), so that callers can report what was asked for. */
    *config = cfg;
    return st;
}
