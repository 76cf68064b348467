/* Reading `clbb bench --json` reports back: every field checked, an error
 * naming the file and the field, nothing half-read left behind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"
#include "cli.h"
#include "model_args.h"

static int bad_field(const char *file, const char *field, const char *why) {
    return cli_error(CLI_USAGE, "%s: field '%s' %s (is it a report of 'clbb bench --json'?)", file,
                     field, why);
}

static int get_string(const cJSON *o, const char *file, const char *field, const char *key,
                      char *out, size_t size, int required) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it && !required) {
        out[0] = '\0';
        return CLI_OK;
    }
    if (!it) return bad_field(file, field, "is missing");
    if (!cJSON_IsString(it) || !it->valuestring) return bad_field(file, field, "must be a string");
    snprintf(out, size, "%s", it->valuestring);
    return CLI_OK;
}

static int get_ms(const cJSON *o, const char *file, const char *field, const char *key,
                  double *out) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) return bad_field(file, field, "is missing");
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0 ||
        it->valuedouble > 1e9)
        return bad_field(file, field, "must be a number of milliseconds >= 0");
    *out = it->valuedouble;
    return CLI_OK;
}

int bench_report_read(const cJSON *root, const char *file, bench_report *r) {
    memset(r, 0, sizeof *r);
    snprintf(r->file, sizeof r->file, "%s", file);
    if (!cJSON_IsObject(root))
        return cli_error(CLI_USAGE, "%s: not a report of 'clbb bench --json' (a JSON object)", file);
    int rc;
    if ((rc = get_string(root, file, "device", "device", r->device, sizeof r->device, 1)) ||
        (rc = get_string(root, file, "driver", "driver", r->driver, sizeof r->driver, 0)) ||
        (rc = get_string(root, file, "arch", "arch", r->arch, sizeof r->arch, 1)) ||
        (rc = get_string(root, file, "precision", "precision", r->precision, sizeof r->precision,
                         1)) ||
        (rc = get_ms(root, file, "median_ms", "median_ms", &r->median_ms)) ||
        (rc = get_ms(root, file, "kernel_ms", "kernel_ms", &r->kernel_ms)))
        return rc;
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(root, "shape");
    if (!shape) return bad_field(file, "shape", "is missing");
    if (!cJSON_IsArray(shape) || cJSON_GetArraySize(shape) != 4)
        return bad_field(file, "shape", "must be [N, C, H, W]");
    int k = 0;
    for (const cJSON *e = shape->child; e; e = e->next, k++) {
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 1 ||
            e->valuedouble > 1e6)
            return bad_field(file, "shape", "must be [N, C, H, W] of positive integers");
        r->shape[k] = (int)e->valuedouble;
    }
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
    if (!layers) return bad_field(file, "layers", "is missing");
    if (!cJSON_IsArray(layers)) return bad_field(file, "layers", "must be an array");
    const int n = cJSON_GetArraySize(layers);
    if (n < 1) return bad_field(file, "layers", "is empty");
    if (n > BENCH_MAX_LAYERS) return bad_field(file, "layers", "has more than 2000 entries");
    r->layers = calloc((size_t)n, sizeof *r->layers);
    if (!r->layers) return cli_error(CLI_RUNTIME, "%s: out of memory", file);
    k = 0;
    for (const cJSON *e = layers->child; e; e = e->next, k++) {
        char field[64];
        bench_layer *l = &r->layers[k];
        snprintf(field, sizeof field, "layers[%d]", k);
        if (!cJSON_IsObject(e)) rc = bad_field(file, field, "must be an object");
        if (!rc) {
            snprintf(field, sizeof field, "layers[%d].name", k);
            rc = get_string(e, file, field, "name", l->name, sizeof l->name, 1);
        }
        if (!rc) {
            snprintf(field, sizeof field, "layers[%d].kind", k);
            rc = get_string(e, file, field, "kind", l->kind, sizeof l->kind, 1);
        }
        if (!rc) {
            snprintf(field, sizeof field, "layers[%d].median_ms", k);
            rc = get_ms(e, file, field, "median_ms", &l->ms);
        }
        if (rc) {
            bench_report_free(r);
            return rc;
        }
    }
    r->num_layers = (size_t)n;
    return CLI_OK;
}

int bench_report_load(const char *path, bench_report *r) {
    memset(r, 0, sizeof *r);
    char *text;
    size_t size;
    int rc = cli_read_file(path, &text, &size);
    if (rc) return rc;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, size, &end, 0);
    if (!root) {
        size_t at = end && end >= text && end <= text + size ? (size_t)(end - text) : 0;
        free(text);
        return cli_error(CLI_USAGE, "%s: not valid JSON (at byte %zu): not a report of 'clbb "
                                    "bench --json'",
                         path, at);
    }
    free(text);
    rc = bench_report_read(root, path, r);
    cJSON_Delete(root);
    return rc;
}

void bench_report_free(bench_report *r) {
    free(r->layers);
    r->layers = NULL;
    r->num_layers = 0;
}
