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
#include "models/plugins.h"
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

/* What a new user gets wrong: every missing key is listed (with the keys no
 * parameter took, as load_state_dict reports them), a long list is cut with
 * a count, a model-zoo URL and a torch.save file point to the converter. */
Test(models, weights_errors_list_keys_and_point_to_converter, .init = test_dir_make,
     .fini = test_dir_remove) {
    clbb_context *ctx = test_context();
    const char *json = "{\"type\":\"ResNet\",\"depth\":18,\"base_channels\":8}";
    clbb_model *src = model_json(ctx, json), *dst = model_json(ctx, json);
    cr_assert_eq(clbb__model_randomize(src, 5), CLBB_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/w.safetensors", test_dir);
    clbb_weights_report rep;
    const char *e;

    /* two keys missing, two extra: all four named */
    write_edited(src, path, "layer2.0.bn1.running_var", NULL, NULL, 2, NULL);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
    e = clbb_last_error(ctx);
    cr_assert(strstr(e, "1 missing key(s)") && strstr(e, "'layer2.0.bn1.running_var'") &&
                  strstr(e, "2 unexpected key(s)") && strstr(e, "'fc.weight'") &&
                  strstr(e, "'neck.lateral.1.weight'"), "%s", e);

    /* every key under another prefix: a truncated list and the count of the rest */
    write_edited(src, path, NULL, "model.", NULL, 0, NULL);
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
    e = clbb_last_error(ctx);
    cr_assert(strstr(e, "missing key(s)") && strstr(e, "'conv1.weight'") &&
                  strstr(e, "more") && strstr(e, "'model.conv1.weight'"), "%s", e);
    cr_assert_lt(strlen(e), 3200, "%zu", strlen(e));

    /* model-zoo URLs: refused before any file access, naming the converter */
    const char *urls[] = {"torchvision://resnet18", "open-mmlab://detectron2/resnet50_caffe"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(clbb_model_load_weights(dst, urls[i], &rep), CLBB_ERR_IO);
        e = clbb_last_error(ctx);
        cr_assert(strstr(e, urls[i]) && strstr(e, "tools/convert_checkpoint.py"), "%s", e);
    }

    /* torch.save's zip and legacy pickle formats */
    static const unsigned char zip[] = "PK\x03\x04\x14\x00\x00\x00\x08\x00archive/data.pkl";
    static const unsigned char pickle[] = "\x80\x02}q\x00(X\x01\x00\x00\x00" "aq\x01.";
    const unsigned char *magic[] = {zip, pickle};
    size_t sizes[] = {sizeof zip - 1, sizeof pickle - 1};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        fwrite(magic[i], 1, sizes[i], f);
        fclose(f);
        cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_ERR_FORMAT);
        e = clbb_last_error(ctx);
        cr_assert(strstr(e, i ? "pickle" : "zip") && strstr(e, "tools/convert_checkpoint.py"),
                  "%s", e);
    }
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
    /* a 16 GiB stem output of 2^32 elements: refused whatever the device's
     * limits (PoCL sizes its max allocation and global memory from the
     * host's free memory: a 4 GiB output once fitted both) */
    clbb_shape big = {4, 3, 8192, 8192};
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

/* GeneralizedAttention blocks (one ResNet-50 stage, base 32: width 32)
 * against the reference (the attn1111 / attn0010 backbones are in the
 * backbone table, check_models.c). */
#define GA_STAGE "\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":32,"
#define GA_PLUGIN(args, pos) "\"plugins\":[{\"cfg\":{\"type\":\"GeneralizedAttention\"," args "},\"stages\":[true],\"position\":\"" pos "\"}]"
static const check_model_case GA_CASES[] = {
    {"ga_1111_h8_kv2", "{" GA_STAGE GA_PLUGIN("\"spatial_range\":-1,\"num_heads\":8,\"attention_type\":\"1111\",\"kv_stride\":2", "after_conv2") "}", {1, 3, 64, 80}, 1},
    {"ga_0010_h8_kv2", "{" GA_STAGE GA_PLUGIN("\"num_heads\":8,\"attention_type\":\"0010\"", "after_conv2") "}", {2, 3, 52, 60}, 1},
    {"ga_0100_square", "{" GA_STAGE GA_PLUGIN("\"num_heads\":4,\"attention_type\":\"0100\",\"kv_stride\":1", "after_conv2") "}", {1, 3, 60, 60}, 0},
    {"ga_1101_sr2_q2_pe8", "{" GA_STAGE GA_PLUGIN("\"spatial_range\":2,\"num_heads\":4,\"attention_type\":\"1101\",\"q_stride\":2,\"position_embedding_dim\":8,\"position_magnitude\":2", "after_conv2") "}", {2, 3, 56, 72}, 1},
    {"ga_1000_h9_conv1_conv3", "{" GA_STAGE "\"plugins\":[{\"cfg\":{\"type\":\"GeneralizedAttention\",\"attention_type\":\"1000\",\"kv_stride\":1},\"stages\":[true],\"position\":\"after_conv1\"},{\"cfg\":{\"type\":\"GeneralizedAttention\",\"num_heads\":8,\"attention_type\":\"0011\",\"postfix\":2},\"stages\":[true],\"position\":\"after_conv3\"}]}", {1, 3, 44, 36}, 0},
};

Test(models, gen_attention_vs_reference, .timeout = 1500) {
    run_cases(GA_CASES, CLBB_ARRAY_SIZE(GA_CASES), 0, CLBB_ARRAY_SIZE(GA_CASES),
              CLBB_PRECISION_FP32, 0);
    run_cases(GA_CASES, CLBB_ARRAY_SIZE(GA_CASES), 0, CLBB_ARRAY_SIZE(GA_CASES),
              CLBB_PRECISION_FP16, 1);
}

/* mmcv's state_dict order of a GeneralizedAttention module: its own
 * parameters (appr_bias, geom_bias, gamma; local_constraint_map is not
 * stored) before its children in __init__ order; only the parameters the
 * attention_type needs. */
Test(models, gen_attention_keys_and_counts) {
    clbb_context *ctx = test_context();
    static const struct {
        const char *type;
        const char *keys[12];
    } want[] = {
        {"1111", {"appr_bias (256,)", "geom_bias (256,)", "gamma (1,)", "query_conv.weight (256, 256, 1, 1)",
                  "key_conv.weight (256, 256, 1, 1)", "value_conv.weight (256, 256, 1, 1)",
                  "appr_geom_fc_x.weight (256, 128)", "appr_geom_fc_y.weight (256, 128)",
                  "proj_conv.weight (256, 256, 1, 1)", "proj_conv.bias (256,)", NULL}},
        {"0010", {"appr_bias (252,)", "gamma (1,)", "key_conv.weight (252, 256, 1, 1)",
                  "value_conv.weight (252, 256, 1, 1)", "proj_conv.weight (256, 252, 1, 1)",
                  "proj_conv.bias (256,)", NULL}},
        {"0100", {"gamma (1,)", "query_conv.weight (252, 256, 1, 1)", "value_conv.weight (252, 256, 1, 1)",
                  "appr_geom_fc_x.weight (252, 128)", "appr_geom_fc_y.weight (252, 128)",
                  "proj_conv.weight (256, 252, 1, 1)", "proj_conv.bias (256,)", NULL}},
    };
    for (size_t t = 0; t < sizeof want / sizeof want[0]; t++) {
        char json[512];
        /* 8 heads for 1111 (d = 32); mmcv's default 9 otherwise (d = 28, 252 channels) */
        snprintf(json, sizeof json,
                 "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":3,\"strides\":[1,2,2],"
                 "\"dilations\":[1,1,1],\"out_indices\":[2],\"plugins\":[{\"cfg\":{\"type\":"
                 "\"GeneralizedAttention\",\"num_heads\":%d,\"attention_type\":\"%s\"},"
                 "\"stages\":[false,false,true],\"position\":\"after_conv2\"}]}",
                 t ? 9 : 8, want[t].type);
        clbb_model *m = model_json(ctx, json);
        const graph *g = clbb__model_graph(m);
        int i = 0;
        while (i < g->num_params && strncmp(g->params[i].key, "layer3.0.gen_attention_block.", 29)) i++;
        for (int k = 0; want[t].keys[k]; k++, i++) {
            cr_assert_lt(i, g->num_params);
            const graph_param *p = &g->params[i];
            char mine[256];
            int n = snprintf(mine, sizeof mine, "%s (", p->key + 29);
            for (int d = 0; d < p->ndim; d++)
                n += snprintf(mine + n, sizeof mine - (size_t)n, "%s%lld", d ? ", " : "",
                              (long long)p->shape[d]);
            snprintf(mine + n, sizeof mine - (size_t)n, "%s)", p->ndim == 1 ? "," : "");
            cr_expect_str_eq(mine, want[t].keys[k], "%s key %d", want[t].type, k);
        }
        cr_expect(i >= g->num_params || strncmp(g->params[i].key, "layer3.0.gen_attention_block.", 29),
                  "%s: more keys than mmcv's", want[t].type);
        clbb_model_destroy(m);
    }
    /* ResNet-50 plus, per block of C channels, 5C^2 + 3C + 1 ('1111': four
     * 1x1 convs, two C x C/2 Linear layers, two biases, proj bias, gamma)
     * or 3C^2 + 2C + 1 ('0010'), in 6 blocks of 256 and 3 of 512 */
    struct { const char *arch; int64_t params; } counts[] = {
        {"resnet50_attn1111_c4c5", 23508032 + 6 * (5LL * 256 * 256 + 3 * 256 + 1) + 3 * (5LL * 512 * 512 + 3 * 512 + 1)},
        {"resnet50_attn0010_c4c5", 23508032 + 6 * (3LL * 256 * 256 + 2 * 256 + 1) + 3 * (3LL * 512 * 512 + 2 * 512 + 1)},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        clbb_model_config cfg;
        cr_assert_eq(clbb_model_config_preset(counts[i].arch, &cfg), CLBB_OK);
        clbb_model *m = NULL;
        cr_assert_eq(clbb_model_create(ctx, &cfg, &m), CLBB_OK, "%s", clbb_last_error(ctx));
        cr_expect_eq(clbb_model_num_params(m), counts[i].params, "%s: %lld params, expected %lld",
                     counts[i].arch, (long long)clbb_model_num_params(m), (long long)counts[i].params);
        clbb_model_destroy(m);
    }
    clbb_context_destroy(ctx);
}

/* '0100' reads the query at the transposed position (mmcv's broadcasting),
 * which exists on square maps only: a non-square one is refused at plan
 * with the layer's name, a square one plans. */
Test(models, gen_attention_transposed_types_need_square_maps) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{" GA_STAGE GA_PLUGIN("\"num_heads\":4,\"attention_type\":\"0100\"", "after_conv2") "}");
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    cr_expect_eq(clbb_model_plan(m, (clbb_shape){1, 3, 64, 80}), CLBB_ERR_SHAPE);
    const char *e = clbb_last_error(ctx);
    cr_expect(strstr(e, "layer1.0.gen_attention_block") && strstr(e, "square"), "%s", e);
    cr_expect_eq(clbb_model_plan(m, (clbb_shape){1, 3, 64, 64}), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* A checkpoint of a GeneralizedAttention with spatial_range >= 0 holds the
 * U8 local_constraint_map parameter: accepted and ignored (clbb derives
 * the window). The file is written by hand (the writer has F32 only). */
Test(models, gen_attention_local_constraint_map_ignored, .init = test_dir_make,
     .fini = test_dir_remove) {
    clbb_context *ctx = test_context();
    const char *json = "{" GA_STAGE GA_PLUGIN("\"spatial_range\":3,\"num_heads\":8,\"attention_type\":\"1111\"", "after_conv2") "}";
    clbb_model *src = model_json(ctx, json), *dst = model_json(ctx, json);
    cr_assert_eq(clbb__model_randomize(src, 7), CLBB_OK);
    const graph *g = clbb__model_graph(src);
    size_t hcap = 1 << 20, hn = 0, off = 0;
    char *h = malloc(hcap);
    hn += (size_t)snprintf(h + hn, hcap - hn, "{");
    for (int i = 0; i < g->num_params; i++) {
        const graph_param *p = &g->params[i];
        if (p->role == ROLE_NORM_COUNT) continue;
        hn += (size_t)snprintf(h + hn, hcap - hn, "\"%s\":{\"dtype\":\"F32\",\"shape\":[", p->key);
        for (int d = 0; d < p->ndim; d++)
            hn += (size_t)snprintf(h + hn, hcap - hn, "%s%lld", d ? "," : "", (long long)p->shape[d]);
        hn += (size_t)snprintf(h + hn, hcap - hn, "],\"data_offsets\":[%zu,%zu]},", off,
                               off + p->numel * 4);
        off += p->numel * 4;
    }
    const size_t map = 84 * 84 * 42 * 42; /* mmcv's shape at 256 channels */
    hn += (size_t)snprintf(h + hn, hcap - hn,
                           "\"layer1.0.gen_attention_block.local_constraint_map\":{\"dtype\":\"U8\","
                           "\"shape\":[84,84,42,42],\"data_offsets\":[%zu,%zu]}}",
                           off, off + map);
    char path[128];
    snprintf(path, sizeof path, "%s/ga.safetensors", test_dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    uint64_t len = hn;
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)(len >> (8 * i));
    fwrite(le, 1, 8, f);
    fwrite(h, 1, hn, f);
    for (int i = 0; i < g->num_params; i++)
        if (g->params[i].role != ROLE_NORM_COUNT)
            fwrite(g->params[i].data, 4, g->params[i].numel, f);
    unsigned char *ones = malloc(map);
    memset(ones, 1, map);
    fwrite(ones, 1, map, f);
    fclose(f);
    free(ones);
    free(h);
    clbb_weights_report rep;
    cr_assert_eq(clbb_model_load_weights(dst, path, &rep), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect_eq(rep.ignored, 1);
    const graph *gd = clbb__model_graph(dst);
    for (int i = 0; i < g->num_params; i++)
        if (g->params[i].role != ROLE_NORM_COUNT)
            cr_expect_eq(memcmp(g->params[i].data, gd->params[i].data, g->params[i].numel * 4), 0,
                         "%s", g->params[i].key);
    clbb_model_destroy(src);
    clbb_model_destroy(dst);
    clbb_context_destroy(ctx);
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

/* fp16 safety (issue 11): an input near half's limit drives the stem's
 * output past 65504; the fp16 check fails the case as an overflow naming
 * the first layer (the reference's max per layer, and the device scan's
 * first non-finite output), not as a plain mismatch; fp32 passes it. */
Test(models, fp16_overflow_names_the_layer, .timeout = 600) {
    clbb_context *ctx = test_context();
    const check_model_case c = {
        "overflow_basic_block",
        "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[1],"
        "\"dilations\":[1],\"out_indices\":[0],\"base_channels\":8}",
        {1, 3, 16, 16}, 1, 6e4};
    check_model_result r;
    cr_assert_eq(check_model_case_run(ctx, &c, CLBB_PRECISION_FP16, 5, &r), CLBB_OK, "%s",
                 r.message);
    cr_expect(!r.pass, "an fp16 overflow passed: %s", r.message);
    cr_expect_geq(r.overflow_layer, 0, "%s", r.message);
    cr_expect_gt(r.overflow_max, 65504.0, "%s", r.message);
    cr_expect(strstr(r.message, "overflow in layer ") != NULL, "%s", r.message);
    cr_log_info("%s", r.message);
    cr_assert_eq(check_model_case_run(ctx, &c, CLBB_PRECISION_FP32, 5, &r), CLBB_OK, "%s",
                 r.message);
    cr_expect(r.pass && r.overflow_layer < 0, "fp32: %s", r.message);
    clbb_context_destroy(ctx);
}

/* Weights are stored in the mode's storage type: fp16 halves the device
 * memory of the packed weights (issue 11). ResNet-18 at 1x3x32x32: only
 * the per-channel shifts stay float. */
Test(models, fp16_halves_weight_memory, .timeout = 600) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx, "{\"type\":\"ResNet\",\"depth\":18}");
    clbb_model_init_weights(m, 1);
    uint64_t w[2];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(clbb_model_set_precision(m, k ? CLBB_PRECISION_FP16 : CLBB_PRECISION_FP32),
                     CLBB_OK);
        cr_assert_eq(clbb_model_plan(m, (clbb_shape){1, 3, 32, 32}), CLBB_OK, "%s",
                     clbb_last_error(ctx));
        clbb_model_memory mem;
        cr_assert_eq(clbb_model_memory_usage(m, &mem), CLBB_OK);
        w[k] = mem.weights_bytes;
    }
    cr_log_info("ResNet-18 weights on the device: fp32 %.2f MiB, fp16 %.2f MiB", w[0] / 1048576.0,
                w[1] / 1048576.0);
    cr_expect_lt((double)w[1], 0.52 * (double)w[0], "fp16 %llu bytes, fp32 %llu",
                 (unsigned long long)w[1], (unsigned long long)w[0]);
    cr_expect_gt((double)w[1], 0.45 * (double)w[0]);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
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

/* ------------------------------------------------------------------------ */
/* Plugins (mmcv ContextBlock, NonLocal2d) on the device against the graph
 * reference: two stages of a narrow ResNet-50 (planes 16: 16/16/64
 * channels; 8x10 then 4x5 maps for a 32x40 input, so sub_sample's pool
 * drops a column), every mode and option, every position, chains. */
#define PL_NET "\"type\":\"ResNet\",\"depth\":50,\"num_stages\":2,\"strides\":[1,2],\"dilations\":[1,1],\"out_indices\":[0,1],\"base_channels\":16"
#define PL_CB(extra, pos) "{\"cfg\":{\"type\":\"ContextBlock\"" extra "},\"position\":\"" pos "\"}"
#define PL_NL(extra, pos) "{\"cfg\":{\"type\":\"NonLocal2d\"" extra "},\"position\":\"" pos "\"}"
static const check_model_case PLUGIN_CASES[] = {
    {"cb_att_add_conv3", "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.25", "after_conv3") "]}", {1, 3, 32, 40}, 1},
    {"cb_avg_add_conv3_b2", "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.5,\"pooling_type\":\"avg\"", "after_conv3") "]}", {2, 3, 32, 40}, 1},
    {"cb_avg_mul_add_conv3", "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.25,\"pooling_type\":\"avg\",\"fusion_types\":[\"channel_mul\",\"channel_add\"]", "after_conv3") "]}", {2, 3, 32, 40}, 0},
    {"cb_mul_conv1", "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.5,\"fusion_types\":[\"channel_mul\"]", "after_conv1") "]}", {1, 3, 32, 40}, 0},
    {"cb_r16_conv2_stage2", "{" PL_NET ",\"plugins\":[{\"cfg\":{\"type\":\"ContextBlock\",\"ratio\":0.0625},\"stages\":[false,true],\"position\":\"after_conv2\"}]}", {1, 3, 32, 40}, 0},
    {"nl_embedded_conv3", "{" PL_NET ",\"plugins\":[" PL_NL("", "after_conv3") "]}", {1, 3, 32, 40}, 1},
    {"nl_embedded_noscale_sub_b2", "{" PL_NET ",\"plugins\":[" PL_NL(",\"use_scale\":false,\"sub_sample\":true", "after_conv3") "]}", {2, 3, 32, 40}, 0},
    {"nl_gaussian_conv2", "{" PL_NET ",\"plugins\":[" PL_NL(",\"mode\":\"gaussian\"", "after_conv2") "]}", {1, 3, 32, 40}, 0},
    {"nl_gaussian_sub_conv3", "{" PL_NET ",\"plugins\":[" PL_NL(",\"mode\":\"gaussian\",\"sub_sample\":true", "after_conv3") "]}", {1, 3, 32, 40}, 0},
    {"nl_dot_bn_r4_conv3", "{" PL_NET ",\"plugins\":[" PL_NL(",\"mode\":\"dot_product\",\"reduction\":4,\"norm_cfg\":{\"type\":\"BN\"}", "after_conv3") "]}", {1, 3, 32, 40}, 1},
    {"nl_concat_conv1", "{" PL_NET ",\"plugins\":[" PL_NL(",\"mode\":\"concatenation\"", "after_conv1") "]}", {1, 3, 32, 40}, 1},
    {"nl_concat_sub_conv3", "{" PL_NET ",\"plugins\":[" PL_NL(",\"mode\":\"concatenation\",\"sub_sample\":true,\"reduction\":1", "after_conv3") "]}", {1, 3, 32, 40}, 0},
    {"chain_cb_nl_conv3", "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.25", "after_conv3") "," PL_NL("", "after_conv3") "]}", {1, 3, 32, 40}, 0},
    {"chain_nl_cb_conv3_cb_conv1", "{" PL_NET ",\"plugins\":[" PL_NL(",\"sub_sample\":true", "after_conv3") "," PL_CB(",\"ratio\":0.25", "after_conv3") "," PL_CB(",\"ratio\":0.25,\"postfix\":2", "after_conv1") "]}", {1, 3, 32, 40}, 1},
    {"resnext_cb_conv2_nl_conv1", "{\"type\":\"ResNeXt\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16,\"groups\":4,\"base_width\":8,\"plugins\":[" PL_CB(",\"ratio\":0.125", "after_conv2") "," PL_NL("", "after_conv1") "]}", {1, 3, 32, 40}, 1},
    {"gn_cb_conv3", "{" PL_NET ",\"norm_cfg\":{\"type\":\"GN\",\"num_groups\":4},\"plugins\":[" PL_CB(",\"ratio\":0.25", "after_conv3") "]}", {1, 3, 32, 40}, 0},
    {"ghost_nl_conv3", "{" PL_NET ",\"conv_cfg\":{\"type\":\"Ghost\"},\"plugins\":[" PL_NL("", "after_conv3") "]}", {1, 3, 32, 40}, 0},
};

Test(models, plugins_vs_reference, .timeout = 1200) {
    run_cases(PLUGIN_CASES, CLBB_ARRAY_SIZE(PLUGIN_CASES), 0, CLBB_ARRAY_SIZE(PLUGIN_CASES),
              CLBB_PRECISION_FP32, 0);
}

Test(models, plugins_vs_reference_f16, .timeout = 1200) {
    run_cases(PLUGIN_CASES, CLBB_ARRAY_SIZE(PLUGIN_CASES), 0, CLBB_ARRAY_SIZE(PLUGIN_CASES),
              CLBB_PRECISION_FP16, 1);
}

/* The plugin keys of layer1.0 (in_channels 16 after conv1/2, 64 after
 * conv3) in PyTorch's registration order: the block's own layers and
 * downsample, then the plugins by position, each as mmcv registers its
 * modules (NonLocal2d: g, conv_out, theta, phi, concat_project, with
 * sub_sample's Sequential(conv, pool) in place; ContextBlock: conv_mask,
 * channel_add_conv, channel_mul_conv). */
Test(models, plugin_keys_match_pytorch) {
    clbb_context *ctx = test_context();
    clbb_model *m = model_json(ctx,
        "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],"
        "\"out_indices\":[0],\"base_channels\":16,\"plugins\":["
        "{\"cfg\":{\"type\":\"ContextBlock\",\"ratio\":0.25,\"fusion_types\":[\"channel_mul\",\"channel_add\"]},\"position\":\"after_conv3\"},"
        "{\"cfg\":{\"type\":\"NonLocal2d\",\"mode\":\"concatenation\",\"sub_sample\":true,\"norm_cfg\":{\"type\":\"BN\"}},\"position\":\"after_conv1\"},"
        "{\"cfg\":{\"type\":\"ContextBlock\",\"ratio\":0.25,\"pooling_type\":\"avg\",\"postfix\":2},\"position\":\"after_conv2\"}]}");
    static const char *const want[] = {
        "layer1.0.nonlocal_block.g.0.conv.weight (8, 16, 1, 1)",
        "layer1.0.nonlocal_block.g.0.conv.bias (8,)",
        "layer1.0.nonlocal_block.conv_out.conv.weight (16, 8, 1, 1)",
        "layer1.0.nonlocal_block.conv_out.bn.weight (16,)",
        "layer1.0.nonlocal_block.conv_out.bn.bias (16,)",
        "layer1.0.nonlocal_block.conv_out.bn.running_mean (16,)",
        "layer1.0.nonlocal_block.conv_out.bn.running_var (16,)",
        "layer1.0.nonlocal_block.conv_out.bn.num_batches_tracked ()",
        "layer1.0.nonlocal_block.theta.conv.weight (8, 16, 1, 1)",
        "layer1.0.nonlocal_block.theta.conv.bias (8,)",
        "layer1.0.nonlocal_block.phi.0.conv.weight (8, 16, 1, 1)",
        "layer1.0.nonlocal_block.phi.0.conv.bias (8,)",
        "layer1.0.nonlocal_block.concat_project.conv.weight (1, 16, 1, 1)",
        "layer1.0.context_block2.channel_add_conv.0.weight (4, 16, 1, 1)",
        "layer1.0.context_block2.channel_add_conv.0.bias (4,)",
        "layer1.0.context_block2.channel_add_conv.1.weight (4, 1, 1)",
        "layer1.0.context_block2.channel_add_conv.1.bias (4, 1, 1)",
        "layer1.0.context_block2.channel_add_conv.3.weight (16, 4, 1, 1)",
        "layer1.0.context_block2.channel_add_conv.3.bias (16,)",
        "layer1.0.context_block.conv_mask.weight (1, 64, 1, 1)",
        "layer1.0.context_block.conv_mask.bias (1,)",
        "layer1.0.context_block.channel_add_conv.0.weight (16, 64, 1, 1)",
        "layer1.0.context_block.channel_add_conv.0.bias (16,)",
        "layer1.0.context_block.channel_add_conv.1.weight (16, 1, 1)",
        "layer1.0.context_block.channel_add_conv.1.bias (16, 1, 1)",
        "layer1.0.context_block.channel_add_conv.3.weight (64, 16, 1, 1)",
        "layer1.0.context_block.channel_add_conv.3.bias (64,)",
        "layer1.0.context_block.channel_mul_conv.0.weight (16, 64, 1, 1)",
        "layer1.0.context_block.channel_mul_conv.0.bias (16,)",
        "layer1.0.context_block.channel_mul_conv.1.weight (16, 1, 1)",
        "layer1.0.context_block.channel_mul_conv.1.bias (16, 1, 1)",
        "layer1.0.context_block.channel_mul_conv.3.weight (64, 16, 1, 1)",
        "layer1.0.context_block.channel_mul_conv.3.bias (64,)",
        "layer1.1.conv1.weight (16, 64, 1, 1)",
    };
    const graph *g = clbb__model_graph(m);
    int i = 0;
    while (i < g->num_params && strcmp(g->params[i].key, "layer1.0.downsample.1.num_batches_tracked")) i++;
    cr_assert_lt(i, g->num_params);
    for (size_t k = 0; k < CLBB_ARRAY_SIZE(want); k++) {
        const graph_param *p = &g->params[++i];
        char mine[256];
        int n = snprintf(mine, sizeof mine, "%s (", p->key);
        for (int d = 0; d < p->ndim; d++)
            n += snprintf(mine + n, sizeof mine - (size_t)n, "%s%lld", d ? ", " : "", (long long)p->shape[d]);
        snprintf(mine + n, sizeof mine - (size_t)n, "%s)", p->ndim == 1 ? "," : "");
        cr_expect_str_eq(mine, want[k], "key %zu", k);
    }
    clbb_model_destroy(m);
    /* the GCNet presets: ContextBlock in layers 2-4 only, NonLocal2d in layer3 */
    const struct { const char *arch, *first, *absent; int count; } presets[] = {
        {"resnet50_gcb_r16_c3c5", "layer2.0.context_block.conv_mask.weight", "layer1.0.context_block.conv_mask.weight", 13},
        {"resnet50_gcb_r4_c3c5", "layer4.2.context_block.channel_add_conv.0.weight", "layer1.2.context_block.conv_mask.bias", 13},
        {"resnet50_nonlocal_c4", "layer3.5.nonlocal_block.theta.conv.weight", "layer4.0.nonlocal_block.g.conv.weight", 6},
    };
    for (size_t k = 0; k < CLBB_ARRAY_SIZE(presets); k++) {
        clbb_model_config cfg;
        cr_assert_eq(clbb_model_config_preset(presets[k].arch, &cfg), CLBB_OK);
        cr_assert_eq(clbb_model_create(ctx, &cfg, &m), CLBB_OK, "%s", clbb_last_error(ctx));
        g = clbb__model_graph(m);
        int found = 0, absent = 1, blocks = 0;
        for (int p = 0; p < g->num_params; p++) {
            found |= !strcmp(g->params[p].key, presets[k].first);
            absent &= strcmp(g->params[p].key, presets[k].absent) != 0;
            blocks += strstr(g->params[p].key, "block.conv_mask.weight") != NULL ||
                      strstr(g->params[p].key, "block.g.conv.weight") != NULL;
        }
        cr_expect(found && absent, "%s", presets[k].arch);
        cr_expect_eq(blocks, presets[k].count, "%s: %d plugin blocks", presets[k].arch, blocks);
        clbb_model_destroy(m);
    }
    clbb_context_destroy(ctx);
}

/* The plugin graphs against mmcv's forward written out naively here (double
 * accumulation straight from context_block.py / non_local.py): what the
 * graph reference computes is what mmcv computes. */
static const float *key_data(const graph *g, const char *name, const char *leaf) {
    char key[192];
    snprintf(key, sizeof key, "%s.%s", name, leaf);
    for (int i = 0; i < g->num_params; i++)
        if (!strcmp(g->params[i].key, key)) return g->params[i].data;
    return NULL;
}

/* y[o][p] = b[o] + sum_c w[o][c] x[c][p] */
static void conv1x1(int co, int ci, int hw, const float *w, const float *b, const double *x, double *y) {
    for (int o = 0; o < co; o++)
        for (int p = 0; p < hw; p++) {
            double s = b ? b[o] : 0;
            for (int c = 0; c < ci; c++) s += (double)w[o * ci + c] * x[c * hw + p];
            y[o * hw + p] = s;
        }
}

static void maxpool2(int c, int h, int w, const double *x, double *y) {
    int ho = h / 2, wo = w / 2;
    for (int k = 0; k < c; k++)
        for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++) {
                const double *q = x + (size_t)k * h * w + (2 * i) * w + 2 * j;
                double m = fmax(fmax(q[0], q[1]), fmax(q[w], q[w + 1]));
                y[(k * ho + i) * wo + j] = m;
            }
}

static void naive_non_local(const graph *g, const char *nm, const clbb_plugin_config *pl, int C,
                            int H, int W, const double *x, double *out) {
    const int inter = C / pl->reduction > 1 ? C / pl->reduction : 1, hw = H * W;
    const int sub = pl->sub_sample, hk = sub ? (H / 2) * (W / 2) : hw;
    const int gauss = !strcmp(pl->mode, "gaussian"), concat = !strcmp(pl->mode, "concatenation");
    double *gx = calloc((size_t)inter * hw, sizeof(double)), *gp = calloc((size_t)inter * hw, sizeof(double));
    double *th = calloc((size_t)C * hw, sizeof(double)), *ph = calloc((size_t)C * hw, sizeof(double));
    double *pp = calloc((size_t)C * hw, sizeof(double)), *S = calloc((size_t)hw * hk, sizeof(double));
    double *y = calloc((size_t)inter * hw, sizeof(double));
    conv1x1(inter, C, hw, key_data(g, nm, sub ? "g.0.conv.weight" : "g.conv.weight"),
            key_data(g, nm, sub ? "g.0.conv.bias" : "g.conv.bias"), x, gx);
    if (sub) maxpool2(inter, H, W, gx, gp); else memcpy(gp, gx, (size_t)inter * hw * sizeof(double));
    int K = gauss ? C : inter;
    if (gauss) {
        memcpy(th, x, (size_t)C * hw * sizeof(double));
        if (sub) maxpool2(C, H, W, x, pp); else memcpy(pp, x, (size_t)C * hw * sizeof(double));
    } else {
        conv1x1(inter, C, hw, key_data(g, nm, "theta.conv.weight"), key_data(g, nm, "theta.conv.bias"), x, th);
        conv1x1(inter, C, hw, key_data(g, nm, sub ? "phi.0.conv.weight" : "phi.conv.weight"),
                key_data(g, nm, sub ? "phi.0.conv.bias" : "phi.conv.bias"), x, ph);
        if (sub) maxpool2(inter, H, W, ph, pp); else memcpy(pp, ph, (size_t)inter * hw * sizeof(double));
    }
    const float *wc = concat ? key_data(g, nm, "concat_project.conv.weight") : NULL;
    for (int i = 0; i < hw; i++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < hk; j++) {
            double s = 0;
            if (concat) {
                for (int c = 0; c < K; c++) s += wc[c] * th[c * hw + i] + wc[K + c] * pp[c * hk + j];
                s = s > 0 ? s : 0;
                s /= hk;
            } else {
                for (int c = 0; c < K; c++) s += th[c * hw + i] * pp[c * hk + j];
                if (!strcmp(pl->mode, "embedded_gaussian") && pl->use_scale) s /= sqrt((double)inter);
                if (!strcmp(pl->mode, "dot_product")) s /= hk;
            }
            S[(size_t)i * hk + j] = s;
            if (s > mx) mx = s;
        }
        if (concat || !strcmp(pl->mode, "dot_product")) continue;
        for (int j = 0; j < hk; j++) sum += S[(size_t)i * hk + j] = exp(S[(size_t)i * hk + j] - mx);
        for (int j = 0; j < hk; j++) S[(size_t)i * hk + j] /= sum;
    }
    for (int c = 0; c < inter; c++)
        for (int i = 0; i < hw; i++) {
            double s = 0;
            for (int j = 0; j < hk; j++) s += S[(size_t)i * hk + j] * gp[c * hk + j];
            y[c * hw + i] = s;
        }
    conv1x1(C, inter, hw, key_data(g, nm, "conv_out.conv.weight"),
            pl->nl_norm_bn ? NULL : key_data(g, nm, "conv_out.conv.bias"), y, out);
    for (int c = 0; c < C; c++)
        for (int p = 0; p < hw; p++) {
            double v = out[c * hw + p];
            if (pl->nl_norm_bn)
                v = (v - key_data(g, nm, "conv_out.bn.running_mean")[c]) /
                        sqrt(key_data(g, nm, "conv_out.bn.running_var")[c] + 1e-5) *
                        key_data(g, nm, "conv_out.bn.weight")[c] + key_data(g, nm, "conv_out.bn.bias")[c];
            out[c * hw + p] = x[c * hw + p] + v;
        }
    free(gx); free(gp); free(th); free(ph); free(pp); free(S); free(y);
}

/* channel_add_conv / channel_mul_conv on the context */
static void naive_mlp(const graph *g, const char *nm, const char *br, int C, int planes,
                      const double *ctxv, double *t) {
    char leaf[96];
    double *h = calloc((size_t)planes, sizeof(double));
    snprintf(leaf, sizeof leaf, "%s.0.weight", br);
    const float *w0 = key_data(g, nm, leaf);
    snprintf(leaf, sizeof leaf, "%s.0.bias", br);
    conv1x1(planes, C, 1, w0, key_data(g, nm, leaf), ctxv, h);
    double mean = 0, var = 0;
    for (int i = 0; i < planes; i++) mean += h[i] / planes;
    for (int i = 0; i < planes; i++) var += (h[i] - mean) * (h[i] - mean) / planes;
    snprintf(leaf, sizeof leaf, "%s.1.weight", br);
    const float *lw = key_data(g, nm, leaf);
    snprintf(leaf, sizeof leaf, "%s.1.bias", br);
    const float *lb = key_data(g, nm, leaf);
    for (int i = 0; i < planes; i++) {
        double v = (h[i] - mean) / sqrt(var + 1e-5) * lw[i] + lb[i];
        h[i] = v > 0 ? v : 0;
    }
    snprintf(leaf, sizeof leaf, "%s.3.weight", br);
    const float *w3 = key_data(g, nm, leaf);
    snprintf(leaf, sizeof leaf, "%s.3.bias", br);
    conv1x1(C, planes, 1, w3, key_data(g, nm, leaf), h, t);
    free(h);
}

static void naive_context_block(const graph *g, const char *nm, const clbb_plugin_config *pl,
                                int C, int H, int W, const double *x, double *out) {
    const int hw = H * W, planes = (int)(C * pl->ratio);
    double *ctxv = calloc((size_t)C, sizeof(double)), *a = calloc((size_t)hw, sizeof(double));
    double *add = calloc((size_t)C, sizeof(double)), *mul = calloc((size_t)C, sizeof(double));
    if (pl->pooling_att) {
        const float *w = key_data(g, nm, "conv_mask.weight"), *b = key_data(g, nm, "conv_mask.bias");
        double mx = -INFINITY, sum = 0;
        for (int p = 0; p < hw; p++) {
            double l = b[0];
            for (int c = 0; c < C; c++) l += w[c] * x[c * hw + p];
            a[p] = l;
            if (l > mx) mx = l;
        }
        for (int p = 0; p < hw; p++) sum += a[p] = exp(a[p] - mx);
        for (int c = 0; c < C; c++)
            for (int p = 0; p < hw; p++) ctxv[c] += x[c * hw + p] * a[p] / sum;
    } else {
        for (int c = 0; c < C; c++)
            for (int p = 0; p < hw; p++) ctxv[c] += x[c * hw + p] / hw;
    }
    if (pl->fusion_mul) naive_mlp(g, nm, "channel_mul_conv", C, planes, ctxv, mul);
    if (pl->fusion_add) naive_mlp(g, nm, "channel_add_conv", C, planes, ctxv, add);
    for (int c = 0; c < C; c++)
        for (int p = 0; p < hw; p++) {
            double v = x[c * hw + p];
            if (pl->fusion_mul) v *= 1 / (1 + exp(-mul[c]));
            if (pl->fusion_add) v += add[c];
            out[c * hw + p] = v;
        }
    free(ctxv); free(a); free(add); free(mul);
}

Test(models, plugin_graphs_match_mmcv_forward) {
    const char *cfgs[] = {
        "{\"type\":\"NonLocal2d\"}",
        "{\"type\":\"NonLocal2d\",\"use_scale\":false,\"sub_sample\":true}",
        "{\"type\":\"NonLocal2d\",\"mode\":\"gaussian\"}",
        "{\"type\":\"NonLocal2d\",\"mode\":\"gaussian\",\"sub_sample\":true,\"reduction\":3}",
        "{\"type\":\"NonLocal2d\",\"mode\":\"dot_product\",\"norm_cfg\":{\"type\":\"BN\"}}",
        "{\"type\":\"NonLocal2d\",\"mode\":\"concatenation\",\"reduction\":4}",
        "{\"type\":\"NonLocal2d\",\"mode\":\"concatenation\",\"sub_sample\":true}",
        "{\"type\":\"ContextBlock\",\"ratio\":0.25}",
        "{\"type\":\"ContextBlock\",\"ratio\":0.5,\"pooling_type\":\"avg\",\"fusion_types\":[\"channel_mul\"]}",
        "{\"type\":\"ContextBlock\",\"ratio\":0.3,\"fusion_types\":[\"channel_add\",\"channel_mul\"]}",
    };
    const int C = 12, H = 5, W = 7, N = 2;
    for (size_t k = 0; k < CLBB_ARRAY_SIZE(cfgs); k++) {
        char json[1024], err[256] = "";
        snprintf(json, sizeof json, "{\"type\":\"ResNet\",\"depth\":50,\"plugins\":[{\"cfg\":%s,\"position\":\"after_conv3\"}]}", cfgs[k]);
        clbb_model_config cfg;
        cr_assert_eq(clbb_model_config_parse_json(json, strlen(json), &cfg, err, sizeof err), CLBB_OK, "%s: %s", json, err);
        const clbb_plugin_config *pl = &cfg.plugins[0];
        graph g;
        memset(&g, 0, sizeof g);
        builder b = {&g, &cfg, 0};
        g.input = graph_value_add(&g, C);
        const plugin_desc *d = clbb__plugin_find(pl->type);
        cr_assert_not_null(d);
        int out = d->build(&b, "p", pl, C, g.input);
        cr_assert(out >= 0 && !b.oom);
        g.outputs[0] = out;
        g.num_outputs = 1;
        uint64_t seed = 100 + k;
        for (int i = 0; i < g.num_params; i++) {
            graph_param *p = &g.params[i];
            if (!p->data) continue;
            clbb__fill_uniform(p->data, p->numel, &seed, -0.6f, 0.6f);
            if (p->role == ROLE_NORM_VAR)
                for (size_t e = 0; e < p->numel; e++) p->data[e] = 0.5f + fabsf(p->data[e]);
        }
        const clbb_shape in = {N, C, H, W};
        cr_assert_eq(graph_infer(&g, in, err, sizeof err), CLBB_OK, "%s", err);
        const size_t n = clbb_shape_numel(in), per = n / N;
        float *x = malloc(n * sizeof *x), *y = NULL;
        clbb__fill_uniform(x, n, &seed, -1, 1);
        cr_assert_eq(graph_forward_reference(&g, x, &y, err, sizeof err), CLBB_OK, "%s", err);
        double *xd = malloc(per * sizeof *xd), *yd = malloc(per * sizeof *yd);
        double num = 0, den = 0;
        for (int s = 0; s < N; s++) {
            for (size_t e = 0; e < per; e++) xd[e] = x[s * per + e];
            if (!strcmp(pl->type, "NonLocal2d")) naive_non_local(&g, "p", pl, C, H, W, xd, yd);
            else naive_context_block(&g, "p", pl, C, H, W, xd, yd);
            for (size_t e = 0; e < per; e++) {
                num += (yd[e] - y[s * per + e]) * (yd[e] - y[s * per + e]);
                den += (yd[e] - xd[e]) * (yd[e] - xd[e]); /* the plugin's own contribution */
            }
        }
        cr_expect(den > 1e-3 * per * N, "%s: the plugin adds almost nothing", cfgs[k]);
        cr_expect_lt(sqrt(num / den), 1e-5, "%s: graph vs mmcv's forward %.3g", cfgs[k], sqrt(num / den));
        free(x); free(y); free(xd); free(yd);
        graph_free(&g);
    }
}

/* MMDetection's GCNet backbone dicts, word for word in tests/data, are the
 * presets (the same plugin, the same keys), ResNet-50's keys plus 13
 * ContextBlocks. */
static char *read_text(const char *file) {
    char path[1024];
    const char *dir = getenv("CLBB_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data", file);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

Test(models, mmdet_gcnet_configs_are_the_presets) {
    clbb_context *ctx = test_context();
    const char *files[] = {"mmdet_gcnet_r50_gcb_r16_c3c5.json", "mmdet_gcnet_r50_gcb_r4_c3c5.json"};
    const char *presets[] = {"resnet50_gcb_r16_c3c5", "resnet50_gcb_r4_c3c5"};
    const int planes_l2[] = {32, 128}; /* int(512 * ratio) */
    for (int i = 0; i < 2; i++) {
        clbb_model *a = model_json(ctx, read_text(files[i])), *b = NULL;
        clbb_model_config cfg;
        cr_assert_eq(clbb_model_config_preset(presets[i], &cfg), CLBB_OK);
        cr_assert_eq(clbb_model_create(ctx, &cfg, &b), CLBB_OK, "%s", clbb_last_error(ctx));
        const graph *ga = clbb__model_graph(a), *gb = clbb__model_graph(b);
        cr_assert_eq(ga->num_params, gb->num_params, "%s", files[i]);
        cr_assert_eq(ga->num_params, 318 + 13 * 8, "%s: %d keys", files[i], ga->num_params);
        for (int p = 0; p < ga->num_params; p++) {
            cr_assert_str_eq(ga->params[p].key, gb->params[p].key);
            cr_assert_eq(memcmp(ga->params[p].shape, gb->params[p].shape, sizeof ga->params[p].shape), 0);
            if (!strcmp(ga->params[p].key, "layer2.0.context_block.channel_add_conv.0.weight"))
                cr_expect_eq(ga->params[p].shape[0], planes_l2[i]);
        }
        clbb_model_destroy(a);
        clbb_model_destroy(b);
    }
    clbb_context_destroy(ctx);
}

/* Plugin parameters go through .safetensors like the others (LayerNorm's
 * [planes, 1, 1], the BN of conv_out), and a file missing one is refused
 * naming it. */
Test(models, plugin_weights_round_trip, .init = test_dir_make, .fini = test_dir_remove) {
    clbb_context *ctx = test_context();
    const char *json = "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.25,\"fusion_types\":[\"channel_add\",\"channel_mul\"]", "after_conv3")
                       "," PL_NL(",\"norm_cfg\":{\"type\":\"BN\"},\"mode\":\"concatenation\"", "after_conv2") "]}";
    clbb_model *a = model_json(ctx, json), *b = model_json(ctx, json);
    cr_assert_eq(clbb__model_randomize(a, 21), CLBB_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/w.safetensors", test_dir);
    cr_assert_eq(clbb_model_save_weights(a, path), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_weights_report rep;
    cr_assert_eq(clbb_model_load_weights(b, path, &rep), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect_eq(rep.ignored, 0);
    const graph *ga = clbb__model_graph(a), *gb = clbb__model_graph(b);
    for (int i = 0; i < ga->num_params; i++)
        if (ga->params[i].data)
            cr_assert_arr_eq(ga->params[i].data, gb->params[i].data, ga->params[i].numel * sizeof(float),
                             "%s", ga->params[i].key);
    write_edited(a, path, "layer1.0.context_block.channel_mul_conv.1.bias", NULL, NULL, 0, NULL);
    cr_assert_eq(clbb_model_load_weights(b, path, &rep), CLBB_ERR_FORMAT);
    cr_expect(strstr(clbb_last_error(ctx), "layer1.0.context_block.channel_mul_conv.1.bias"), "%s",
              clbb_last_error(ctx));
    clbb_model_destroy(a);
    clbb_model_destroy(b);
    clbb_context_destroy(ctx);
}

/* The planner's launch fusions (plan_fuse.c: Ghost module, SE gate), on
 * where they are off by default here (PoCL gets the CPU family): every
 * Ghost block and backbone of the check tables against the unfused
 * reference, fp32 and the quick ones in fp16. */
static void run_ghost_cases(const check_model_case *c, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strstr(c[i].name, "ghost")) {
            run_cases(c, n, i, i + 1, CLBB_PRECISION_FP32, 0);
            run_cases(c, n, i, i + 1, CLBB_PRECISION_FP16, 1);
        }
}

Test(models, fused_ghost_vs_reference, .timeout = 900) {
    setenv("CLBB_FUSE", "1", 1);
    const check_model_case *c;
    size_t n = check_block_cases(&c);
    run_ghost_cases(c, n);
    n = check_backbone_cases(&c);
    run_ghost_cases(c, n);
    unsetenv("CLBB_FUSE");
}

/* GCNet's ContextBlock after conv3 (plan_fuse_context.c): on by default,
 * the fusion's channel_affine pass is gone and conv3 writes the block's
 * output; CLBB_FUSE=0 plans the graph node by node. (Its numbers are the
 * plugin and backbone tables': cb_*_conv3, resnet50_gcb_*.) */
static int context_plan_ops(clbb_context *ctx, const char *fuse, const char *kind) {
    if (fuse) setenv("CLBB_FUSE", fuse, 1);
    clbb_model *m = model_json(ctx, "{" PL_NET ",\"plugins\":[" PL_CB(",\"ratio\":0.25", "after_conv3") "]}");
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    cr_assert_eq(clbb_model_plan(m, (clbb_shape){2, 3, 32, 40}), CLBB_OK, "%s", clbb_last_error(ctx));
    int n = 0;
    for (int k = 0; k < m->p.num_ops; k++) n += !strcmp(m->p.ops[k].kind, kind);
    clbb_model_destroy(m);
    unsetenv("CLBB_FUSE");
    return n;
}

Test(models, context_block_fused_plan, .timeout = 300) {
    clbb_context *ctx = test_context();
    /* two stages: 3 + 4 Bottlenecks, each with its ContextBlock */
    cr_expect_eq(context_plan_ops(ctx, NULL, "channel_affine"), 0);
    cr_expect_eq(context_plan_ops(ctx, NULL, "context_pool"), 7);
    cr_expect_eq(context_plan_ops(ctx, "0", "channel_affine"), 7);
    clbb_context_destroy(ctx);
}

/* Kernels per forward of GhostNet at batch 1: the fused plan takes each
 * Ghost module (two or three nodes) and SE block (three) in one launch;
 * CLBB_FUSE=0 gives the node-per-op plan back. */
static uint64_t ghostnet_kernels(clbb_context *ctx, const char *fuse, int *fused_ops) {
    setenv("CLBB_FUSE", fuse, 1);
    clbb_model *m = model_json(ctx, "{\"type\":\"GhostNet\",\"width\":1.0}");
    const clbb_shape in = {1, 3, 64, 64};
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    cr_assert_eq(clbb_model_plan(m, in), CLBB_OK, "%s", clbb_last_error(ctx));
    float *x = calloc(clbb_shape_numel(in), sizeof *x);
    cr_assert(x);
    clbb_context_stats a, b;
    cr_assert_eq(clbb_context_get_stats(ctx, &a), CLBB_OK);
    cr_assert_eq(clbb_model_forward(m, in, x), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_context_get_stats(ctx, &b), CLBB_OK);
    *fused_ops = 0;
    for (int k = 0; k < m->p.num_ops; k++)
        *fused_ops +=
            !strcmp(m->p.ops[k].kind, "ghost_module") || !strcmp(m->p.ops[k].kind, "se_gate");
    free(x);
    clbb_model_destroy(m);
    unsetenv("CLBB_FUSE");
    return b.kernels_enqueued - a.kernels_enqueued;
}

Test(models, fusion_cuts_ghostnet_launches, .timeout = 300) {
    clbb_context *ctx = test_context();
    int fused_ops, plain_ops;
    const uint64_t fused = ghostnet_kernels(ctx, "1", &fused_ops);
    const uint64_t plain = ghostnet_kernels(ctx, "0", &plain_ops);
    cr_expect_eq(fused_ops, 32 + 7, "16 bottlenecks x 2 Ghost modules + 7 SE blocks");
    cr_expect_eq(plain_ops, 0);
    /* 16 ghost1 (2 nodes), 16 ghost2 with their residual (3), 7 SE (3) */
    cr_expect_geq(plain, fused + 16 + 32 + 14, "%llu kernels fused, %llu unfused",
                  (unsigned long long)fused, (unsigned long long)plain);
    cr_log_info("GhostNet 1x3x64x64: %llu kernels per forward fused, %llu unfused",
                (unsigned long long)fused, (unsigned long long)plain);
    clbb_context_destroy(ctx);
}
