/* Backbones: MMDetection's documented shapes, state_dict key lists and
 * parameter counts, weights round trip and file errors, every block and
 * backbone of the check tables on the device against the C reference,
 * determinism, re-planning and refusal of inputs that cannot fit. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "models/model_internal.h"
#include "test_util.h"


static clbb_model *model_json(clbb_context *ctx, const char *json) {
    clbb_model *m = NULL;
    cr_assert_eq(clbb_model_create_from_json(ctx, json, strlen(json), &m), CLBB_OK, "%s: %s", json,
                 clbb_last_error(ctx));
    return m;
}

static void expect_outputs(clbb_model *m, clbb_shape in, const clbb_shape *want, int n) {
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    cr_assert_eq(clbb_model_plan(m, in), CLBB_OK);
    cr_assert_eq(clbb_model_num_outputs(m), n);
    for (int i = 0; i < n; i++) {
        clbb_shape s;
        cr_assert_eq(clbb_model_output_shape(m, i, &s), CLBB_OK);
        cr_assert(s.n == want[i].n && s.c == want[i].c && s.h == want[i].h && s.w == want[i].w,
                  "output %d is %dx%dx%dx%d, expected %dx%dx%dx%d", i, s.n, s.c, s.h, s.w,
                  want[i].n, want[i].c, want[i].h, want[i].w);
    }
}

Test(models, mmdet_documented_shapes, .timeout = 600) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":18}");
    clbb_shape r18[4] = {{1, 64, 8, 8}, {1, 128, 4, 4}, {1, 256, 2, 2}, {1, 512, 1, 1}};
    expect_outputs(m, (clbb_shape){1, 3, 32, 32}, r18, 4);
    clbb_shape odd[4] = {{1, 64, 9, 12}, {1, 128, 5, 6}, {1, 256, 3, 3}, {1, 512, 2, 2}};
    expect_outputs(m, (clbb_shape){1, 3, 33, 47}, odd, 4);
    clbb_model_destroy(m);
    const char *styles[] = {"{\"type\":\"ResNet\",\"depth\":50,\"base_channels\":8}",
                            "{\"type\":\"ResNet\",\"depth\":50,\"base_channels\":8,\"style\":\"caffe\"}"};
    for (int s = 0; s < 2; s++) {
        m = model_json(ctx, styles[s]);
        clbb_shape want[4] = {{2, 32, 9, 12}, {2, 64, 5, 6}, {2, 128, 3, 3}, {2, 256, 2, 2}};
        expect_outputs(m, (clbb_shape){2, 3, 33, 47}, want, 4);
        clbb_model_destroy(m);
    }
    m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":3,\"strides\":[1,2,2],"
                        "\"dilations\":[1,1,1],\"out_indices\":[2],\"style\":\"caffe\"}");
    clbb_shape c4[1] = {{1, 1024, 14, 14}};
    expect_outputs(m, (clbb_shape){1, 3, 224, 224}, c4, 1);
    clbb_model_destroy(m);
    m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":50,\"strides\":[1,2,2,1],"
                        "\"dilations\":[1,1,1,2],\"out_indices\":[3]}");
    clbb_shape dc5[1] = {{1, 2048, 14, 14}};
    expect_outputs(m, (clbb_shape){1, 3, 224, 224}, dc5, 1);
    clbb_model_destroy(m);
    m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":18,\"out_indices\":[3,0,0]}");
    clbb_shape order[2] = {{1, 64, 8, 8}, {1, 512, 1, 1}};
    expect_outputs(m, (clbb_shape){1, 3, 32, 32}, order, 2);
    clbb_model_destroy(m);
    m = model_json(ctx, "{\"type\":\"GhostNet\"}");
    clbb_shape gh[4] = {{1, 24, 56, 56}, {1, 40, 28, 28}, {1, 112, 14, 14}, {1, 960, 7, 7}};
    expect_outputs(m, (clbb_shape){1, 3, 224, 224}, gh, 4);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* Compares the model's keys (registration order) with a PyTorch key list. */
static void expect_keys(clbb_context *ctx, const char *json, const char *file) {
    char path[1024];
    const char *dir = getenv("CLBB_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data", file);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    clbb_model *m = model_json(ctx, json);
    const graph *g = clbb__model_graph(m);
    char line[256];
    int i = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        /* the backbone stops before GhostNet's head */
        if (!line[0] || !strncmp(line, "conv_head.", 10) || !strncmp(line, "classifier.", 11)) continue;
        cr_assert_lt(i, g->num_params, "%s: the model has fewer keys than %s", json, file);
        const graph_param *p = &g->params[i];
        char mine[256];
        int n = snprintf(mine, sizeof mine, "%s (", p->key);
        for (int d = 0; d < p->ndim; d++)
            n += snprintf(mine + n, sizeof mine - (size_t)n, "%s%lld", d ? ", " : "", (long long)p->shape[d]);
        snprintf(mine + n, sizeof mine - (size_t)n, "%s)", p->ndim == 1 ? "," : "");
        cr_assert_str_eq(mine, line, "%s key %d", file, i);
        i++;
    }
    fclose(f);
    cr_assert_eq(i, g->num_params, "%s: %d keys in the file, %d in the model", file, i, g->num_params);
    clbb_model_destroy(m);
}

Test(models, state_dict_keys_match_pytorch) {
    clbb_context *ctx = test_context();
    expect_keys(ctx, "{\"type\":\"ResNet\",\"depth\":18}", "keys_r18.txt");
    expect_keys(ctx, "{\"type\":\"ResNet\",\"depth\":50}", "keys_r50.txt");
    expect_keys(ctx, "{\"type\":\"ResNetV1d\",\"depth\":50}", "keys_v1d50.txt");
    expect_keys(ctx, "{\"type\":\"ResNetV1d\",\"depth\":18}", "keys_v1d18.txt");
    expect_keys(ctx, "{\"type\":\"GhostNet\",\"width\":1.0}", "keys_ghost.txt");
    /* mmcv DeformConv2dPack: conv2.weight, then conv2.conv_offset.{weight,bias}
     * (ModulatedDeformConv2dPack: 27 offset channels, no conv2.bias) */
    expect_keys(ctx, "{\"type\":\"ResNet\",\"depth\":50,\"dcn\":{\"type\":\"DCN\"},"
                     "\"stage_with_dcn\":[false,true,true,true]}",
                "keys_r50_dcn.txt");
    expect_keys(ctx, "{\"type\":\"ResNet\",\"depth\":50,\"dcn\":{\"type\":\"DCNv2\"},"
                     "\"stage_with_dcn\":[false,true,true,true]}",
                "keys_r50_dcnv2.txt");
    clbb_context_destroy(ctx);
}

Test(models, parameter_counts) {
    clbb_context *ctx = test_context();
    struct { const char *arch; int64_t params; } want[] = {
        {"resnet18", 11176512},      {"resnet34", 21284672},         {"resnet50", 23508032},
        {"resnet101", 42500160},     {"resnet152", 58143808},        {"resnet50v1d", 23527264},
        {"resnet18v1d", 11195744},   {"resnext50_32x4d", 22979904},  {"resnext101_32x4d", 42128704},
        {"resnext101_64x4d", 81406272}, {"resnext101_32x8d", 86742336},
        /* GhostNet totals of SPEC A §3.6 minus conv_head and classifier */
        {"ghostnet", 2671428},       {"ghostnet_050", 690612},       {"ghostnet_130", 4479100},
        /* + conv_offset (18 or 27 x C x 3 x 3 + bias) in layer2-4's 13 blocks:
         * 4 x 20754 + 6 x 41490 + 3 x 82962 = 580842 (x 1.5 for DCNv2);
         * ResNet-101: 23 blocks in layer3 */
        {"resnet50_dcn_c3c5", 24088874}, {"resnet50_dcnv2_c3c5", 24379295},
        {"resnet101_dcn_c3c5", 42500160 + 4 * 20754 + 23 * 41490 + 3 * 82962},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        clbb_model_config cfg;
        cr_assert_eq(clbb_model_config_preset(want[i].arch, &cfg), CLBB_OK, "%s", want[i].arch);
        clbb_model *m = NULL;
        cr_assert_eq(clbb_model_create(ctx, &cfg, &m), CLBB_OK, "%s", clbb_last_error(ctx));
        cr_expect_eq(clbb_model_num_params(m), want[i].params, "%s: %lld params, expected %lld",
                     want[i].arch, (long long)clbb_model_num_params(m), (long long)want[i].params);
        clbb_model_destroy(m);
    }
    clbb_context_destroy(ctx);
}

static void forward_read(clbb_model *m, clbb_shape in, const float *x, float **out, size_t *n) {
    cr_assert_eq(clbb_model_forward(m, in, x), CLBB_OK, "%s", clbb_last_error(NULL));
    clbb_shape s;
    cr_assert_eq(clbb_model_output_shape(m, 0, &s), CLBB_OK);
    *n = clbb_shape_numel(s);
    *out = malloc(*n * sizeof **out);
    cr_assert_eq(clbb_model_read_output(m, 0, *out, *n), CLBB_OK);
}

static float *random_input(clbb_shape s, uint64_t seed) {
    size_t n = clbb_shape_numel(s);
    float *x = malloc(n * sizeof *x);
    clbb__fill_uniform(x, n, &seed, -1, 1);
    return x;
}

Test(models, weights_round_trip_and_determinism, .init = test_dir_make, .fini = test_dir_remove) {
    clbb_context *ctx = test_context();
    const char *json = "{\"type\":\"ResNet\",\"depth\":50,\"base_channels\":16,\"out_indices\":[3]}";
    clbb_model *a = model_json(ctx, json), *b = model_json(ctx, json);
    cr_assert_eq(clbb__model_randomize(a, 3), CLBB_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/w.safetensors", test_dir);
    cr_assert_eq(clbb_model_save_weights(a, path), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_weights_report rep;
    cr_assert_eq(clbb_model_load_weights(b, path, &rep), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(rep.ignored, 0);
    cr_assert_eq(rep.prefix_stripped, 0);
    clbb_shape in = {2, 3, 40, 36};
    float *x = random_input(in, 9), *ya, *yb, *ya2;
    size_t na, nb, na2;
    forward_read(a, in, x, &ya, &na);
    forward_read(b, in, x, &yb, &nb);
    forward_read(a, in, x, &ya2, &na2);
    cr_assert_eq(na, nb);
    cr_assert_eq(memcmp(ya, yb, na * sizeof *ya), 0, "loaded weights give other outputs");
    cr_assert_eq(memcmp(ya, ya2, na * sizeof *ya), 0, "two forwards are not bit-identical");
    /* a different batch re-plans and agrees image by image */
    clbb_shape one = {1, 3, 40, 36};
    float *y1;
    size_t n1;
    forward_read(a, one, x, &y1, &n1);
    cr_assert_eq(n1 * 2, na);
    double err = clbb__rel_l2(y1, ya, n1, NULL);
    cr_assert_lt(err, 1e-6, "batch 1 vs batch 2 differ by %g", err);
    free(x); free(ya); free(yb); free(ya2); free(y1);
    clbb_model_destroy(a);
    clbb_model_destroy(b);
    clbb_context_destroy(ctx);
}

/* Writes the model's weights with edits: skip one key, rename with a
 * prefix, change a shape, add extra keys. */
static void write_edited(clbb_model *m, const char *path, const char *skip, const char *prefix,
                         const char *reshape, int extra, const char *nan_key) {
    const graph *g = clbb__model_graph(m);
    clbb_st_write_entry *e = calloc((size_t)g->num_params + 2, sizeof *e);
    char (*names)[160] = calloc((size_t)g->num_params + 2, sizeof *names);
    float *nanbuf = NULL;
    static float extra_data[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    size_t n = 0;
    for (int i = 0; i < g->num_params; i++) {
        const graph_param *p = &g->params[i];
        if (p->role == ROLE_NORM_COUNT || (skip && !strcmp(p->key, skip))) continue;
        snprintf(names[n], 160, "%s%s", prefix ? prefix : "", p->key);
        e[n].name = names[n];
        e[n].ndim = p->ndim;
        memcpy(e[n].shape, p->shape, sizeof p->shape);
        e[n].data = p->data;
        if (reshape && !strcmp(p->key, reshape)) {
            e[n].ndim = 2;
            e[n].shape[0] = p->shape[0];
            e[n].shape[1] = (int64_t)p->numel / p->shape[0];
        }
        if (nan_key && !strcmp(p->key, nan_key)) {
            nanbuf = malloc(p->numel * sizeof *nanbuf);
            memcpy(nanbuf, p->data, p->numel * sizeof *nanbuf);
            nanbuf[p->numel / 2] = NAN;
            e[n].data = nanbuf;
        }
        n++;
    }
    for (int k = 0; k < extra; k++) {
        snprintf(names[n], 160, k ? "neck.lateral.%d.weight" : "fc.weight", k);
        e[n].name = names[n];
        e[n].ndim = 1;
        e[n].shape[0] = 10;
        e[n].data = extra_data;
        n++;
    }
    char msg[256];
    cr_assert_eq(clbb_safetensors_write(path, e, n, msg, sizeof msg), CLBB_OK, "%s", msg);
    free(e);
    free(names);
    free(nanbuf);
}

Test(models, weights_file_errors_name_the_key, .init = test_dir_make, .fini = test_dir_remove) {
    clbb_context *ctx = test_context();
    const char *json = "{\"type\":\"ResNet\",\"depth\":18,\"base_channels\":8}";
    clbb_model *src = model_json(ctx, json), *dst = model_json(ctx, json);
    cr_assert_eq(clbb__model_randomize(src, 5), CLBB_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/w.safetensors", test_dir);
    clbb_weights_report rep;

    write_edited(src, path, NULL, "backbone.", NULL, 2, NULL);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(rep.prefix_stripped, 1);
    cr_assert_eq(rep.ignored, 2);

    write_edited(src, path, "layer2.0.bn1.running_var", NULL, NULL, 0, NULL);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
    cr_assert(strstr(clbb_last_error(ctx), "layer2.0.bn1.running_var"), "%s", clbb_last_error(ctx));

    write_edited(src, path, NULL, NULL, "layer3.1.conv2.weight", 0, NULL);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
    cr_assert(strstr(clbb_last_error(ctx), "layer3.1.conv2.weight"), "%s", clbb_last_error(ctx));
    cr_assert(strstr(clbb_last_error(ctx), "shape"), "%s", clbb_last_error(ctx));

    write_edited(src, path, NULL, NULL, NULL, 0, "layer1.1.conv1.weight");
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
    cr_assert(strstr(clbb_last_error(ctx), "not finite"), "%s", clbb_last_error(ctx));

    /* a negative variance is refused at load, naming the tensor */
    graph_param *var = NULL;
    for (int i = 0; i < src->g.num_params; i++)
        if (!strcmp(src->g.params[i].key, "layer1.0.bn2.running_var")) var = &src->g.params[i];
    cr_assert_not_null(var);
    var->data[3] = -0.5f;
    write_edited(src, path, NULL, NULL, NULL, 0, NULL);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
    cr_assert(strstr(clbb_last_error(ctx), "layer1.0.bn2.running_var") &&
                  strstr(clbb_last_error(ctx), "negative"),
              "%s", clbb_last_error(ctx));
    var->data[3] = 1.0f;

    snprintf(path, sizeof path, "%s/missing.safetensors", test_dir);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_IO);
    cr_assert(strstr(clbb_last_error(ctx), "missing.safetensors"), "%s", clbb_last_error(ctx));
    clbb_model_destroy(src);
    clbb_model_destroy(dst);
    clbb_context_destroy(ctx);
}

Test(models, init_weights_follows_mmdet) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":50}");
    cr_assert_eq(clbb_model_init_weights(m, 11), CLBB_OK);
    const graph *g = clbb__model_graph(m);
    int zero = 0;
    for (int i = 0; i < g->num_params; i++) {
        const graph_param *p = &g->params[i];
        if (strstr(p->key, ".bn3.weight")) {
            zero++;
            for (size_t k = 0; k < p->numel; k++) cr_assert_eq(p->data[k], 0.0f, "%s", p->key);
        }
        if (!strcmp(p->key, "layer1.0.conv2.weight")) {
            double s = 0;
            for (size_t k = 0; k < p->numel; k++) s += (double)p->data[k] * p->data[k];
            double std = sqrt(s / p->numel), want = sqrt(2.0 / (64 * 9));
            cr_assert(fabs(std - want) < 0.05 * want, "Kaiming fan_out std %g, expected %g", std, want);
        }
        if (!strcmp(p->key, "bn1.running_var"))
            for (size_t k = 0; k < p->numel; k++) cr_assert_eq(p->data[k], 1.0f);
    }
    cr_assert_eq(zero, 16);
    clbb_model_destroy(m);
    /* ResNeXt's quirk: zero_init_residual does not reach its blocks */
    m = model_json(ctx, "{\"type\":\"ResNeXt\",\"depth\":50,\"groups\":32,\"base_width\":4}");
    cr_assert_eq(clbb_model_init_weights(m, 11), CLBB_OK);
    g = clbb__model_graph(m);
    for (int i = 0; i < g->num_params; i++)
        if (strstr(g->params[i].key, ".bn3.weight")) cr_assert_eq(g->params[i].data[0], 1.0f);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

Test(models, refuses_what_cannot_fit) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":18}");
    clbb_model_init_weights(m, 1);
    clbb_shape big = {4, 3, 4096, 4096}; /* a 4 GiB stem output: over max alloc */
    cr_assert_eq(clbb_model_plan(m, big), CLBB_ERR_DEVICE_MEMORY);
    cr_assert(strstr(clbb_last_error(ctx), "MiB"), "%s", clbb_last_error(ctx));
    clbb_shape tiny = {1, 3, 1, 1};
    cr_assert_eq(clbb_model_plan(m, tiny), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_shape chans = {1, 4, 32, 32};
    cr_assert_eq(clbb_model_plan(m, chans), CLBB_ERR_SHAPE);
    cr_assert(strstr(clbb_last_error(ctx), "channels"), "%s", clbb_last_error(ctx));
    float x[12] = {0};
    clbb_model *fresh = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":18}");
    cr_assert_eq(clbb_model_forward(fresh, tiny, x), CLBB_ERR_INVALID_STATE, "forward before weights");
    clbb_model_destroy(fresh);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

Test(models, resnet50_detection_input_memory, .timeout = 900) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":50}");
    clbb_model_init_weights(m, 1);
    cr_assert_eq(clbb_model_plan(m, (clbb_shape){1, 3, 800, 1344}), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_model_memory mem;
    cr_assert_eq(clbb_model_memory_usage(m, &mem), CLBB_OK);
    cr_log_info("ResNet-50 1x3x800x1344: weights %.1f MiB, activations %.1f MiB (%.1f without reuse), "
                "workspace %.1f MiB", mem.weights_bytes / 1048576.0, mem.activations_bytes / 1048576.0,
                mem.naive_activation_bytes / 1048576.0, mem.workspace_bytes / 1048576.0);
    cr_assert_lt(mem.activations_bytes, mem.naive_activation_bytes / 3);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

static void run_cases(const check_model_case *cases, size_t n, size_t from, size_t to,
                      clbb_precision precision, int quick_only) {
    clbb_context *ctx = test_context();
    uint64_t seed = check_seed();
    for (size_t i = from; i < n && i < to; i++) {
        if (quick_only && !cases[i].quick) continue;
        check_model_result r;
        clbb_status st = check_model_case_run(ctx, &cases[i], precision, seed + i, &r);
        cr_expect_eq(st, CLBB_OK, "%s %s: %s (CLBB_SEED=%llu)", cases[i].name,
                     clbb_precision_name(precision), r.message, (unsigned long long)seed);
        cr_expect(st != CLBB_OK || r.pass, "%s %s: %s (CLBB_SEED=%llu)", cases[i].name,
                  clbb_precision_name(precision), r.message, (unsigned long long)seed);
        cr_log_info("%s %s: worst rel_l2 %.3e (%.3f of the element bound) over %d outputs",
                    cases[i].name, clbb_precision_name(precision), r.worst_rel_l2, r.worst_ratio,
                    r.num_outputs);
    }
    clbb_context_destroy(ctx);
}

Test(models, blocks_vs_reference, .timeout = 1200) {
    const check_model_case *c;
    size_t n = check_block_cases(&c);
    run_cases(c, n, 0, n, CLBB_PRECISION_FP32, 0);
}

Test(models, backbones_vs_reference_a, .timeout = 1500) {
    const check_model_case *c;
    size_t n = check_backbone_cases(&c);
    run_cases(c, n, 0, n / 2, CLBB_PRECISION_FP32, 0);
}

Test(models, backbones_vs_reference_b, .timeout = 1500) {
    const check_model_case *c;
    size_t n = check_backbone_cases(&c);
    run_cases(c, n, n / 2, n, CLBB_PRECISION_FP32, 0);
}

/* fp16 storage end to end: the quick blocks and backbones */
Test(models, blocks_vs_reference_f16, .timeout = 1200) {
    const check_model_case *c;
    size_t n = check_block_cases(&c);
    run_cases(c, n, 0, n, CLBB_PRECISION_FP16, 1);
}

Test(models, backbones_vs_reference_f16, .timeout = 1500) {
    const check_model_case *c;
    size_t n = check_backbone_cases(&c);
    run_cases(c, n, 0, n, CLBB_PRECISION_FP16, 1);
}

/* Graph views: nodes reading a transpose, a reshape and a permuted channel
 * slice of a stage output, made dense by copy nodes, on the device and in
 * the reference (what the attention plugins read). */
Test(models, graph_views_reshape_and_transpose, .timeout = 600) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,"
                                    "\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],"
                                    "\"base_channels\":8}");
    cr_assert_eq(clbb__model_randomize(m, 4), CLBB_OK);
    graph *g = &m->g;
    const int out = g->outputs[0]; /* 1 x 8 x 8 x 12 for a 32 x 48 input */
    struct {
        const char *name;
        int channels, c0, c;
        tref_view view;
        clbb_shape shape;
        int perm[4];
    } views[] = {
        {"transpose", 12, 0, 0, TREF_PERMUTE, {0, 0, 0, 0}, {0, 3, 2, 1}},
        {"flatten", 8, 0, 0, TREF_RESHAPE, {0, 8, 1, 96}, {0, 1, 2, 3}},
        {"slice_to_nhwc", 8, 2, 4, TREF_PERMUTE, {0, 0, 0, 0}, {0, 2, 3, 1}},
    };
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(views); i++) {
        int v = graph_value_add(g, views[i].channels);
        cr_assert_geq(v, 0);
        graph_node n;
        graph_node_init(&n, NODE_COPY, views[i].name);
        n.in[NODE_IN] = tref_slice(out, views[i].c0, views[i].c);
        n.in[NODE_IN].view = views[i].view;
        n.in[NODE_IN].shape = views[i].shape;
        memcpy(n.in[NODE_IN].perm, views[i].perm, sizeof n.in[NODE_IN].perm);
        n.out = tref_all(v);
        cr_assert_geq(graph_node_add(g, &n), 0);
        g->outputs[g->num_outputs++] = v;
    }
    const clbb_shape in = {1, 3, 32, 48};
    float x[3 * 32 * 48];
    uint64_t st = 8;
    clbb__fill_uniform(x, CLBB_ARRAY_SIZE(x), &st, -1, 1);
    cr_assert_eq(clbb_model_forward(m, in, x), CLBB_OK, "%s", clbb_last_error(ctx));
    float *refs[4] = {0};
    clbb_shape shapes[4];
    cr_assert_eq(clbb_model_forward_reference(m, in, x, refs, shapes), CLBB_OK);
    const clbb_shape want[4] = {{1, 8, 8, 12}, {1, 12, 8, 8}, {1, 8, 1, 96}, {1, 8, 12, 4}};
    float *dev[4];
    for (int i = 0; i < 4; i++) {
        clbb_shape s;
        cr_assert_eq(clbb_model_output_shape(m, i, &s), CLBB_OK);
        cr_assert(clbb__shape_eq(s, want[i]) && clbb__shape_eq(shapes[i], want[i]),
                  "output %d is %dx%dx%dx%d", i, s.n, s.c, s.h, s.w);
        size_t n = clbb_shape_numel(s);
        dev[i] = malloc(n * sizeof(float));
        cr_assert_eq(clbb_model_read_output(m, i, dev[i], n), CLBB_OK);
        double e = clbb__rel_l2(dev[i], refs[i], n, NULL);
        cr_expect_leq(e, 1e-4, "output %d vs reference: %.3g", i, e);
    }
    /* the views of the device's own output are exact copies of it */
    float *t = malloc(8 * 8 * 12 * sizeof(float));
    const int perm[4] = {0, 3, 2, 1};
    clbb_ref_permute(want[0], dev[0], perm, t);
    cr_expect_arr_eq(dev[1], t, 8 * 8 * 12 * sizeof(float));
    cr_expect_arr_eq(dev[2], dev[0], 8 * 8 * 12 * sizeof(float));
    for (int c = 0; c < 4; c++)
        for (int h = 0; h < 8; h++)
            for (int w = 0; w < 12; w++)
                cr_assert_eq(dev[3][(h * 12 + w) * 4 + c], dev[0][((2 + c) * 8 + h) * 12 + w]);
    free(t);
    for (int i = 0; i < 4; i++) {
        free(dev[i]);
        free(refs[i]);
    }
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}
