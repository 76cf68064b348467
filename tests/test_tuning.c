/* The tuning table: rows searched this device and driver -> this device
 * (any driver) -> this vendor -> defaults, a driver change falling back
 * instead of refusing the file, unusable entries falling back to the
 * automatic choice, malformed files refused; and clbb_model_tune writing
 * a table that a later context plans with. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "models/model_internal.h"
#include "test_util.h"

static const char *TINY = "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[1],"
                          "\"dilations\":[1],\"out_indices\":[0],\"base_channels\":32}";
static const clbb_shape IN = {1, 3, 32, 32};
static const char *LAYER = "layer1.0.conv1"; /* 3x3, 32 -> 32: every algorithm applies */


static clbb_context *profiling_context(void) {
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.profiling = 1;
    o.cache_dir = NULL;
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    return ctx;
}

/* Options of a context that tunes: profiling on, no cache directory (the
 * tests name their files). */
static clbb_context_options tune_context_options(void) {
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.profiling = 1;
    o.cache_dir = "";
    return o;
}

static clbb_model *tiny(clbb_context *ctx) {
    clbb_model *m = NULL;
    cr_assert_eq(clbb_model_create_from_json(ctx, TINY, strlen(TINY), &m), CLBB_OK);
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    return m;
}

/* The key of LAYER, as the planner computes it. */
static void layer_key(clbb_model *m, char *key, size_t size) {
    cr_assert_eq(clbb_model_plan(m, IN), CLBB_OK);
    const graph *g = clbb__model_graph(m);
    for (int i = 0; i < g->num_nodes; i++)
        if (!strcmp(g->nodes[i].name, LAYER)) {
            clbb__conv_key(m, i, key, size);
            return;
        }
    cr_assert_fail("no layer %s", LAYER);
}

/* The algorithm LAYER runs with after planning. */
static void layer_algorithm(clbb_model *m, char *out, size_t size) {
    static float x[3 * 32 * 32];
    cr_assert_eq(clbb_model_forward(m, IN, x), CLBB_OK, "%s", clbb_last_error(m->ctx));
    clbb_layer_profile prof[64];
    size_t n = 0;
    cr_assert_eq(clbb_model_profile(m, prof, 64, &n, NULL), CLBB_OK);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(prof[i].name, LAYER)) {
            clbb__strlcpy(out, prof[i].algorithm, size);
            return;
        }
    cr_assert_fail("no profile of %s", LAYER);
}

typedef struct row {
    const char *vendor, *device, *driver, *algo, *family, *tuning;
} row;

static void write_file(const char *path, const char *key, const row *rows, size_t n) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"format\": \"clbb-tuning\", \"version\": 2, \"rows\": [");
    for (size_t i = 0; i < n; i++)
        fprintf(f,
                "%s{\"vendor\": \"%s\", \"device\": \"%s\", \"driver\": \"%s\", \"entries\": "
                "[{\"key\": \"%s\", \"algo\": \"%s\", \"family\": \"%s\", \"tuning\": \"%s\", "
                "\"ms\": 1}]}",
                i ? ", " : "", rows[i].vendor, rows[i].device, rows[i].driver, key, rows[i].algo,
                rows[i].family, rows[i].tuning);
    fprintf(f, "]}\n");
    fclose(f);
}

static void expect_choice(clbb_context *ctx, const char *path, const char *prefix) {
    cr_assert_eq(clbb_context_load_tuning(ctx, path), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_model *m = tiny(ctx);
    char algo[96];
    layer_algorithm(m, algo, sizeof algo);
    cr_expect(strstr(algo, prefix), "%s runs %s, expected %s", LAYER, algo, prefix);
    clbb_model_destroy(m);
}

Test(tuning, rows_fall_back_device_vendor_default, .init = test_dir_make, .fini = test_dir_remove,
     .timeout = 600) {
    clbb_context *ctx = profiling_context();
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    const char *vendor = clbb__vendor_name(clbb__context_vendor(ctx));
    char key[192], path[128];
    clbb_model *m = tiny(ctx);
    layer_key(m, key, sizeof key);
    clbb_model_destroy(m);
    snprintf(path, sizeof path, "%s/t.json", test_dir);
    /* AUTO's own choice, to tell the rows apart from it */
    row rows[5] = {
        {"", "", "", "clblast", "gpu", ""},                         /* defaults */
        {"", "Another Device", "", "winograd", "gpu", ""},          /* another device */
        {vendor, info.device_name, "another driver", "winograd", "gpu", ""}, /* stale */
    };
    write_file(path, key, rows, 3);
    expect_choice(ctx, path, "clblast"); /* the stale and foreign rows are ignored */
    rows[3] = (row){vendor, "", "", "winograd", "gpu", ""};
    write_file(path, key, rows, 4);
    expect_choice(ctx, path, "winograd"); /* the vendor row beats the defaults */
    rows[4] = (row){vendor, info.device_name, info.driver_version, "direct", "gpu", ""};
    write_file(path, key, rows, 5);
    expect_choice(ctx, path, "direct"); /* this device and driver beats all */
    /* an entry this build cannot use (an unknown algorithm, a tuning text
     * of another kernel) means the automatic choice, not a failure */
    rows[4] = (row){vendor, info.device_name, info.driver_version, "igemm", "gpu", "FOO=1"};
    write_file(path, key, rows + 4, 1);
    clbb_model *auto_m = tiny(ctx);
    char auto_algo[96], algo[96];
    cr_assert_eq(clbb_context_load_tuning(ctx, NULL), CLBB_OK);
    layer_algorithm(auto_m, auto_algo, sizeof auto_algo);
    clbb_model_destroy(auto_m);
    cr_assert_eq(clbb_context_load_tuning(ctx, path), CLBB_OK);
    m = tiny(ctx);
    layer_algorithm(m, algo, sizeof algo);
    cr_expect_str_eq(algo, auto_algo);
    cr_expect_str_eq(clbb_last_error(ctx), "");
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* A tiny model that asks its convs for tensor-core TF32 products, as on a
 * device that has them (set behind the fallback rule: PoCL has none). */
static clbb_model *tiny_tf32(clbb_context *ctx) {
    clbb_model *m = tiny(ctx);
    cr_assert_eq(clbb_model_set_precision(m, CLBB_PRECISION_TF32), CLBB_OK);
    m->prec.math = CLBB_MATH_TF32;
    return m;
}

/* The math is part of the key: an entry tuned for tf32 kernels is not used
 * at fp32 and the other way round; an old table (keys without a math) is
 * fp32's. */
Test(tuning, precision_is_part_of_the_key, .init = test_dir_make, .fini = test_dir_remove,
     .timeout = 600) {
    clbb_context *ctx = profiling_context();
    char k32[192], ktf[192], path[128], auto_algo[96];
    clbb_model *m = tiny(ctx);
    layer_key(m, k32, sizeof k32);
    layer_algorithm(m, auto_algo, sizeof auto_algo);
    clbb_model_destroy(m);
    cr_assert(!strstr(k32, "math"), "an fp32 key keeps the old form: %s", k32);
    /* tf32 requested on a device without tensor cores runs fp32: fp32's key */
    m = tiny(ctx);
    cr_assert_eq(clbb_model_set_precision(m, CLBB_PRECISION_TF32), CLBB_OK);
    char kfb[192];
    layer_key(m, kfb, sizeof kfb);
    clbb_model_destroy(m);
    cr_expect_str_eq(kfb, k32);
    m = tiny_tf32(ctx);
    layer_key(m, ktf, sizeof ktf);
    clbb_model_destroy(m);
    cr_assert(strcmp(ktf, k32), "tf32 and fp32 share the key %s", k32);
    cr_expect(strstr(ktf, "| math tf32"), "%s", ktf);
    cr_assert(!strstr(auto_algo, "direct"), "AUTO picks %s here", auto_algo);
    snprintf(path, sizeof path, "%s/t.json", test_dir);
    const row direct = {"", "", "", "direct", "gpu", ""};
    char algo[96];
    /* an fp32 entry: fp32 uses it, tf32 does not */
    write_file(path, k32, &direct, 1);
    expect_choice(ctx, path, "direct");
    m = tiny_tf32(ctx);
    layer_algorithm(m, algo, sizeof algo);
    cr_expect_str_eq(algo, auto_algo, "a tf32 model used an fp32 entry");
    clbb_model_destroy(m);
    /* a tf32 entry: tf32 uses it, fp32 does not */
    write_file(path, ktf, &direct, 1);
    cr_assert_eq(clbb_context_load_tuning(ctx, path), CLBB_OK, "%s", clbb_last_error(ctx));
    m = tiny_tf32(ctx);
    layer_algorithm(m, algo, sizeof algo);
    cr_expect(strstr(algo, "direct"), "a tf32 model ignored its entry: %s", algo);
    clbb_model_destroy(m);
    m = tiny(ctx);
    layer_algorithm(m, algo, sizeof algo);
    cr_expect_str_eq(algo, auto_algo, "an fp32 model used a tf32 entry");
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

Test(tuning, malformed_files_are_refused, .init = test_dir_make, .fini = test_dir_remove) {
    clbb_context *ctx = test_context();
    char path[128];
    snprintf(path, sizeof path, "%s/bad.json", test_dir);
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"{", "expected"},
        {"{\"device\": \"x\", \"driver\": \"y\", \"entries\": []}", "run clbb tune again"},
        {"{\"format\": \"clbb-tuning\", \"version\": 3, \"rows\": []}", "version 3"},
        {"{\"format\": \"clbb-tuning\", \"version\": 2, \"rows\": [1]}", "rows[0]"},
        {"{\"format\": \"clbb-tuning\", \"version\": 2, \"rows\": [{\"entries\": [{\"key\": 1}]}]}",
         "rows[0].entries[0]"},
    };
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(bad); i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        cr_expect_eq(clbb_context_load_tuning(ctx, path), CLBB_ERR_FORMAT, "%s", bad[i].text);
        cr_expect(strstr(clbb_last_error(ctx), bad[i].needle), "'%s': %s", bad[i].text,
                  clbb_last_error(ctx));
        clbb_context_stats st;
        clbb_context_get_stats(ctx, &st);
        cr_expect_eq(st.tuning_entries, 0, "a refused file leaves the table empty");
    }
    cr_expect_eq(clbb_context_load_tuning(ctx, "/nonexistent/t.json"), CLBB_ERR_IO);
    clbb_context_destroy(ctx);
}

/* Progress reports of the tune: candidates counted up to their total. */
typedef struct tune_seen {
    uint64_t calls, last_done, total;
    int other_kind, backwards;
} tune_seen;

static void on_progress(void *user, clbb_progress_kind kind, uint64_t done, uint64_t total,
                        const char *what) {
    tune_seen *s = user;
    if (kind == CLBB_PROGRESS_BUILD) return;
    s->other_kind |= kind != CLBB_PROGRESS_TUNE || !what[0];
    s->backwards |= done < s->last_done || (s->calls && total != s->total);
    s->calls++;
    s->last_done = done;
    s->total = total;
}

/* The tuner writes a table; a new context loading it plans every layer
 * with an entry, and the result still matches the reference. */
Test(tuning, tune_writes_a_table_later_contexts_use, .init = test_dir_make, .fini = test_dir_remove,
     .timeout = 900) {
    const clbb_context_options o = tune_context_options();
    clbb_context *ctx;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    clbb_model *m = tiny(ctx);
    char path[128];
    snprintf(path, sizeof path, "%s/tuned.json", test_dir);
    tune_seen seen = {0};
    cr_assert_eq(clbb_context_set_progress(ctx, on_progress, &seen), CLBB_OK);
    cr_assert_eq(clbb_model_tune(m, IN, 1, path, NULL), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect_gt(seen.total, 0);
    cr_expect_eq(seen.calls, seen.total, "a report per candidate");
    cr_expect_eq(seen.last_done, seen.total, "the last report ends the work");
    cr_expect(!seen.other_kind && !seen.backwards);
    clbb_context_set_progress(ctx, NULL, NULL);
    clbb_context_stats st;
    clbb_context_get_stats(ctx, &st);
    const uint64_t entries = st.tuning_entries;
    cr_expect_geq(entries, 3, "every distinct conv layer gets an entry");
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);

    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    cr_assert_eq(clbb_context_load_tuning(ctx, path), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_context_get_stats(ctx, &st);
    cr_expect_eq(st.tuning_entries, entries);
    m = tiny(ctx);
    cr_assert_eq(clbb_model_plan(m, IN), CLBB_OK);
    const graph *g = clbb__model_graph(m);
    for (int i = 0; i < g->num_nodes; i++) {
        if (g->nodes[i].kind != NODE_CONV) continue;
        char key[192];
        clbb__conv_key(m, i, key, sizeof key);
        clbb_tuning_choice c;
        cr_expect(clbb__tuning_find(ctx, key, &c), "layer %s has no entry", g->nodes[i].name);
    }
    check_model_case mc = {"tiny", TINY, IN, 1};
    check_model_result r;
    clbb_model_destroy(m);
    cr_assert_eq(check_model_case_run(ctx, &mc, CLBB_PRECISION_FP32, 3, &r), CLBB_OK, "%s",
                 r.message);
    cr_expect(r.pass, "%s", r.message);
    clbb_context_destroy(ctx);
}

/* clbb_model_tune_with: the result adds up, a budget too small for one
 * layer stops before it and still writes a file that loads, bad options
 * are refused. */
Test(tuning, tune_with_budget_and_result, .init = test_dir_make, .fini = test_dir_remove,
     .timeout = 900) {
    const clbb_context_options o = tune_context_options();
    clbb_context *ctx;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    clbb_model *m = tiny(ctx);
    char path[128];
    snprintf(path, sizeof path, "%s/tuned.json", test_dir);
    clbb_tune_options to;
    clbb_tune_options_init(&to);
    cr_expect_eq(to.iters, 10);
    to.iters = 1;
    to.path = path;
    clbb_tune_result r;
    cr_assert_eq(clbb_model_tune_with(m, IN, &to, &r), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect(r.layers >= 3 && r.layers_tuned == r.layers && !r.budget_reached);
    cr_expect(r.layers_changed >= 0 && r.layers_changed <= r.layers_tuned);
    cr_expect(r.candidates_tried == r.candidates_total && r.candidates_total >= r.layers);
    cr_expect(r.default_ms > 0 && r.tuned_ms > 0 && r.tuned_ms <= r.default_ms + 1e-12);
    to.budget_s = 1e-3; /* the planning alone takes longer */
    cr_assert_eq(clbb_model_tune_with(m, IN, &to, &r), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect(r.budget_reached && r.layers_tuned == 0 && r.candidates_tried == 0);
    cr_expect_eq(clbb_context_load_tuning(ctx, path), CLBB_OK, "%s", clbb_last_error(ctx));
    to.budget_s = -1;
    cr_expect_eq(clbb_model_tune_with(m, IN, &to, &r), CLBB_ERR_INVALID_ARGUMENT);
    to.budget_s = 0;
    to.iters = 0;
    cr_expect_eq(clbb_model_tune_with(m, IN, &to, NULL), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_tune_with(NULL, IN, NULL, &r), CLBB_ERR_INVALID_ARGUMENT);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* Deformable conv layers are tuned too: a DCNv2 Bottleneck stage (its
 * conv2 a deform_conv2d) gets entries under "deform ..." keys that a later
 * context plans with, the model still matching the C reference; and a
 * hand-written entry steers the layer's tile. */
static const char *TINY_DCN =
    "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],"
    "\"out_indices\":[0],\"base_channels\":16,\"dcn\":{\"type\":\"DCNv2\",\"deform_groups\":1,"
    "\"fallback_on_stride\":false},\"stage_with_dcn\":[true]}";
static const clbb_shape IN_DCN = {1, 3, 24, 24};

static int deform_node(clbb_model *m) {
    cr_assert_eq(clbb_model_plan(m, IN_DCN), CLBB_OK, "%s", clbb_last_error(m->ctx));
    const graph *g = clbb__model_graph(m);
    for (int i = 0; i < g->num_nodes; i++)
        if (g->nodes[i].kind == NODE_DEFORM_CONV) return i;
    cr_assert_fail("no deformable conv node");
    return -1;
}

static clbb_model *tiny_dcn(clbb_context *ctx) {
    clbb_model *m = NULL;
    cr_assert_eq(clbb_model_create_from_json(ctx, TINY_DCN, strlen(TINY_DCN), &m), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    return m;
}

Test(tuning, tune_covers_deformable_convs, .init = test_dir_make, .fini = test_dir_remove,
     .timeout = 900) {
    const clbb_context_options o = tune_context_options();
    clbb_context *ctx;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    clbb_model *m = tiny_dcn(ctx);
    char path[128], key[192];
    snprintf(path, sizeof path, "%s/tuned.json", test_dir);
    clbb_tune_options to;
    clbb_tune_options_init(&to);
    to.iters = 1;
    to.path = path;
    clbb_tune_result r;
    cr_assert_eq(clbb_model_tune_with(m, IN_DCN, &to, &r), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect(r.layers_tuned == r.layers && r.candidates_tried == r.candidates_total);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);

    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    cr_assert_eq(clbb_context_load_tuning(ctx, path), CLBB_OK, "%s", clbb_last_error(ctx));
    m = tiny_dcn(ctx);
    const int d = deform_node(m);
    clbb__conv_key(m, d, key, sizeof key);
    cr_expect(!strncmp(key, "deform dg1 m1 ", 14), "key %s", key);
    clbb_tuning_choice c;
    cr_expect(clbb__tuning_find(ctx, key, &c), "no entry for %s", key);
    clbb_model_destroy(m);
    check_model_case mc = {"tiny_dcn", TINY_DCN, IN_DCN, 1};
    check_model_result res;
    cr_assert_eq(check_model_case_run(ctx, &mc, CLBB_PRECISION_FP32, 3, &res), CLBB_OK, "%s",
                 res.message);
    cr_expect(res.pass, "%s", res.message);
    clbb_context_destroy(ctx);

    /* an entry of our own: CK=4 (CPU: channels sampled 4 at a time) or a
     * 32-row tile (GPU) shows in the layer's kernel name */
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    const int cpu = clbb__default_family(ctx) == CLBB_KERNEL_FAMILY_CPU;
    m = tiny_dcn(ctx);
    clbb__conv_key(m, deform_node(m), key, sizeof key);
    clbb_model_destroy(m);
    const row own = {"", "", "", "auto", cpu ? "cpu" : "gpu", cpu ? "CK=4" : "TM=32,WM=4"};
    write_file(path, key, &own, 1);
    cr_assert_eq(clbb_context_load_tuning(ctx, path), CLBB_OK, "%s", clbb_last_error(ctx));
    m = tiny_dcn(ctx);
    static float x[3 * 24 * 24];
    cr_assert_eq(clbb_model_forward(m, IN_DCN, x), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_layer_profile prof[64];
    size_t n = 0;
    cr_assert_eq(clbb_model_profile(m, prof, 64, &n, NULL), CLBB_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(prof[i].name, "layer1.0.conv2")) {
            found = 1;
            cr_expect(strstr(prof[i].algorithm, cpu ? "_c4_" : "t32x"), "layer1.0.conv2 runs %s",
                      prof[i].algorithm);
        }
    cr_expect(found, "no profile of layer1.0.conv2");
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}
