/* Block and whole-backbone conformance: each case is an MMDetection-style
 * config; the model gets random parameters (random BN statistics, so every
 * branch carries signal), runs on the device and through the C reference
 * (unfused, double accumulation), and every output is compared. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_models.h"
#include "models/model_internal.h"

#define TOL 1e-4 /* fp32 through up to ~160 layers; measured errors are far below */

static const clbb_model_case BLOCKS[] = {
    {"basic_block_identity", "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16}", {1, 3, 32, 32}, 1, TOL},
    {"basic_block_downsample", "{\"type\":\"ResNet\",\"depth\":34,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16}", {2, 3, 29, 35}, 1, TOL},
    {"basic_block_dilated", "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[1],\"dilations\":[2],\"out_indices\":[0],\"base_channels\":16}", {1, 3, 33, 31}, 0, TOL},
    {"bottleneck_pytorch", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16}", {1, 3, 32, 32}, 1, TOL},
    {"bottleneck_pytorch_s2", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16}", {2, 3, 33, 47}, 0, TOL},
    {"bottleneck_caffe_s2", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16,\"style\":\"caffe\"}", {1, 3, 33, 47}, 1, TOL},
    {"bottleneck_dilated", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[2],\"out_indices\":[0],\"base_channels\":16}", {1, 3, 30, 30}, 0, TOL},
    {"bottleneck_avg_down_s2", "{\"type\":\"ResNetV1d\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16}", {1, 3, 35, 37}, 1, TOL},
    {"bottleneck_avg_down_s1", "{\"type\":\"ResNetV1d\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16}", {1, 3, 32, 32}, 0, TOL},
    {"resnext_block_32x4d", "{\"type\":\"ResNeXt\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"groups\":32,\"base_width\":4}", {1, 3, 24, 24}, 1, TOL},
    {"resnext_block_s2_8x4d", "{\"type\":\"ResNeXt\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"groups\":8,\"base_width\":4,\"base_channels\":32}", {2, 3, 27, 25}, 0, TOL},
    {"gn_bottleneck", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16,\"norm_cfg\":{\"type\":\"GN\",\"num_groups\":4}}", {1, 3, 32, 32}, 1, TOL},
    {"gn_basic_block", "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16,\"norm_cfg\":{\"type\":\"GN\",\"num_groups\":8,\"eps\":1e-6}}", {2, 3, 31, 33}, 0, TOL},
    {"ghost_conv_bottleneck", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16,\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":2,\"dw_size\":3,\"relu\":true}}", {1, 3, 32, 32}, 1, TOL},
    {"ghost_conv_ratio3_basic", "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":16,\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":3,\"dw_size\":3,\"relu\":false}}", {1, 3, 30, 30}, 0, TOL},
    {"ghost_conv_ratio4_dw5", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":12,\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":4,\"dw_size\":5,\"relu\":true}}", {1, 3, 28, 28}, 0, TOL},
    /* Ghost modules with an odd number of output channels: the cheap conv
     * computes only the channels the concat keeps (ratio 3 and 4 end in a
     * partial group), kernel 1 stride 2 (caffe conv1) and kernel 3 stride 2 */
    {"ghost_odd_oup_ratio2", "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":13,\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":2}}", {1, 3, 24, 24}, 1, TOL},
    {"ghost_odd_oup_ratio3", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":1,\"strides\":[2],\"dilations\":[1],\"out_indices\":[0],\"base_channels\":11,\"style\":\"caffe\",\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":3}}", {1, 3, 24, 24}, 0, TOL},
    {"ghost_odd_oup_ratio4", "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[1],\"dilations\":[2],\"out_indices\":[0],\"base_channels\":13,\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":4,\"relu\":false}}", {2, 3, 20, 20}, 0, TOL},
    {"ghostnet_w05", "{\"type\":\"GhostNet\",\"width\":0.5,\"out_indices\":[0,1,2,3,4,5,6,7,8,9]}", {1, 3, 64, 64}, 1, TOL},
};

static const clbb_model_case BACKBONES[] = {
    {"resnet18", "{\"type\":\"ResNet\",\"depth\":18}", {1, 3, 32, 32}, 1, TOL},
    {"resnet34", "{\"type\":\"ResNet\",\"depth\":34}", {1, 3, 32, 32}, 0, TOL},
    {"resnet50", "{\"type\":\"ResNet\",\"depth\":50}", {1, 3, 64, 64}, 1, TOL},
    {"resnet50_b2_odd", "{\"type\":\"ResNet\",\"depth\":50}", {2, 3, 33, 47}, 0, TOL},
    {"resnet101", "{\"type\":\"ResNet\",\"depth\":101}", {1, 3, 32, 32}, 0, TOL},
    {"resnet152", "{\"type\":\"ResNet\",\"depth\":152}", {1, 3, 32, 32}, 0, TOL},
    {"resnet50_caffe_c4", "{\"type\":\"ResNet\",\"depth\":50,\"num_stages\":3,\"strides\":[1,2,2],\"dilations\":[1,1,1],\"out_indices\":[2],\"frozen_stages\":1,\"norm_cfg\":{\"type\":\"BN\",\"requires_grad\":false},\"norm_eval\":true,\"style\":\"caffe\"}", {1, 3, 64, 64}, 0, TOL},
    {"resnet50_dc5", "{\"type\":\"ResNet\",\"depth\":50,\"strides\":[1,2,2,1],\"dilations\":[1,1,1,2],\"out_indices\":[3]}", {1, 3, 64, 64}, 0, TOL},
    {"resnet50_out_order", "{\"type\":\"ResNet\",\"depth\":50,\"out_indices\":[3,1]}", {1, 3, 32, 32}, 0, TOL},
    {"resnet50_gn", "{\"type\":\"ResNet\",\"depth\":50,\"norm_cfg\":{\"type\":\"GN\",\"num_groups\":32,\"requires_grad\":true}}", {1, 3, 32, 32}, 0, TOL},
    {"resnet50v1d", "{\"type\":\"ResNetV1d\",\"depth\":50}", {1, 3, 64, 64}, 1, TOL},
    {"resnet18v1d", "{\"type\":\"ResNetV1d\",\"depth\":18}", {1, 3, 33, 35}, 0, TOL},
    {"resnet_stem_in4", "{\"type\":\"ResNet\",\"depth\":18,\"in_channels\":4,\"stem_channels\":32,\"base_channels\":32}", {1, 4, 40, 40}, 0, TOL},
    {"resnext50_32x4d", "{\"type\":\"ResNeXt\",\"depth\":50,\"groups\":32,\"base_width\":4}", {1, 3, 32, 32}, 1, TOL},
    {"resnext101_64x4d", "{\"type\":\"ResNeXt\",\"depth\":101,\"groups\":64,\"base_width\":4}", {1, 3, 32, 32}, 0, TOL},
    {"ghostnet_w10", "{\"type\":\"GhostNet\",\"width\":1.0}", {1, 3, 64, 64}, 1, TOL},
    {"ghostnet_w13_b2", "{\"type\":\"GhostNet\",\"width\":1.3,\"out_indices\":[1,3,5,7,9]}", {2, 3, 48, 40}, 0, TOL},
    {"ghost_resnet50", "{\"type\":\"ResNet\",\"depth\":50,\"conv_cfg\":{\"type\":\"Ghost\",\"ratio\":2,\"dw_size\":3,\"relu\":true}}", {1, 3, 64, 64}, 1, TOL},
};

size_t clbb_model_block_cases(const clbb_model_case **cases) {
    *cases = BLOCKS;
    return sizeof BLOCKS / sizeof BLOCKS[0];
}

size_t clbb_model_backbone_cases(const clbb_model_case **cases) {
    *cases = BACKBONES;
    return sizeof BACKBONES / sizeof BACKBONES[0];
}

clbb_status clbb_check_model_case(clbb_context *ctx, const clbb_model_case *c, uint64_t seed,
                                  clbb_model_result *r) {
    memset(r, 0, sizeof *r);
    clbb_model *m = NULL;
    float *x = NULL, *refs[CLBB_MAX_OUT_INDICES] = {0}, *dev = NULL;
    clbb_shape shapes[CLBB_MAX_OUT_INDICES];
    clbb_status st = clbb_model_create_from_json(ctx, c->json, strlen(c->json), &m);
    if (st == CLBB_OK) st = clbb__model_randomize(m, seed);
    size_t n = clbb_shape_numel(c->input);
    if (st == CLBB_OK && !(x = malloc(n * sizeof *x))) st = CLBB_ERR_OUT_OF_MEMORY;
    if (st == CLBB_OK) {
        uint64_t s = seed;
        clbb_check_fill(x, n, &s, -1, 1);
        st = clbb_model_forward(m, c->input, x);
    }
    if (st == CLBB_OK) st = clbb_model_forward_reference(m, c->input, x, refs, shapes);
    if (st != CLBB_OK) {
        snprintf(r->message, sizeof r->message, "%s: %s", clbb_status_string(st), clbb_last_error(ctx));
        goto done;
    }
    r->num_outputs = clbb_model_num_outputs(m);
    r->pass = 1;
    for (int i = 0; i < r->num_outputs; i++) {
        clbb_shape s;
        clbb_model_output_shape(m, i, &s);
        size_t cnt = clbb_shape_numel(s);
        free(dev);
        dev = malloc(cnt * sizeof *dev);
        if (!dev) {
            st = CLBB_ERR_OUT_OF_MEMORY;
            break;
        }
        if ((st = clbb_model_read_output(m, i, dev, cnt)) != CLBB_OK) {
            snprintf(r->message, sizeof r->message, "%s", clbb_last_error(ctx));
            break;
        }
        size_t bad = 0;
        for (size_t k = 0; k < cnt; k++) bad += !isfinite(dev[k]);
        double mx, e = clbb_check_rel_l2(dev, refs[i], cnt, &mx);
        if (!(e <= r->worst_rel_l2)) r->worst_rel_l2 = e;
        if (bad || !(e <= c->tolerance)) {
            r->pass = 0;
            snprintf(r->message, sizeof r->message,
                     "output %d (%dx%dx%dx%d): rel_l2 %.3g (tol %.1g), %zu non-finite", i, s.n,
                     s.c, s.h, s.w, e, c->tolerance, bad);
        }
    }
done:
    for (int i = 0; i < CLBB_MAX_OUT_INDICES; i++) free(refs[i]);
    free(dev);
    free(x);
    clbb_model_destroy(m);
    return st;
}

static int run_table(clbb_context *ctx, const char *title, const clbb_model_case *cases, size_t n,
                     int quick, uint64_t seed, int verbose, FILE *out) {
    int failed = 0;
    fprintf(out, "%-28s %7s %11s %9s  %s\n", title, "outputs", "max_rel_l2", "tolerance", "result");
    for (size_t i = 0; i < n; i++) {
        if (quick && !cases[i].quick) continue;
        clbb_model_result r;
        clbb_status st = clbb_check_model_case(ctx, &cases[i], seed + i, &r);
        int ok = st == CLBB_OK && r.pass;
        failed += !ok;
        fprintf(out, "%-28s %7d %11.3e %9.1e  %s%s%s\n", cases[i].name, r.num_outputs,
                r.worst_rel_l2, cases[i].tolerance, ok ? "pass" : "FAIL", ok ? "" : ": ",
                ok ? "" : r.message);
        (void)verbose;
    }
    return failed;
}

int clbb_check_blocks(clbb_context *ctx, int quick, uint64_t seed, int verbose, FILE *out) {
    const clbb_model_case *c;
    size_t n = clbb_model_block_cases(&c);
    return run_table(ctx, "block", c, n, quick, seed, verbose, out);
}

int clbb_check_models(clbb_context *ctx, int quick, uint64_t seed, int verbose, FILE *out) {
    const clbb_model_case *c;
    size_t n = clbb_model_backbone_cases(&c);
    return run_table(ctx, "backbone", c, n, quick, seed, verbose, out);
}
