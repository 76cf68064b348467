/* Reading a conformance report back (for clbb_check_compare): every key the
 * comparison uses is checked, and a report that is not one is refused with
 * the file and the key named, never half-read. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static clbb_status bad(char *errbuf, size_t size, const char *path, const char *key,
                       const char *why) {
    return clbb__fail_buf(errbuf, size, CLBB_ERR_FORMAT,
                          "%s: key '%s' %s (is it a report of 'clbb check --report'?)", path, key,
                          why);
}

/* A string member into out (missing: "" unless required). */
static clbb_status get_str(const cJSON *o, const char *key, const char *field, int required,
                           char *out, size_t out_size, const char *path, char *eb, size_t es) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (out) out[0] = '\0';
    if (!it && !required) return CLBB_OK;
    if (!it) return bad(eb, es, path, field, "is missing");
    if (!cJSON_IsString(it) || !it->valuestring) return bad(eb, es, path, field, "must be a string");
    if (out) clbb__strlcpy(out, it->valuestring, out_size);
    return CLBB_OK;
}

/* An optional finite number >= 0, or null/missing (*out = -1). */
static clbb_status get_opt_num(const cJSON *o, const char *key, const char *field, double *out,
                               const char *path, char *eb, size_t es) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = -1;
    if (!it || cJSON_IsNull(it)) return CLBB_OK;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0)
        return bad(eb, es, path, field, "must be a number >= 0 or null");
    *out = it->valuedouble;
    return CLBB_OK;
}

static const char *const STATUSES[] = {"pass", "fail", "error", "skipped"};

static clbb_status read_case(const cJSON *c, int i, report_case *rc, const char *path, char *eb,
                             size_t es) {
    char field[64];
    snprintf(field, sizeof field, "cases[%d]", i);
    if (!cJSON_IsObject(c)) return bad(eb, es, path, field, "must be an object");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "table"),
                *n = cJSON_GetObjectItemCaseSensitive(c, "name"),
                *r = cJSON_GetObjectItemCaseSensitive(c, "reason");
    snprintf(field, sizeof field, "cases[%d].table", i);
    if (!cJSON_IsString(t) || !t->valuestring || !t->valuestring[0])
        return bad(eb, es, path, field, t ? "must be a non-empty string" : "is missing");
    snprintf(field, sizeof field, "cases[%d].name", i);
    if (!cJSON_IsString(n) || !n->valuestring || !n->valuestring[0])
        return bad(eb, es, path, field, n ? "must be a non-empty string" : "is missing");
    rc->table = t->valuestring;
    rc->name = n->valuestring;
    rc->reason = cJSON_IsString(r) && r->valuestring ? r->valuestring : "";
    snprintf(field, sizeof field, "cases[%d].status", i);
    clbb_status st = get_str(c, "status", field, 1, rc->status, sizeof rc->status, path, eb, es);
    if (st != CLBB_OK) return st;
    int known = 0;
    for (size_t k = 0; k < CLBB_ARRAY_SIZE(STATUSES); k++) known |= !strcmp(rc->status, STATUSES[k]);
    if (!known) return bad(eb, es, path, field, "must be pass, fail, error or skipped");
    double rel, bound, tol = -1;
    snprintf(field, sizeof field, "cases[%d].rel_l2", i);
    if ((st = get_opt_num(c, "rel_l2", field, &rel, path, eb, es)) != CLBB_OK) return st;
    snprintf(field, sizeof field, "cases[%d].of_bound", i);
    if ((st = get_opt_num(c, "of_bound", field, &bound, path, eb, es)) != CLBB_OK) return st;
    snprintf(field, sizeof field, "cases[%d].median_ms", i);
    if ((st = get_opt_num(c, "median_ms", field, &rc->ms, path, eb, es)) != CLBB_OK) return st;
    const cJSON *tobj = cJSON_GetObjectItemCaseSensitive(c, "tolerance");
    if (tobj) {
        snprintf(field, sizeof field, "cases[%d].tolerance", i);
        if (!cJSON_IsObject(tobj)) return bad(eb, es, path, field, "must be an object");
        snprintf(field, sizeof field, "cases[%d].tolerance.rel_l2", i);
        if ((st = get_opt_num(tobj, "rel_l2", field, &tol, path, eb, es)) != CLBB_OK) return st;
    }
    /* the error as a fraction of the tolerance: the larger of the two
     * bounds; a case that ran and failed with no finite number (NaN/Inf
     * outputs are null) is infinitely wrong */
    rc->error = bound;
    if (rel >= 0 && tol > 0 && rel / tol > rc->error) rc->error = rel / tol;
    if (rc->error < 0 && !strcmp(rc->status, "fail")) rc->error = INFINITY;
    return CLBB_OK;
}

void check_report_doc_free(report_doc *doc) {
    cJSON_Delete(doc->json);
    free(doc->cases);
    memset(doc, 0, sizeof *doc);
}

clbb_status check_report_parse(const char *text, size_t len, const char *path, report_doc *doc,
                               char *eb, size_t es) {
    memset(doc, 0, sizeof *doc);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        const size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        return clbb__fail_buf(eb, es, CLBB_ERR_FORMAT, "%s: not valid JSON (near byte %zu)", path,
                              at);
    }
    doc->json = root;
    clbb_status st = CLBB_OK;
    char schema[64];
    if (!cJSON_IsObject(root)) {
        st = clbb__fail_buf(eb, es, CLBB_ERR_FORMAT,
                            "%s: not a report of 'clbb check --report' (a JSON object)", path);
        goto fail;
    }
    if ((st = get_str(root, "schema", "schema", 1, schema, sizeof schema, path, eb, es)) != CLBB_OK)
        goto fail;
    if (strcmp(schema, CHECK_REPORT_SCHEMA)) {
        st = bad(eb, es, path, "schema", "is not \"" CHECK_REPORT_SCHEMA "\"");
        goto fail;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != CHECK_REPORT_VERSION) {
        st = clbb__fail_buf(eb, es, CLBB_ERR_FORMAT,
                            "%s: key 'schema_version' must be %d (this clbb reads version %d)",
                            path, CHECK_REPORT_VERSION, CHECK_REPORT_VERSION);
        goto fail;
    }
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
    if (!cJSON_IsObject(dev)) {
        st = bad(eb, es, path, "device", dev ? "must be an object" : "is missing");
        goto fail;
    }
    if ((st = get_str(dev, "name", "device.name", 1, doc->device, sizeof doc->device, path, eb,
                      es)) != CLBB_OK ||
        (st = get_str(dev, "driver", "device.driver", 0, doc->driver, sizeof doc->driver, path, eb,
                      es)) != CLBB_OK ||
        (st = get_str(root, "profile", "profile", 0, doc->profile, sizeof doc->profile, path, eb,
                      es)) != CLBB_OK ||
        (st = get_str(root, "precision", "precision", 0, doc->precision, sizeof doc->precision,
                      path, eb, es)) != CLBB_OK ||
        (st = get_str(root, "date", "date", 0, doc->date, sizeof doc->date, path, eb, es)) !=
            CLBB_OK ||
        (st = get_str(root, "clbb_version", "clbb_version", 0, doc->version, sizeof doc->version,
                      path, eb, es)) != CLBB_OK)
        goto fail;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (!cJSON_IsArray(cases)) {
        st = bad(eb, es, path, "cases", cases ? "must be an array" : "is missing");
        goto fail;
    }
    const int n = cJSON_GetArraySize(cases);
    if (n > 0 && !(doc->cases = calloc((size_t)n, sizeof *doc->cases))) {
        st = clbb__fail_buf(eb, es, CLBB_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
        goto fail;
    }
    int i = 0;
    for (const cJSON *c = cases->child; c; c = c->next, i++)
        if ((st = read_case(c, i, &doc->cases[i], path, eb, es)) != CLBB_OK) goto fail;
    doc->num_cases = (size_t)i;
    return CLBB_OK;
fail:
    check_report_doc_free(doc);
    return st;
}
