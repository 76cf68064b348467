/* Per-device tuning table: the winners `clbb tune` measured per conv layer
 * (algorithm + kernel parameters), stored as JSON next to the program
 * cache and read back by later runs on the same device and driver. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void clbb__tuning_clear(clbb_context *ctx) {
    free(ctx->tuning);
    ctx->tuning = NULL;
    ctx->num_tuning = 0;
}

const clbb_tuning_entry *clbb__tuning_find(const clbb_context *ctx, const char *key) {
    for (size_t i = 0; i < ctx->num_tuning; i++)
        if (!strcmp(ctx->tuning[i].key, key)) return &ctx->tuning[i];
    return NULL;
}

clbb_status clbb__tuning_put(clbb_context *ctx, const clbb_tuning_entry *e) {
    for (size_t i = 0; i < ctx->num_tuning; i++)
        if (!strcmp(ctx->tuning[i].key, e->key)) {
            ctx->tuning[i] = *e;
            return CLBB_OK;
        }
    clbb_tuning_entry *p = realloc(ctx->tuning, (ctx->num_tuning + 1) * sizeof *p);
    if (!p) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tuning: out of host memory");
    ctx->tuning = p;
    ctx->tuning[ctx->num_tuning++] = *e;
    return CLBB_OK;
}

void clbb__tuning_default_path(const clbb_context *ctx, char *buf, size_t size) {
    buf[0] = '\0';
    if (!ctx->cache_dir[0]) return;
    clbb_sha256 s;
    clbb__sha256_init(&s);
    clbb__sha256_update(&s, ctx->info.device_name, strlen(ctx->info.device_name) + 1);
    clbb__sha256_update(&s, ctx->info.driver_version, strlen(ctx->info.driver_version) + 1);
    clbb__sha256_update(&s, ctx->info.platform_name, strlen(ctx->info.platform_name) + 1);
    uint8_t d[32];
    clbb__sha256_final(&s, d);
    snprintf(buf, size, "%s/tuning-%02x%02x%02x%02x%02x%02x%02x%02x.json", ctx->cache_dir, d[0], d[1],
             d[2], d[3], d[4], d[5], d[6], d[7]);
}

static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n < (64L << 20) && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
                *len = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

clbb_status clbb_context_load_tuning(clbb_context *ctx, const char *path) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb__tuning_clear(ctx);
    if (!path) return CLBB_OK;
    size_t len = 0;
    char *text = read_text(path, &len);
    if (!text) return clbb__fail(ctx, CLBB_ERR_IO, "tuning file '%s' cannot be read", path);
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    clbb_status st = CLBB_OK;
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
    const cJSON *drv = cJSON_GetObjectItemCaseSensitive(root, "driver");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (!cJSON_IsObject(root) || !cJSON_IsString(dev) || !cJSON_IsString(drv) || !cJSON_IsArray(entries)) {
        st = clbb__fail(ctx, CLBB_ERR_FORMAT,
                        "tuning file '%s': expected {\"device\", \"driver\", \"entries\": [...]}", path);
    } else if (strcmp(dev->valuestring, ctx->info.device_name) ||
               strcmp(drv->valuestring, ctx->info.driver_version)) {
        st = clbb__fail(ctx, CLBB_ERR_FORMAT, "tuning file '%s' is for %s (driver %s), not %s (driver %s)",
                        path, dev->valuestring, drv->valuestring, ctx->info.device_name,
                        ctx->info.driver_version);
    } else {
        const cJSON *e;
        cJSON_ArrayForEach(e, entries) {
            const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key");
            const cJSON *algo = cJSON_GetObjectItemCaseSensitive(e, "algo");
            const cJSON *tun = cJSON_GetObjectItemCaseSensitive(e, "tuning");
            const cJSON *ms = cJSON_GetObjectItemCaseSensitive(e, "ms");
            clbb_tuning_entry t;
            memset(&t, 0, sizeof t);
            int a = -1;
            for (int k = 1; cJSON_IsString(algo) && k < CLBB_CONV_ALGO_COUNT; k++)
                if (clbb_conv_algo_name((clbb_conv_algo)k) && !strcmp(clbb_conv_algo_name((clbb_conv_algo)k), algo->valuestring))
                    a = k;
            if (!cJSON_IsString(key) || a < 0 || strlen(key->valuestring) >= sizeof t.key ||
                (tun && !cJSON_IsString(tun)) || (tun && strlen(tun->valuestring) >= sizeof t.tuning)) {
                st = clbb__fail(ctx, CLBB_ERR_FORMAT, "tuning file '%s': malformed entry", path);
                break;
            }
            clbb__strlcpy(t.key, key->valuestring, sizeof t.key);
            t.algo = (clbb_conv_algo)a;
            if (tun) clbb__strlcpy(t.tuning, tun->valuestring, sizeof t.tuning);
            t.ms = cJSON_IsNumber(ms) ? ms->valuedouble : 0;
            if ((st = clbb__tuning_put(ctx, &t)) != CLBB_OK) break;
        }
    }
    cJSON_Delete(root);
    if (st != CLBB_OK) clbb__tuning_clear(ctx);
    return st;
}

clbb_status clbb__tuning_save(clbb_context *ctx, const char *path) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "device", ctx->info.device_name);
    cJSON_AddStringToObject(root, "driver", ctx->info.driver_version);
    cJSON_AddStringToObject(root, "platform", ctx->info.platform_name);
    cJSON *arr = cJSON_AddArrayToObject(root, "entries");
    for (size_t i = 0; i < ctx->num_tuning; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "key", ctx->tuning[i].key);
        cJSON_AddStringToObject(e, "algo", clbb_conv_algo_name(ctx->tuning[i].algo));
        cJSON_AddStringToObject(e, "tuning", ctx->tuning[i].tuning);
        cJSON_AddNumberToObject(e, "ms", ctx->tuning[i].ms);
        cJSON_AddItemToArray(arr, e);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tuning: out of host memory");
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs(text, f) >= 0;
    if (f) ok = (fclose(f) == 0) && ok;
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return clbb__fail(ctx, CLBB_ERR_IO, "tuning file '%s' cannot be written", path);
    }
    return CLBB_OK;
}
