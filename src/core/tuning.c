/* The tuning table: what `clbb tune` measured best per conv layer (an
 * algorithm, a kernel family and its parameter text), in rows per device.
 * Following CLBlast's database, a lookup searches the rows of this device
 * and driver, then this vendor's, then the defaults row, so a driver
 * update or a new device falls back instead of losing everything. Keys
 * are shape classes (see models/tune.c), not exact shapes. Stored as JSON
 * next to the program cache:
 *   {"format": "clbb-tuning", "version": 2,
 *    "rows": [{"vendor": "nvidia", "device": "NVIDIA H200", "driver": "580.159.04",
 *              "entries": [{"key": "...", "algo": "igemm", "family": "gpu",
 *                           "tuning": "TM=128,...", "ms": 0.123}, ...]}, ...]} */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context_impl.h"

#define TUNING_VERSION 2

void clbb__tuning_clear(clbb_context *ctx) {
    free(ctx->tuning);
    free(ctx->tuning_rows);
    ctx->tuning = NULL;
    ctx->tuning_rows = NULL;
    ctx->num_tuning = ctx->num_tuning_rows = 0;
}

/* How well a row fits this context: 4 this device and driver, 3 this
 * device under any driver (a row written with driver ""), 2 this vendor
 * (device ""), 1 the defaults row, 0 no match (another device or vendor,
 * or this device measured under another driver). */
static int row_rank(const clbb_context *ctx, const clbb_tuning_row *r) {
    const clbb_device_info *i = &ctx->info;
    const char *vendor = clbb__vendor_name(ctx->vendor);
    if (r->vendor[0] && strcmp(r->vendor, vendor)) return 0;
    if (r->device[0]) {
        if (strcmp(r->device, i->device_name)) return 0;
        if (!r->driver[0]) return 3;
        return strcmp(r->driver, i->driver_version) ? 0 : 4;
    }
    return r->vendor[0] ? 2 : 1;
}

int clbb__tuning_find(const clbb_context *ctx, const char *key, clbb_tuning_choice *out) {
    int best = 0;
    for (size_t i = 0; i < ctx->num_tuning; i++) {
        const clbb_tuning_entry *e = &ctx->tuning[i];
        if (strcmp(e->key, key)) continue;
        int rank = row_rank(ctx, &ctx->tuning_rows[e->row]);
        if (rank > best) {
            best = rank;
            *out = e->choice;
        }
    }
    return best > 0;
}

static int find_row(const clbb_context *ctx, const clbb_tuning_row *r) {
    for (size_t i = 0; i < ctx->num_tuning_rows; i++) {
        const clbb_tuning_row *q = &ctx->tuning_rows[i];
        if (!strcmp(q->vendor, r->vendor) && !strcmp(q->device, r->device) &&
            !strcmp(q->driver, r->driver))
            return (int)i;
    }
    return -1;
}

static clbb_status add_row(clbb_context *ctx, const clbb_tuning_row *r, int *index) {
    *index = find_row(ctx, r);
    if (*index >= 0) return CLBB_OK;
    clbb_tuning_row *p = realloc(ctx->tuning_rows, (ctx->num_tuning_rows + 1) * sizeof *p);
    if (!p) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tuning: out of host memory");
    ctx->tuning_rows = p;
    p[ctx->num_tuning_rows] = *r;
    *index = (int)ctx->num_tuning_rows++;
    return CLBB_OK;
}

static clbb_status put(clbb_context *ctx, int row, const char *key, const clbb_tuning_choice *c) {
    for (size_t i = 0; i < ctx->num_tuning; i++)
        if (ctx->tuning[i].row == row && !strcmp(ctx->tuning[i].key, key)) {
            ctx->tuning[i].choice = *c;
            return CLBB_OK;
        }
    clbb_tuning_entry *p = realloc(ctx->tuning, (ctx->num_tuning + 1) * sizeof *p);
    if (!p) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tuning: out of host memory");
    ctx->tuning = p;
    clbb_tuning_entry *e = &p[ctx->num_tuning++];
    memset(e, 0, sizeof *e);
    e->row = row;
    clbb__strlcpy(e->key, key, sizeof e->key);
    e->choice = *c;
    return CLBB_OK;
}

clbb_status clbb__tuning_put(clbb_context *ctx, const char *key, const clbb_tuning_choice *c) {
    clbb_tuning_row r;
    memset(&r, 0, sizeof r);
    clbb__strlcpy(r.vendor, clbb__vendor_name(ctx->vendor), sizeof r.vendor);
    clbb__strlcpy(r.device, ctx->info.device_name, sizeof r.device);
    clbb__strlcpy(r.driver, ctx->info.driver_version, sizeof r.driver);
    int row;
    CLBB_CHECK(add_row(ctx, &r, &row));
    return put(ctx, row, key, c);
}

void clbb__tuning_default_path(const clbb_context *ctx, char *buf, size_t size) {
    buf[0] = '\0';
    if (!ctx->cache_dir[0]) return;
    /* one file per device (not per driver: the rows carry the driver) */
    clbb_sha256 s;
    clbb__sha256_init(&s);
    clbb__sha256_update(&s, ctx->info.device_name, strlen(ctx->info.device_name) + 1);
    clbb__sha256_update(&s, ctx->info.platform_name, strlen(ctx->info.platform_name) + 1);
    /* a tune under a profile is another device's: its own file */
    if (ctx->profile) clbb__sha256_update(&s, ctx->profile->name, strlen(ctx->profile->name) + 1);
    uint8_t d[32];
    clbb__sha256_final(&s, d);
    snprintf(buf, size, "%s/tuning-%02x%02x%02x%02x%02x%02x%02x%02x.json", ctx->cache_dir, d[0],
             d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n < (64L << 20) && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)n + 1))) {
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

/* Copies a JSON string member into dst; "" when absent. 0 if the member
 * is there but not a string that fits. */
static int get_str(const cJSON *obj, const char *name, char *dst, size_t size, int required) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    dst[0] = '\0';
    if (!it) return !required;
    if (!cJSON_IsString(it) || strlen(it->valuestring) >= size) return 0;
    clbb__strlcpy(dst, it->valuestring, size);
    return 1;
}

static clbb_status load_row(clbb_context *ctx, const cJSON *jr, const char *path, size_t ri) {
    clbb_tuning_row r;
    memset(&r, 0, sizeof r);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(jr, "entries");
    if (!cJSON_IsObject(jr) || !get_str(jr, "vendor", r.vendor, sizeof r.vendor, 0) ||
        !get_str(jr, "device", r.device, sizeof r.device, 0) ||
        !get_str(jr, "driver", r.driver, sizeof r.driver, 0) || !cJSON_IsArray(entries))
        return clbb__fail(ctx, CLBB_ERR_FORMAT,
                          "tuning file '%s': rows[%zu] must be {\"vendor\", \"device\", "
                          "\"driver\", \"entries\": [...]} with strings that fit",
                          path, ri);
    int row;
    CLBB_CHECK(add_row(ctx, &r, &row));
    size_t ei = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, entries) {
        char key[sizeof ctx->tuning->key];
        clbb_tuning_choice c;
        memset(&c, 0, sizeof c);
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(e, "ms");
        if (!cJSON_IsObject(e) || !get_str(e, "key", key, sizeof key, 1) ||
            !get_str(e, "algo", c.algo, sizeof c.algo, 1) ||
            !get_str(e, "family", c.family, sizeof c.family, 0) ||
            !get_str(e, "tuning", c.params, sizeof c.params, 0) || (ms && !cJSON_IsNumber(ms)))
            return clbb__fail(ctx, CLBB_ERR_FORMAT,
                              "tuning file '%s': rows[%zu].entries[%zu] must be {\"key\", "
                              "\"algo\", \"family\", \"tuning\", \"ms\"} with strings that fit",
                              path, ri, ei);
        c.ms = ms ? ms->valuedouble : 0;
        CLBB_CHECK(put(ctx, row, key, &c));
        ei++;
    }
    return CLBB_OK;
}

clbb_status clbb__tuning_load_text(clbb_context *ctx, const char *text, size_t len,
                                   const char *path) {
    clbb__tuning_clear(ctx);
    cJSON *root = cJSON_ParseWithLength(text, len);
    clbb_status st = CLBB_OK;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
    if (!cJSON_IsObject(root) || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "clbb-tuning") ||
        !cJSON_IsNumber(ver) || !cJSON_IsArray(rows)) {
        st = clbb__fail(ctx, CLBB_ERR_FORMAT,
                        "tuning file '%s': expected {\"format\": \"clbb-tuning\", \"version\": "
                        "%d, \"rows\": [...]} (files of clbb 0.1 before it: run clbb tune again)",
                        path, TUNING_VERSION);
    } else if (ver->valuedouble != TUNING_VERSION) {
        st = clbb__fail(ctx, CLBB_ERR_FORMAT, "tuning file '%s' has version %g; this clbb reads %d",
                        path, ver->valuedouble, TUNING_VERSION);
    } else {
        size_t ri = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, rows) {
            if ((st = load_row(ctx, r, path, ri++)) != CLBB_OK) break;
        }
    }
    cJSON_Delete(root);
    if (st != CLBB_OK) clbb__tuning_clear(ctx);
    return st;
}

clbb_status clbb_context_load_tuning(clbb_context *ctx, const char *path) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb__tuning_clear(ctx);
    if (!path) return clbb__done(ctx, CLBB_OK);
    size_t len = 0;
    char *text = read_text(path, &len);
    if (!text) return clbb__fail(ctx, CLBB_ERR_IO, "tuning file '%s' cannot be read", path);
    clbb_status st = clbb__tuning_load_text(ctx, text, len, path);
    free(text);
    return clbb__done(ctx, st);
}

clbb_status clbb__tuning_save(clbb_context *ctx, const char *path) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "clbb-tuning");
    cJSON_AddNumberToObject(root, "version", TUNING_VERSION);
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    for (size_t r = 0; r < ctx->num_tuning_rows; r++) {
        const clbb_tuning_row *row = &ctx->tuning_rows[r];
        cJSON *jr = cJSON_CreateObject();
        cJSON_AddStringToObject(jr, "vendor", row->vendor);
        cJSON_AddStringToObject(jr, "device", row->device);
        cJSON_AddStringToObject(jr, "driver", row->driver);
        cJSON *arr = cJSON_AddArrayToObject(jr, "entries");
        for (size_t i = 0; i < ctx->num_tuning; i++) {
            const clbb_tuning_entry *t = &ctx->tuning[i];
            if (t->row != (int)r) continue;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "key", t->key);
            cJSON_AddStringToObject(e, "algo", t->choice.algo);
            cJSON_AddStringToObject(e, "family", t->choice.family);
            cJSON_AddStringToObject(e, "tuning", t->choice.params);
            cJSON_AddNumberToObject(e, "ms", t->choice.ms);
            cJSON_AddItemToArray(arr, e);
        }
        cJSON_AddItemToArray(rows, jr);
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
