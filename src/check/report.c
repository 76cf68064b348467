/* Writing the conformance report: clbb_check feeds every case to the
 * recorder as it runs (no parsing of the text table), and the JSON tree is
 * written at the end with a Markdown summary (docs/report.md). */
#include "report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/io_internal.h"

struct check_report {
    char *json_path;
    cJSON *root, *cases; /* cases: the root's "cases" array */
    int oom;             /* an addition failed: the report is incomplete */
};

/* cJSON_Add* return NULL when out of memory; one flag collects it. */
static void need(check_report *r, const void *p) {
    if (!p) r->oom = 1;
}

static void add_str(check_report *r, cJSON *o, const char *key, const char *v) {
    need(r, cJSON_AddStringToObject(o, key, v ? v : ""));
}

static void add_num(check_report *r, cJSON *o, const char *key, double v) {
    /* JSON has no NaN or infinity: null (docs/report.md) */
    need(r, isfinite(v) ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key));
}

static void add_bool(check_report *r, cJSON *o, const char *key, int v) {
    need(r, cJSON_AddBoolToObject(o, key, v != 0));
}

static void add_shape(check_report *r, cJSON *o, const char *key, clbb_shape s) {
    const int v[4] = {s.n, s.c, s.h, s.w};
    cJSON *a = cJSON_CreateIntArray(v, 4);
    if (!a || !cJSON_AddItemToObject(o, key, a)) {
        cJSON_Delete(a);
        r->oom = 1;
    }
}

/* The NCHW coordinates of flat index k in shape s. */
static void add_index(check_report *r, cJSON *o, const char *key, clbb_shape s, size_t k) {
    const size_t hw = (size_t)s.h * s.w, chw = hw * s.c;
    if (!hw || !chw) return;
    const int v[4] = {(int)(k / chw), (int)(k % chw / hw), (int)(k % hw / s.w), (int)(k % s.w)};
    cJSON *a = cJSON_CreateIntArray(v, 4);
    if (!a || !cJSON_AddItemToObject(o, key, a)) {
        cJSON_Delete(a);
        r->oom = 1;
    }
}

static void add_tolerance(check_report *r, cJSON *o, const check_tolerance *t) {
    cJSON *tol = cJSON_AddObjectToObject(o, "tolerance");
    need(r, tol);
    if (!tol) return;
    add_num(r, tol, "rel_l2", t->rel_l2);
    add_num(r, tol, "atol", t->atol);
    add_num(r, tol, "rtol", t->rtol);
}

/* CL_DEVICE_EXTENSIONS as an array of names. */
static void add_extensions(check_report *r, clbb_context *ctx, cJSON *dev) {
    cJSON *a = cJSON_AddArrayToObject(dev, "extensions");
    need(r, a);
    cl_device_id d = clbb_context_cl_device(ctx);
    size_t size = 0;
    if (!a || !d || clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || !size)
        return;
    char *text = malloc(size + 1);
    if (!text) {
        r->oom = 1;
        return;
    }
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, size, text, NULL) == CL_SUCCESS) {
        text[size] = '\0';
        for (char *save = NULL, *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            cJSON *s = cJSON_CreateString(w);
            if (!s || !cJSON_AddItemToArray(a, s)) {
                cJSON_Delete(s);
                r->oom = 1;
            }
        }
    }
    free(text);
}

static void add_device(check_report *r, clbb_context *ctx) {
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    cJSON *dev = cJSON_AddObjectToObject(r->root, "device");
    need(r, dev);
    if (!dev) return;
    add_str(r, dev, "name", info.device_name);
    add_str(r, dev, "vendor", info.vendor);
    add_str(r, dev, "platform", info.platform_name);
    add_str(r, dev, "driver", info.driver_version);
    add_str(r, dev, "opencl_version", info.opencl_version);
    add_str(r, dev, "type", info.is_gpu ? "gpu" : info.is_cpu ? "cpu" : "other");
    add_num(r, dev, "compute_units", info.compute_units);
    add_num(r, dev, "max_clock_mhz", info.max_clock_mhz);
    add_num(r, dev, "global_mem_bytes", (double)info.global_mem_bytes);
    add_num(r, dev, "max_alloc_bytes", (double)info.max_alloc_bytes);
    add_num(r, dev, "local_mem_bytes", (double)info.local_mem_bytes);
    add_num(r, dev, "max_work_group_size", (double)info.max_work_group_size);
    add_bool(r, dev, "fp16", info.has_fp16);
    add_bool(r, dev, "fp64", info.has_fp64);
    add_extensions(r, ctx, dev);
}

check_report *check_report_create(clbb_context *ctx, const clbb_check_options *o, uint64_t seed) {
    check_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->json_path = malloc(strlen(o->report_path) + 1);
    r->root = cJSON_CreateObject();
    if (!r->json_path || !r->root) {
        check_report_destroy(r);
        return NULL;
    }
    strcpy(r->json_path, o->report_path);
    add_str(r, r->root, "schema", CHECK_REPORT_SCHEMA);
    add_num(r, r->root, "schema_version", CHECK_REPORT_VERSION);
    add_str(r, r->root, "clbb_version", clbb_version());
    char date[32] = "";
    const time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    add_str(r, r->root, "date", date);
    add_device(r, ctx);
    /* the profile the context plans with (--profile or CLBB_DEVICE_PROFILE) */
    const clbb_device_profile *prof = clbb_context_profile(ctx);
    add_str(r, r->root, "profile", prof ? prof->name : NULL);
    add_str(r, r->root, "kernel_family", clbb_kernel_family_name(clbb__default_family(ctx)));
    add_str(r, r->root, "precision", clbb_precision_name(o->precision));
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)seed);
    add_str(r, r->root, "seed", s);
    cJSON *opt = cJSON_AddObjectToObject(r->root, "options");
    need(r, opt);
    if (opt) {
        add_bool(r, opt, "ops", o->ops);
        add_bool(r, opt, "blocks", o->blocks);
        add_bool(r, opt, "models", o->models);
        add_bool(r, opt, "quick", o->quick);
        add_bool(r, opt, "small", o->small);
        add_str(r, opt, "only", o->only);
        add_num(r, opt, "timing_runs", o->report_runs);
        add_bool(r, opt, "profiling", clbb__context_profiling(ctx));
    }
    r->cases = cJSON_AddArrayToObject(r->root, "cases");
    need(r, r->cases);
    return r;
}

void check_report_destroy(check_report *r) {
    if (!r) return;
    cJSON_Delete(r->root);
    free(r->json_path);
    free(r);
}

static cJSON *new_case(check_report *r, const char *table, const char *kind, const char *name) {
    cJSON *c = r->cases ? cJSON_CreateObject() : NULL;
    if (!c || !cJSON_AddItemToArray(r->cases, c)) {
        cJSON_Delete(c);
        r->oom = 1;
        return NULL;
    }
    add_str(r, c, "table", table);
    add_str(r, c, "kind", kind);
    add_str(r, c, "name", name);
    return c;
}

/* "skipped: why" -> "why" */
static const char *reason(const char *msg) {
    return strncmp(msg, "skipped: ", 9) ? msg : msg + 9;
}

void check_report_op_case(check_report *r, const check_case *c, clbb_status st,
                          const check_result *res) {
    cJSON *o = new_case(r, c->op->name, "op", c->name);
    if (!o) return;
    const char *status = st != CLBB_OK ? "error" : !res->ran ? "skipped" : res->pass ? "pass" : "fail";
    add_str(r, o, "status", status);
    add_str(r, o, "reason", strcmp(status, "pass") ? reason(res->message) : "");
    add_str(r, o, "dtype", clbb_dtype_name(c->dtype));
    add_shape(r, o, "shape", c->in);
    add_str(r, o, "algo", c->algo ? clbb_conv_algo_name((clbb_conv_algo)c->algo) : "auto");
    add_str(r, o, "family", clbb_kernel_family_name(c->family));
    add_str(r, o, "tuning", c->tuning);
    add_str(r, o, "algorithm", res->algorithm);
    add_tolerance(r, o, &res->tol);
    if (st == CLBB_OK && res->ran) {
        add_shape(r, o, "out_shape", res->out);
        add_num(r, o, "rel_l2", res->rel_l2);
        add_num(r, o, "max_abs", res->max_abs);
        add_num(r, o, "of_bound", res->worst_ratio);
        add_num(r, o, "worst_index", (double)res->worst_index);
        add_index(r, o, "worst_at", res->out, res->worst_index);
        add_num(r, o, "elements_over", (double)res->over_bound);
        add_num(r, o, "nonfinite", (double)res->nonfinite);
        add_num(r, o, "unwritten", (double)res->unwritten);
        add_num(r, o, "guard_damage", (double)res->guard_damage);
        add_num(r, o, "flops", res->flops);
        add_num(r, o, "ref_ms", res->ref_ms);
    }
    if (res->median_ms > 0) add_num(r, o, "median_ms", res->median_ms);
    else need(r, cJSON_AddNullToObject(o, "median_ms"));
}

void check_report_model_case(check_report *r, const char *table, const check_model_case *c,
                             clbb_status st, const check_model_result *res) {
    cJSON *o = new_case(r, table, table, c->name);
    if (!o) return;
    const char *status = st != CLBB_OK ? "error" : res->pass ? "pass" : "fail";
    add_str(r, o, "status", status);
    add_str(r, o, "reason", res->pass && st == CLBB_OK ? "" : res->message);
    add_shape(r, o, "shape", c->input);
    add_str(r, o, "config", c->json);
    add_tolerance(r, o, &res->tol);
    if (st == CLBB_OK) {
        add_num(r, o, "outputs", res->num_outputs);
        add_num(r, o, "rel_l2", res->worst_rel_l2);
        add_num(r, o, "max_abs", res->max_abs);
        add_num(r, o, "of_bound", res->worst_ratio);
        add_num(r, o, "worst_output", res->worst_output);
        add_num(r, o, "worst_index", (double)res->worst_index);
    }
    if (res->forward_ms > 0) add_num(r, o, "median_ms", res->forward_ms);
    else need(r, cJSON_AddNullToObject(o, "median_ms"));
}

void check_report_table_error(check_report *r, const char *table, const char *message) {
    cJSON *o = new_case(r, table, "op", "(table)");
    if (!o) return;
    add_str(r, o, "status", "error");
    add_str(r, o, "reason", message);
}

char *check_report_md_path(const char *json_path) {
    const size_t n = strlen(json_path);
    const int ext = n > 5 && !strcmp(json_path + n - 5, ".json");
    char *md = malloc(n + 4);
    if (!md) return NULL;
    memcpy(md, json_path, ext ? n - 5 : n);
    strcpy(md + (ext ? n - 5 : n), ".md");
    return md;
}

/* --- Markdown --------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) && it->valuestring ? it->valuestring : "";
}

static double num_of(const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

/* Table cells: '|' and newlines would break the row. */
static void md_cell(FILE *f, const char *s, size_t max) {
    for (size_t i = 0; s[i] && i < max; i++) {
        if (s[i] == '|') fputs("\\|", f);
        else if (s[i] == '\n' || s[i] == '\r') fputc(' ', f);
        else fputc(s[i], f);
    }
}

static void md_num(FILE *f, double v, const char *fmt) {
    if (isnan(v)) fputs("-", f);
    else fprintf(f, fmt, v);
}

typedef struct table_sum {
    const char *name;
    size_t cases, pass, fail, skipped;
    double worst_rel, worst_bound, ms;
} table_sum;

static void write_markdown(FILE *f, const cJSON *root) {
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    fprintf(f, "# clbb conformance report\n\n");
    fprintf(f, "| | |\n|---|---|\n");
    fprintf(f, "| device | ");
    md_cell(f, str_of(dev, "name"), 200);
    fprintf(f, " (");
    md_cell(f, str_of(dev, "vendor"), 200);
    fprintf(f, ") |\n| platform | ");
    md_cell(f, str_of(dev, "platform"), 200);
    fprintf(f, " |\n| driver | ");
    md_cell(f, str_of(dev, "driver"), 200);
    fprintf(f, " |\n| OpenCL | ");
    md_cell(f, str_of(dev, "opencl_version"), 200);
    const char *profile = str_of(root, "profile");
    fprintf(f, " |\n| profile | %s |\n| kernel family | %s |\n| precision | %s |\n",
            profile[0] ? profile : "(none)", str_of(root, "kernel_family"),
            str_of(root, "precision"));
    fprintf(f, "| seed | %s (`CLBB_SEED=%s` reproduces) |\n", str_of(root, "seed"),
            str_of(root, "seed"));
    fprintf(f, "| clbb | %s, %s |\n\n", str_of(root, "clbb_version"), str_of(root, "date"));

    /* per table, in order of first appearance */
    const int n = cJSON_GetArraySize(cases);
    table_sum *t = calloc(n ? (size_t)n : 1, sizeof *t);
    size_t nt = 0, pass = 0, fail = 0, skipped = 0;
    for (const cJSON *c = cases ? cases->child : NULL; c && t; c = c->next) {
        const char *name = str_of(c, "table"), *st = str_of(c, "status");
        size_t k = 0;
        while (k < nt && strcmp(t[k].name, name)) k++;
        if (k == nt) t[nt++] = (table_sum){.name = name};
        t[k].cases++;
        if (!strcmp(st, "pass")) t[k].pass++, pass++;
        else if (!strcmp(st, "skipped")) t[k].skipped++, skipped++;
        else t[k].fail++, fail++;
        const double rel = num_of(c, "rel_l2"), bound = num_of(c, "of_bound"),
                     ms = num_of(c, "median_ms");
        if (rel > t[k].worst_rel) t[k].worst_rel = rel;
        if (bound > t[k].worst_bound) t[k].worst_bound = bound;
        if (ms > 0) t[k].ms += ms;
    }
    fprintf(f, "**Result: %s** — %d cases: %zu passed, %zu failed, %zu skipped.\n\n",
            fail ? "FAIL" : "pass", n, pass, fail, skipped);
    fprintf(f, "| table | cases | passed | failed | skipped | worst rel_l2 | worst of bound | "
               "time (ms) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < nt; k++) {
        fprintf(f, "| %s | %zu | %zu | %zu | %zu | %.3e | %.3f | ", t[k].name, t[k].cases,
                t[k].pass, t[k].fail, t[k].skipped, t[k].worst_rel, t[k].worst_bound);
        md_num(f, t[k].ms > 0 ? t[k].ms : NAN, "%.3f");
        fputs(" |\n", f);
    }
    free(t);
    for (int pass_kind = 0; pass_kind < 2; pass_kind++) {
        const size_t count = pass_kind ? skipped : fail;
        if (!count) continue;
        fprintf(f, "\n## %s (%zu)\n\n| table | case | algorithm | reason |\n|---|---|---|---|\n",
                pass_kind ? "Skipped" : "Failures", count);
        for (const cJSON *c = cases ? cases->child : NULL; c; c = c->next) {
            const char *st = str_of(c, "status");
            const int is_skip = !strcmp(st, "skipped");
            if (!strcmp(st, "pass") || is_skip != pass_kind) continue;
            fprintf(f, "| %s | ", str_of(c, "table"));
            md_cell(f, str_of(c, "name"), 200);
            fputs(" | ", f);
            md_cell(f, str_of(c, "algorithm"), 200);
            fputs(" | ", f);
            md_cell(f, str_of(c, "reason"), 400);
            fputs(" |\n", f);
        }
    }
}

static clbb_status write_file(clbb_context *ctx, const char *path, const char *json,
                              const cJSON *root) {
    char err[1200];
    clbb__io_atomic_file af;
    clbb_status st = clbb__io_atomic_open(path, &af, err, sizeof err);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "check --report: %s", err);
    if (json) {
        fputs(json, af.f);
        fputc('\n', af.f);
    } else {
        write_markdown(af.f, root);
    }
    st = clbb__io_atomic_commit(&af, path, err, sizeof err);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "check --report: %s", err);
    return CLBB_OK;
}

clbb_status check_report_write(check_report *r, clbb_context *ctx) {
    if (r->oom)
        return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "check --report: out of host memory");
    char *md = check_report_md_path(r->json_path);
    char *json = cJSON_Print(r->root);
    clbb_status st = CLBB_OK;
    if (!md || !json) st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "check --report: out of host memory");
    if (st == CLBB_OK) st = write_file(ctx, r->json_path, json, NULL);
    /* both or neither */
    if (st == CLBB_OK && (st = write_file(ctx, md, NULL, r->root)) != CLBB_OK)
        remove(r->json_path);
    cJSON_free(json);
    free(md);
    return st;
}
