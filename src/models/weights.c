/* Model parameters: .safetensors loading by PyTorch key name (with the
 * MMDetection "backbone." prefix and timm's deep-stem names), saving, and
 * MMDetection's init_weights() from a seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "model_internal.h"

/* timm resnet*d deep stem: conv1.{0,1,3,4,6} -> stem.{0,1,3,4,6}, bn1 -> stem.7 */
static int timm_alias(const char *key, char *alias, size_t size) {
    static const char *const map[][2] = {{"stem.0.", "conv1.0."}, {"stem.1.", "conv1.1."},
                                         {"stem.3.", "conv1.3."}, {"stem.4.", "conv1.4."},
                                         {"stem.6.", "conv1.6."}, {"stem.7.", "bn1."}};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(map); i++) {
        size_t n = strlen(map[i][0]);
        if (strncmp(key, map[i][0], n) == 0) {
            snprintf(alias, size, "%s%s", map[i][1], key + n);
            return 1;
        }
    }
    return 0;
}

static const clbb_st_tensor *lookup(const clbb_safetensors *st, const char *prefix,
                                    const char *key) {
    char full[256];
    snprintf(full, sizeof full, "%s%s", prefix, key);
    const clbb_st_tensor *t = clbb_safetensors_find(st, full);
    if (t) return t;
    char alias[200];
    if (timm_alias(key, alias, sizeof alias)) {
        snprintf(full, sizeof full, "%s%s", prefix, alias);
        return clbb_safetensors_find(st, full);
    }
    return NULL;
}

/* Longest list of key names quoted in a load error; the rest are counted. */
#define KEYS_SHOWN 1400

/* Appends 'name' to a ", "-separated list while it stays under KEYS_SHOWN
 * characters; counts the ones left out. */
static void list_key(char *list, size_t size, int *left_out, const char *name) {
    size_t n = strlen(list);
    if (*left_out || n + strlen(name) + 4 > KEYS_SHOWN || n + strlen(name) + 4 >= size) {
        ++*left_out;
        return;
    }
    snprintf(list + n, size - n, "%s'%s'", n ? ", " : "", name);
}

static int is_batch_count(const char *name) {
    static const char tail[] = "num_batches_tracked";
    size_t n = strlen(name), t = sizeof tail - 1;
    return n >= t && strcmp(name + n - t, tail) == 0;
}

/* Every parameter the file lacks, and (as load_state_dict reports them) the
 * file's keys under the prefix that no parameter took, in one message: a
 * naming mismatch shows as both lists at once. Returns CLBB_OK when
 * nothing is missing. */
static clbb_status check_missing(const graph *g, const clbb_safetensors *st, const char *prefix,
                                 const char *path, char *msg, size_t size) {
    size_t count = clbb_safetensors_count(st);
    unsigned char *used = calloc(count ? count : 1, 1);
    char *missing = malloc(KEYS_SHOWN + 8), *extra = malloc(KEYS_SHOWN + 8);
    if (!used || !missing || !extra) {
        free(used);
        free(missing);
        free(extra);
        snprintf(msg, size, "out of host memory");
        return CLBB_ERR_OUT_OF_MEMORY;
    }
    missing[0] = extra[0] = '\0';
    int num_missing = 0, missing_out = 0, num_extra = 0, extra_out = 0, expected = 0;
    const clbb_st_tensor *first = clbb_safetensors_get(st, 0);
    for (int i = 0; i < g->num_params; i++) {
        if (g->params[i].role == ROLE_NORM_COUNT) continue;
        expected++;
        const clbb_st_tensor *t = lookup(st, prefix, g->params[i].key);
        if (t) {
            used[t - first] = 1;
            continue;
        }
        char full[256];
        snprintf(full, sizeof full, "%s%s", prefix, g->params[i].key);
        num_missing++;
        list_key(missing, KEYS_SHOWN + 8, &missing_out, full);
    }
    if (num_missing) {
        size_t plen = strlen(prefix);
        for (size_t k = 0; k < count; k++) {
            const char *name = clbb_safetensors_get(st, k)->name;
            if (used[k] || strncmp(name, prefix, plen) != 0 || is_batch_count(name)) continue;
            num_extra++;
            list_key(extra, KEYS_SHOWN + 8, &extra_out, name);
        }
        int n = snprintf(msg, size, "%s: %d missing key(s) (of %d): %s", path, num_missing,
                         expected, missing);
        if (missing_out && n >= 0 && (size_t)n < size)
            n += snprintf(msg + n, size - (size_t)n, " ... and %d more", missing_out);
        if (num_extra && n >= 0 && (size_t)n < size)
            n += snprintf(msg + n, size - (size_t)n, "; %d unexpected key(s)%s%s: %s", num_extra,
                          plen ? " under " : "", prefix, extra);
        if (extra_out && n >= 0 && (size_t)n < size)
            snprintf(msg + n, size - (size_t)n, " ... and %d more", extra_out);
    }
    free(used);
    free(missing);
    free(extra);
    return num_missing ? CLBB_ERR_FORMAT : CLBB_OK;
}

/* URLs of MMDetection's model zoo: mmengine downloads them; clbb reads
 * local files only, so say how to make one. */
static int is_url(const char *path) { return strstr(path, "://") != NULL; }


clbb_status clbb_model_load_weights(clbb_model *m, const char *path, clbb_weights_report *rep) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!path) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "load_weights: path is NULL");
    if (is_url(path))
        return clbb__fail(m->ctx, CLBB_ERR_IO,
                          "weights '%s' name a download (MMDetection's model zoo), not a local "
                          "file: clbb reads local .safetensors files only; download the .pth "
                          "checkpoint, convert it with `python3 tools/convert_checkpoint.py "
                          "FILE.pth FILE.safetensors` and pass FILE.safetensors (--weights, "
                          "weights= in Python, or init_cfg's checkpoint)", path);
    char msg[3072] = "";
    clbb_safetensors *st = NULL;
    clbb_status s = clbb_safetensors_open(path, &st, msg, sizeof msg);
    if (s != CLBB_OK) return clbb__fail(m->ctx, s, "%s", msg);
    graph *g = &m->g;
    /* the prefix is stripped only when no unprefixed key matches */
    const char *prefix = "";
    int direct = 0, prefixed = 0;
    for (int i = 0; i < g->num_params; i++) {
        if (g->params[i].role == ROLE_NORM_COUNT) continue;
        direct += lookup(st, "", g->params[i].key) != NULL;
        prefixed += lookup(st, "backbone.", g->params[i].key) != NULL;
    }
    if (!direct && prefixed) prefix = "backbone.";
    float **staged = calloc((size_t)g->num_params, sizeof *staged);
    int loaded = 0;
    s = staged ? check_missing(g, st, prefix, path, msg, sizeof msg) : CLBB_ERR_OUT_OF_MEMORY;
    if (!staged) snprintf(msg, sizeof msg, "out of host memory");
    for (int i = 0; i < g->num_params && s == CLBB_OK; i++) {
        const graph_param *p = &g->params[i];
        if (p->role == ROLE_NORM_COUNT) continue;
        const clbb_st_tensor *t = lookup(st, prefix, p->key);
        if (!t) {
            s = CLBB_ERR_FORMAT;
            snprintf(msg, sizeof msg, "%s: missing tensor '%s%s'", path, prefix, p->key);
            break;
        }
        int same = t->ndim == p->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = t->shape[d] == p->shape[d];
        if (!same) {
            char a[96], b[96];
            clbb__format_shape(a, sizeof a, t->ndim, t->shape);
            clbb__format_shape(b, sizeof b, p->ndim, p->shape);
            s = CLBB_ERR_FORMAT;
            snprintf(msg, sizeof msg, "%s: tensor '%s' has shape %s, the model expects %s", path,
                     t->name, a, b);
            break;
        }
        staged[i] = malloc((p->numel ? p->numel : 1) * sizeof(float));
        if (!staged[i]) {
            s = CLBB_ERR_OUT_OF_MEMORY;
            snprintf(msg, sizeof msg, "out of host memory");
            break;
        }
        char emsg[512];
        s = clbb_st_tensor_to_f32(t, staged[i], p->numel, emsg, sizeof emsg);
        if (s != CLBB_OK) {
            snprintf(msg, sizeof msg, "%s: %s", path, emsg);
            break;
        }
        for (size_t k = 0; k < p->numel && s == CLBB_OK; k++)
            if (!isfinite(staged[i][k])) {
                s = CLBB_ERR_FORMAT;
                snprintf(msg, sizeof msg, "%s: tensor '%s' element %zu is not finite", path,
                         t->name, k);
            } else if (p->role == ROLE_NORM_VAR && staged[i][k] < 0) {
                s = CLBB_ERR_FORMAT;
                snprintf(msg, sizeof msg, "%s: tensor '%s' element %zu is %g: a variance cannot be "
                         "negative", path, t->name, k, (double)staged[i][k]);
            }
        if (s != CLBB_OK) break;
        loaded++;
    }
    if (s == CLBB_OK) {
        for (int i = 0; i < g->num_params; i++)
            if (staged[i]) {
                free(g->params[i].data);
                g->params[i].data = staged[i];
                staged[i] = NULL;
            }
        if (rep) {
            rep->loaded = loaded;
            rep->ignored = (int)clbb_safetensors_count(st) - loaded;
            rep->prefix_stripped = prefix[0] != '\0';
        }
        clbb__model_weights_changed(m);
    }
    if (staged)
        for (int i = 0; i < g->num_params; i++) free(staged[i]);
    free(staged);
    clbb_safetensors_close(st);
    if (s != CLBB_OK) return clbb__fail(m->ctx, s, "%s", msg);
    return clbb__done(m->ctx, CLBB_OK);
}

clbb_status clbb_model_save_weights(const clbb_model *m, const char *path) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = m->ctx;
    if (!path) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "save_weights: path is NULL");
    if (!m->weights_ready)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "save_weights: the model has no weights");
    const graph *g = &m->g;
    clbb_st_write_entry *e = calloc((size_t)g->num_params, sizeof *e);
    if (!e) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "save_weights: out of host memory");
    size_t n = 0;
    for (int i = 0; i < g->num_params; i++) {
        const graph_param *p = &g->params[i];
        if (p->role == ROLE_NORM_COUNT) continue;
        e[n].name = p->key;
        e[n].ndim = p->ndim;
        memcpy(e[n].shape, p->shape, sizeof p->shape);
        e[n].data = p->data;
        n++;
    }
    char msg[512];
    clbb_status st = clbb_safetensors_write(path, e, n, msg, sizeof msg);
    free(e);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    return clbb__done(ctx, CLBB_OK);
}

typedef struct rng {
    uint64_t s;
    int has_spare;
    double spare;
} rng;

/* in (0, 1): the polar method below takes log(s) of it */
static double uniform(rng *r) {
    return ((double)(clbb__splitmix64(&r->s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Marsaglia's polar method: two normals per accepted pair, no trig (the
 * init of a ResNet-50 draws 23.5M of them). */
static double normal(rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * uniform(r) - 1.0;
        v = 2.0 * uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

clbb_status clbb_model_init_weights(clbb_model *m, uint64_t seed) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    rng r = {seed, 0, 0};
    graph *g = &m->g;
    int zero = m->cfg.zero_init_residual && m->cfg.type != CLBB_MODEL_GHOSTNET;
    for (int i = 0; i < g->num_params; i++) {
        graph_param *p = &g->params[i];
        switch (p->role) {
        case ROLE_CONV_WEIGHT: {
            /* mmcv Kaiming: normal, mode fan_out, relu gain */
            double fan_out = (double)p->shape[0] * p->shape[2] * p->shape[3];
            double std = sqrt(2.0 / fan_out);
            for (size_t k = 0; k < p->numel; k++) p->data[k] = (float)(std * normal(&r));
            break;
        }
        case ROLE_NORM_WEIGHT:
            for (size_t k = 0; k < p->numel; k++) p->data[k] = zero && p->zero_init ? 0.0f : 1.0f;
            break;
        case ROLE_NORM_VAR:
            for (size_t k = 0; k < p->numel; k++) p->data[k] = 1.0f;
            break;
        case ROLE_CONV_BIAS:
        case ROLE_NORM_BIAS:
        case ROLE_NORM_MEAN:
        case ROLE_GAMMA: /* GeneralizedAttention's gamma: torch.zeros(1) */
            for (size_t k = 0; k < p->numel; k++) p->data[k] = 0.0f;
            break;
        case ROLE_LINEAR_WEIGHT: {
            /* GeneralizedAttention.init_weights: kaiming uniform, a = 1,
             * fan_in (the backbone's init_cfg matches Conv2d only) */
            const double bound = sqrt(3.0 / (double)p->shape[1]);
            for (size_t k = 0; k < p->numel; k++)
                p->data[k] = (float)(bound * (2.0 * uniform(&r) - 1.0));
            break;
        }
        case ROLE_UNIFORM:
            for (size_t k = 0; k < p->numel; k++)
                p->data[k] = (float)(p->init_bound * (2.0 * uniform(&r) - 1.0));
            break;
        case ROLE_NORM_COUNT: break;
        }
    }
    clbb__model_weights_changed(m);
    return clbb__done(m->ctx, CLBB_OK);
}

clbb_status clbb__model_randomize(clbb_model *m, uint64_t seed) {
    rng r = {seed ^ 0x5eedull, 0, 0};
    graph *g = &m->g;
    for (int i = 0; i < g->num_params; i++) {
        graph_param *p = &g->params[i];
        double lo = 0, hi = 0;
        switch (p->role) {
        case ROLE_CONV_WEIGHT: {
            double fan_in = (double)p->shape[1] * p->shape[2] * p->shape[3];
            hi = sqrt(3.0 / fan_in); /* unit variance in, unit variance out */
            lo = -hi;
            break;
        }
        case ROLE_CONV_BIAS: lo = -0.1; hi = 0.1; break;
        case ROLE_NORM_WEIGHT: lo = 0.5; hi = 1.2; break;
        case ROLE_NORM_BIAS: lo = -0.2; hi = 0.2; break;
        case ROLE_NORM_MEAN: lo = -0.2; hi = 0.2; break;
        case ROLE_NORM_VAR: lo = 0.5; hi = 2.0; break;
        case ROLE_LINEAR_WEIGHT: hi = sqrt(3.0 / (double)p->shape[1]); lo = -hi; break;
        case ROLE_UNIFORM: lo = -0.5; hi = 0.5; break;
        case ROLE_GAMMA: lo = 0.5; hi = 1.5; break; /* zero at init: the branch would vanish */
        case ROLE_NORM_COUNT: continue;
        }
        for (size_t k = 0; k < p->numel; k++) p->data[k] = (float)(lo + (hi - lo) * uniform(&r));
    }
    clbb__model_weights_changed(m);
    return CLBB_OK;
}
