/* Tests of the model config area: defaults, presets, MMDetection configs
 * carried over word for word, and one table row per invalid value (each
 * must fail with the expected status and a message naming the argument). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "clbb.h"

#define ERR_SIZE 1024

static clbb_status parse(const char *json, clbb_model_config *cfg, char *err) {
    return clbb_model_config_parse_json(json, strlen(json), cfg, err, ERR_SIZE);
}

/* Parses a config that must be valid and runnable. */
static void parse_ok(const char *json, clbb_model_config *cfg) {
    char err[ERR_SIZE] = "";
    clbb_status st = parse(json, cfg, err);
    cr_assert_eq(st, CLBB_OK, "%s\n-> %s: %s", json, clbb_status_string(st), err);
}

/* ------------------------------------------------------------------------ */
/* Defaults                                                                  */

Test(config, defaults_resnet) {
    clbb_model_config c;
    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    cr_expect_eq(c.type, CLBB_MODEL_RESNET);
    cr_expect_eq(c.depth, 50);
    cr_expect_eq(c.in_channels, 3);
    cr_expect_eq(c.stem_channels, 0);
    cr_expect_eq(c.base_channels, 64);
    cr_expect_eq(c.num_stages, 4);
    cr_expect_eq(c.num_strides, 4);
    cr_expect_eq(c.num_dilations, 4);
    const int strides[4] = {1, 2, 2, 2};
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(c.strides[i], strides[i]);
        cr_expect_eq(c.dilations[i], 1);
        cr_expect_eq(c.out_indices[i], i);
        cr_expect_eq(c.stage_with_dcn[i], 0);
    }
    cr_expect_eq(c.num_out_indices, 4);
    cr_expect_eq(c.num_stage_with_dcn, 4);
    cr_expect_eq(c.style_caffe, 0);
    cr_expect_eq(c.deep_stem, 0);
    cr_expect_eq(c.avg_down, 0);
    cr_expect_eq(c.frozen_stages, -1);
    cr_expect_eq(c.norm_type, CLBB_NORM_BN);
    cr_expect_float_eq(c.norm_eps, 1e-5f, 1e-12f);
    cr_expect_eq(c.norm_requires_grad, 1);
    cr_expect_eq(c.norm_eval, 1);
    cr_expect_eq(c.with_cp, 0);
    cr_expect_eq(c.zero_init_residual, 1);
    cr_expect_eq(c.ghost_conv, 0);
    cr_expect_eq(c.has_dcn, 0);
    cr_expect_eq(c.num_plugins, 0);
    cr_expect_str_eq(c.pretrained, "");
    char err[ERR_SIZE];
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
}

Test(config, defaults_other_types) {
    clbb_model_config c;
    char err[ERR_SIZE];
    clbb_model_config_init(&c, CLBB_MODEL_RESNET_V1D);
    cr_expect_eq(c.deep_stem, 1);
    cr_expect_eq(c.avg_down, 1);
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNEXT);
    cr_expect_eq(c.groups, 1);
    cr_expect_eq(c.base_width, 4);
    cr_expect_eq(c.deep_stem, 0);
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_GHOSTNET);
    cr_expect_float_eq(c.width, 1.0f, 1e-7f);
    cr_expect_eq(c.in_channels, 3);
    cr_expect_eq(c.num_out_indices, 4);
    const int outs[4] = {2, 4, 6, 9};
    for (int i = 0; i < 4; i++) cr_expect_eq(c.out_indices[i], outs[i]);
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
}

Test(config, json_defaults_match_init) {
    clbb_model_config a, b;
    clbb_model_config_init(&a, CLBB_MODEL_RESNET);
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50}", &b);
    cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
    clbb_model_config_init(&a, CLBB_MODEL_GHOSTNET);
    parse_ok("{\"type\": \"GhostNet\"}", &b);
    cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
    clbb_model_config_init(&a, CLBB_MODEL_RESNET_V1D);
    a.depth = 18;
    parse_ok("{\"type\": \"ResNetV1d\", \"depth\": 18}", &b);
    cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
}

/* ------------------------------------------------------------------------ */
/* Presets                                                                   */

Test(config, every_preset_validates) {
    const char *const *names = clbb_model_preset_names();
    int count = 0;
    for (; names[count]; count++) {
        clbb_model_config c;
        char err[ERR_SIZE];
        cr_assert_eq(clbb_model_config_preset(names[count], &c), CLBB_OK, "%s", names[count]);
        cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s: %s",
                     names[count], err);
    }
    cr_expect_eq(count, 26); /* 18 backbones, 3 with dcn, 5 ResNet-50s with plugins */
}

Test(config, preset_values) {
    static const struct {
        const char *name;
        clbb_model_type type;
        int depth, groups, base_width, ghost;
        float width;
    } rows[] = {
        {"resnet18", CLBB_MODEL_RESNET, 18, 1, 4, 0, 1.0f},
        {"resnet34", CLBB_MODEL_RESNET, 34, 1, 4, 0, 1.0f},
        {"resnet50", CLBB_MODEL_RESNET, 50, 1, 4, 0, 1.0f},
        {"resnet101", CLBB_MODEL_RESNET, 101, 1, 4, 0, 1.0f},
        {"resnet152", CLBB_MODEL_RESNET, 152, 1, 4, 0, 1.0f},
        {"resnet18v1d", CLBB_MODEL_RESNET_V1D, 18, 1, 4, 0, 1.0f},
        {"resnet34v1d", CLBB_MODEL_RESNET_V1D, 34, 1, 4, 0, 1.0f},
        {"resnet50v1d", CLBB_MODEL_RESNET_V1D, 50, 1, 4, 0, 1.0f},
        {"resnet101v1d", CLBB_MODEL_RESNET_V1D, 101, 1, 4, 0, 1.0f},
        {"resnet152v1d", CLBB_MODEL_RESNET_V1D, 152, 1, 4, 0, 1.0f},
        {"resnext50_32x4d", CLBB_MODEL_RESNEXT, 50, 32, 4, 0, 1.0f},
        {"resnext101_32x4d", CLBB_MODEL_RESNEXT, 101, 32, 4, 0, 1.0f},
        {"resnext101_64x4d", CLBB_MODEL_RESNEXT, 101, 64, 4, 0, 1.0f},
        {"resnext101_32x8d", CLBB_MODEL_RESNEXT, 101, 32, 8, 0, 1.0f},
        {"ghostnet", CLBB_MODEL_GHOSTNET, 0, 0, 0, 0, 1.0f},
        {"ghostnet_050", CLBB_MODEL_GHOSTNET, 0, 0, 0, 0, 0.5f},
        {"ghostnet_130", CLBB_MODEL_GHOSTNET, 0, 0, 0, 0, 1.3f},
        {"ghost_resnet50", CLBB_MODEL_RESNET, 50, 1, 4, 1, 1.0f},
        {"resnet50_dcn_c3c5", CLBB_MODEL_RESNET, 50, 1, 4, 0, 1.0f},
        {"resnet50_dcnv2_c3c5", CLBB_MODEL_RESNET, 50, 1, 4, 0, 1.0f},
        {"resnet101_dcn_c3c5", CLBB_MODEL_RESNET, 101, 1, 4, 0, 1.0f},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        clbb_model_config c;
        cr_assert_eq(clbb_model_config_preset(rows[i].name, &c), CLBB_OK, "%s", rows[i].name);
        cr_expect_eq(c.type, rows[i].type, "%s", rows[i].name);
        if (rows[i].type == CLBB_MODEL_GHOSTNET) {
            cr_expect_float_eq(c.width, rows[i].width, 1e-6f, "%s", rows[i].name);
            cr_expect_eq(c.num_out_indices, 4, "%s", rows[i].name);
            continue;
        }
        cr_expect_eq(c.depth, rows[i].depth, "%s", rows[i].name);
        cr_expect_eq(c.groups, rows[i].groups, "%s", rows[i].name);
        cr_expect_eq(c.base_width, rows[i].base_width, "%s", rows[i].name);
        cr_expect_eq(c.ghost_conv, rows[i].ghost, "%s", rows[i].name);
        cr_expect_eq(c.deep_stem, rows[i].type == CLBB_MODEL_RESNET_V1D, "%s", rows[i].name);
        cr_expect_eq(c.avg_down, rows[i].type == CLBB_MODEL_RESNET_V1D, "%s", rows[i].name);
        if (rows[i].ghost) {
            cr_expect_eq(c.ghost_ratio, 2);
            cr_expect_eq(c.ghost_dw_size, 3);
            cr_expect_eq(c.ghost_relu, 1);
        }
    }
}

Test(config, preset_unknown_name) {
    clbb_model_config c;
    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    cr_expect_eq(clbb_model_config_preset("resnet51", &c), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_preset("resnet50d", &c), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_preset("", &c), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_preset(NULL, &c), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_preset("resnet50", NULL), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(c.depth, 50, "a failed preset leaves the config alone");
}

/* ------------------------------------------------------------------------ */
/* MMDetection configs, carried over verbatim                                */

/* configs/faster_rcnn/faster-rcnn_r50-caffe_fpn_1x_coco.py */
Test(config, mmdet_faster_rcnn_r50_caffe) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"
             " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": false},"
             " \"norm_eval\": true, \"style\": \"caffe\", \"init_cfg\": {\"type\": \"Pretrained\","
             " \"checkpoint\": \"open-mmlab://detectron2/resnet50_caffe\"}}",
             &c);
    cr_expect_eq(c.depth, 50);
    cr_expect_eq(c.style_caffe, 1);
    cr_expect_eq(c.frozen_stages, 1);
    cr_expect_eq(c.norm_type, CLBB_NORM_BN);
    cr_expect_eq(c.norm_requires_grad, 0);
    cr_expect_float_eq(c.norm_eps, 1e-5f, 1e-12f);
    cr_expect_eq(c.norm_eval, 1);
    cr_expect_str_eq(c.pretrained, "open-mmlab://detectron2/resnet50_caffe");
}

/* configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py (_base_ model) */
Test(config, mmdet_faster_rcnn_r50_pytorch) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"
             " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": true},"
             " \"norm_eval\": true, \"style\": \"pytorch\","
             " \"init_cfg\": {\"type\": \"Pretrained\", \"checkpoint\": \"torchvision://resnet50\"}}",
             &c);
    cr_expect_eq(c.style_caffe, 0);
    cr_expect_eq(c.norm_requires_grad, 1);
    cr_expect_str_eq(c.pretrained, "torchvision://resnet50");
}

/* configs/_base_/models/faster-rcnn_r50-caffe-c4.py */
Test(config, mmdet_c4) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 3, \"strides\": [1, 2, 2],"
             " \"dilations\": [1, 1, 1], \"out_indices\": [2], \"frozen_stages\": 1,"
             " \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": false}, \"norm_eval\": true,"
             " \"style\": \"caffe\", \"init_cfg\": {\"type\": \"Pretrained\","
             " \"checkpoint\": \"open-mmlab://detectron2/resnet50_caffe\"}}",
             &c);
    cr_expect_eq(c.num_stages, 3);
    cr_expect_eq(c.num_strides, 3);
    cr_expect_eq(c.num_dilations, 3);
    cr_expect_eq(c.num_out_indices, 1);
    cr_expect_eq(c.out_indices[0], 2);
}

/* configs/_base_/models/faster-rcnn_r50-caffe-dc5.py */
Test(config, mmdet_dc5) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"strides\": [1, 2, 2, 1],"
             " \"dilations\": [1, 1, 1, 2], \"out_indices\": [3], \"frozen_stages\": 1,"
             " \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": false}, \"norm_eval\": true,"
             " \"style\": \"caffe\", \"init_cfg\": {\"type\": \"Pretrained\","
             " \"checkpoint\": \"open-mmlab://detectron2/resnet50_caffe\"}}",
             &c);
    cr_expect_eq(c.strides[3], 1);
    cr_expect_eq(c.dilations[3], 2);
    cr_expect_eq(c.num_out_indices, 1);
    cr_expect_eq(c.out_indices[0], 3);
}

/* configs/mask_rcnn/mask-rcnn_x101-32x8d_fpn_ms-poly-3x_coco.py */
Test(config, mmdet_resnext101_32x8d_detectron2) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNeXt\", \"depth\": 101, \"groups\": 32, \"base_width\": 8,"
             " \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3], \"frozen_stages\": 1,"
             " \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": false}, \"style\": \"pytorch\","
             " \"init_cfg\": {\"type\": \"Pretrained\","
             " \"checkpoint\": \"open-mmlab://detectron2/resnext101_32x8d\"}}",
             &c);
    cr_expect_eq(c.type, CLBB_MODEL_RESNEXT);
    cr_expect_eq(c.depth, 101);
    cr_expect_eq(c.groups, 32);
    cr_expect_eq(c.base_width, 8);
    cr_expect_str_eq(c.pretrained, "open-mmlab://detectron2/resnext101_32x8d");
}

/* configs/gn/mask-rcnn_r50_fpn_gn-all_2x_coco.py */
Test(config, mmdet_gn) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"
             " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 32,"
             " \"requires_grad\": true}, \"norm_eval\": true, \"style\": \"pytorch\","
             " \"init_cfg\": {\"type\": \"Pretrained\","
             " \"checkpoint\": \"open-mmlab://detectron/resnet50_gn\"}}",
             &c);
    cr_expect_eq(c.norm_type, CLBB_NORM_GN);
    cr_expect_eq(c.norm_num_groups, 32);
    cr_expect_float_eq(c.norm_eps, 1e-5f, 1e-12f);
}

/* configs/nas_fcos: the one config with eps=0 */
Test(config, mmdet_nas_fcos_eps0) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"
             " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": false,"
             " \"eps\": 0}, \"style\": \"caffe\", \"init_cfg\": {\"type\": \"Pretrained\","
             " \"checkpoint\": \"open-mmlab://detectron2/resnet50_caffe\"}}",
             &c);
    cr_expect_eq(c.norm_eps, 0.0f);
}

/* configs/dcn/faster-rcnn_r50-dconv-c3-c5_fpn_1x_coco.py (the same dict as
 * examples/configs/faster-rcnn_r50-dconv-c3-c5.json) */
Test(config, mmdet_dcn_c3c5) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"
             " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": true},"
             " \"norm_eval\": true, \"style\": \"pytorch\", \"dcn\": {\"type\": \"DCN\","
             " \"deform_groups\": 1, \"fallback_on_stride\": false},"
             " \"stage_with_dcn\": [false, true, true, true],"
             " \"init_cfg\": {\"type\": \"Pretrained\", \"checkpoint\": \"torchvision://resnet50\"}}",
             &c);
    cr_expect_eq(c.has_dcn, 1);
    cr_expect_str_eq(c.dcn_type, "DCN");
    cr_expect_eq(c.dcn_deform_groups, 1);
    cr_expect_eq(c.dcn_fallback_on_stride, 0);
    cr_expect_eq(c.stage_with_dcn[0], 0);
    cr_expect_eq(c.stage_with_dcn[1], 1);
    cr_expect_eq(c.stage_with_dcn[3], 1);
    char err[ERR_SIZE];
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
    /* the preset is the same backbone */
    clbb_model_config p;
    cr_assert_eq(clbb_model_config_preset("resnet50_dcn_c3c5", &p), CLBB_OK);
    cr_expect_eq(p.has_dcn, 1);
    cr_expect_str_eq(p.dcn_type, "DCN");
    cr_expect_eq(p.dcn_deform_groups, 1);
    for (int i = 0; i < 4; i++) cr_expect_eq(p.stage_with_dcn[i], c.stage_with_dcn[i]);
}

/* configs/dcnv2/faster-rcnn_r50-mdconv-c3-c5_fpn_1x_coco.py, and the other
 * arguments: deform_groups, fallback_on_stride, ResNeXt */
Test(config, mmdet_dcnv2_arguments) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 101, \"dcn\": {\"type\": \"DCNv2\","
             " \"deform_groups\": 4, \"fallback_on_stride\": true},"
             " \"stage_with_dcn\": [false, true, true, true]}",
             &c);
    cr_expect_str_eq(c.dcn_type, "DCNv2");
    cr_expect_eq(c.dcn_deform_groups, 4);
    cr_expect_eq(c.dcn_fallback_on_stride, 1);
    parse_ok("{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 32, \"base_width\": 4,"
             " \"dcn\": {\"type\": \"DCN\", \"deform_groups\": 2},"
             " \"stage_with_dcn\": [true, true, true, true]}",
             &c);
    cr_expect_eq(c.dcn_deform_groups, 2);
    /* null dcn: none, defaults back */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"dcn\": null}", &c);
    cr_expect_eq(c.has_dcn, 0);
    cr_expect_eq(c.dcn_deform_groups, 1);
    /* fallback_on_stride with conv_cfg: the first DCN block (layer2.0)
     * pops it and keeps a plain conv2, so a single-block DCN stage takes
     * conv_cfg; with a second block the assert fires (SPEC A 1.6) */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 1, \"strides\": [1],"
             " \"dilations\": [1], \"out_indices\": [0], \"conv_cfg\": {\"type\": \"Conv\"},"
             " \"dcn\": {\"type\": \"DCN\", \"fallback_on_stride\": true},"
             " \"stage_with_dcn\": [false]}",
             &c);
}

Test(config, dcn_struct_refusals) {
    clbb_model_config c;
    char err[ERR_SIZE];
    cr_assert_eq(clbb_model_config_preset("resnet50_dcnv2_c3c5", &c), CLBB_OK);
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
    snprintf(c.dcn_type, sizeof c.dcn_type, "DCNv3");
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_UNSUPPORTED);
    cr_expect(strstr(err, "'dcn.type'") != NULL, "%s", err);
    snprintf(c.dcn_type, sizeof c.dcn_type, "DCN");
    c.dcn_deform_groups = 0;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'dcn.deform_groups'") != NULL, "%s", err);
    c.dcn_deform_groups = 3;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'dcn.deform_groups'") != NULL, "%s", err);
    c.dcn_deform_groups = 1;
    c.ghost_conv = 1; /* conv_cfg Ghost */
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "conv_cfg must be None for DCN") != NULL, "%s", err);
    c.ghost_conv = 0;
    c.depth = 18; /* BasicBlock */
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'dcn'") != NULL, "%s", err);
}

/* configs/gcnet/mask-rcnn_r50-gcb-r4-c3-c5_fpn_1x_coco.py */
Test(config, mmdet_gcnet_plugins) {
    clbb_model_config c;
    const char *json =
        "{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"
        " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": true},"
        " \"norm_eval\": true, \"style\": \"pytorch\","
        " \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\", \"ratio\": 0.25},"
        " \"stages\": [false, true, true, true], \"position\": \"after_conv3\"}],"
        " \"init_cfg\": {\"type\": \"Pretrained\", \"checkpoint\": \"torchvision://resnet50\"}}";
    parse_ok(json, &c);
    cr_expect_eq(c.num_plugins, 1);
    cr_expect_str_eq(c.plugins[0].type, "ContextBlock");
    cr_expect_eq(c.plugins[0].position, 3);
    cr_expect_eq(c.plugins[0].num_stages, 4);
    cr_expect_eq(c.plugins[0].stages[0], 0);
    cr_expect_eq(c.plugins[0].stages[3], 1);
    cr_expect_eq(c.plugins[0].ratio, 0.25);
    /* mmcv's defaults: pooling_type='att', fusion_types=('channel_add',) */
    cr_expect_eq(c.plugins[0].pooling_att, 1);
    cr_expect_eq(c.plugins[0].fusion_add, 1);
    cr_expect_eq(c.plugins[0].fusion_mul, 0);
    cr_expect_str_eq(c.plugins[0].postfix, "");
    /* the struct path reaches the same verdict, and so does the preset */
    char err[ERR_SIZE] = "";
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
    clbb_model_config p;
    cr_assert_eq(clbb_model_config_preset("resnet50_gcb_r4_c3c5", &p), CLBB_OK);
    cr_expect_eq(p.num_plugins, 1);
    cr_expect_eq(p.plugins[0].ratio, 0.25);
    cr_expect_eq(memcmp(p.plugins[0].stages, c.plugins[0].stages, sizeof p.plugins[0].stages), 0);
    cr_expect_eq(clbb_model_config_validate(&p, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(clbb_model_config_preset("resnet50_gcb_r16_c3c5", &p), CLBB_OK);
    cr_expect_eq(p.plugins[0].ratio, 1.0 / 16);
    cr_assert_eq(clbb_model_config_preset("resnet50_nonlocal_c4", &p), CLBB_OK);
    cr_expect_str_eq(p.plugins[0].type, "NonLocal2d");
    cr_expect_eq(p.plugins[0].stages[2], 1);
    cr_expect_eq(p.plugins[0].stages[3], 0);
    cr_expect_eq(clbb_model_config_validate(&p, err, sizeof err), CLBB_OK, "%s", err);
}

/* Every argument of the three plugin types: mmcv's defaults when absent,
 * the given value when present. */
Test(config, plugin_arguments_and_defaults) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"plugins\": ["
             "{\"cfg\": {\"type\": \"NonLocal2d\"}, \"position\": \"after_conv3\"},"
             "{\"cfg\": {\"type\": \"NonLocal2d\", \"reduction\": 4, \"use_scale\": false,"
             " \"conv_cfg\": {\"type\": \"Conv2d\"}, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": true,"
             " \"eps\": 1e-5, \"momentum\": 0.1}, \"mode\": \"concatenation\", \"sub_sample\": true,"
             " \"std\": 0.02, \"zeros_init\": false, \"postfix\": \"_b\"}, \"position\": \"after_conv3\"},"
             "{\"cfg\": {\"type\": \"ContextBlock\", \"ratio\": 0.0625, \"pooling_type\": \"avg\","
             " \"fusion_types\": [\"channel_mul\"]}, \"position\": \"after_conv1\"},"
             "{\"cfg\": {\"type\": \"NonLocal2d\", \"conv_cfg\": null, \"norm_cfg\": null,"
             " \"mode\": \"gaussian\", \"reduction\": -3, \"postfix\": 3}, \"position\": \"after_conv2\"}]}",
             &c);
    cr_assert_eq(c.num_plugins, 4);
    const clbb_plugin_config *d = &c.plugins[0], *e = &c.plugins[1], *cb = &c.plugins[2], *g = &c.plugins[3];
    cr_expect_eq(d->reduction, 2);
    cr_expect_eq(d->use_scale, 1);
    cr_expect_eq(d->sub_sample, 0);
    cr_expect_eq(d->nl_norm_bn, 0);
    cr_expect_str_eq(d->mode, "embedded_gaussian");
    cr_expect_eq(e->reduction, 4);
    cr_expect_eq(e->use_scale, 0);
    cr_expect_eq(e->sub_sample, 1);
    cr_expect_eq(e->nl_norm_bn, 1);
    cr_expect_str_eq(e->mode, "concatenation");
    cr_expect_str_eq(e->postfix, "_b");
    cr_expect_eq(cb->ratio, 0.0625);
    cr_expect_eq(cb->pooling_att, 0);
    cr_expect_eq(cb->fusion_add, 0);
    cr_expect_eq(cb->fusion_mul, 1);
    cr_expect_str_eq(g->mode, "gaussian");
    cr_expect_eq(g->reduction, -3, "floor division: max(C // -3, 1) = 1 channel, valid in mmcv");
    cr_expect_str_eq(g->postfix, "3");

    char err[ERR_SIZE] = "";
    cr_expect_eq(parse("{\"type\": \"ResNet\", \"depth\": 50, \"plugins\": [{\"cfg\": {\"type\":"
                       " \"GeneralizedAttention\"}, \"position\": \"after_conv2\"}]}",
                       &c, err),
                 CLBB_OK, "%s", err);
    const clbb_plugin_config *a = &c.plugins[0];
    cr_expect_eq(a->spatial_range, -1);
    cr_expect_eq(a->num_heads, 9);
    cr_expect_eq(a->position_embedding_dim, -1);
    cr_expect_eq(a->position_magnitude, 1);
    cr_expect_eq(a->kv_stride, 2);
    cr_expect_eq(a->q_stride, 1);
    cr_expect_str_eq(a->attention_type, "1111");
    cr_expect_eq(parse("{\"type\": \"ResNet\", \"depth\": 50, \"plugins\": [{\"cfg\": {\"type\":"
                       " \"GeneralizedAttention\", \"spatial_range\": 5, \"num_heads\": 8,"
                       " \"position_embedding_dim\": 32, \"position_magnitude\": 2, \"kv_stride\": 4,"
                       " \"q_stride\": 2, \"attention_type\": \"0120\"}, \"position\": \"after_conv2\"}]}",
                       &c, err),
                 CLBB_OK, "%s", err);
    cr_expect_eq(a->spatial_range, 5);
    cr_expect_eq(a->num_heads, 8);
    cr_expect_eq(a->position_embedding_dim, 32);
    cr_expect_eq(a->position_magnitude, 2);
    cr_expect_eq(a->kv_stride, 4);
    cr_expect_eq(a->q_stride, 2);
    cr_expect_str_eq(a->attention_type, "0110", "mmcv reads bool(int(c))");

    /* a plugin that no active stage builds is not validated (make_stage_plugins
     * filters by stage first) */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"plugins\": [{\"cfg\": {\"type\":"
             " \"ContextBlock\", \"ratio\": 0.001}, \"stages\": [false, false, false, false],"
             " \"position\": \"after_conv3\"}]}",
             &c);
    /* in_channels per position: int(16 * 0.07) = 1 after conv1 of layer1,
     * but the ResNeXt width 32 (groups 4, base_width 8) gives 2; after conv3
     * planes * 4 = 64 */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"base_channels\": 16, \"plugins\": [{\"cfg\":"
             " {\"type\": \"ContextBlock\", \"ratio\": 0.07}, \"position\": \"after_conv1\"}]}",
             &c);
    cr_expect_eq(parse("{\"type\": \"ResNet\", \"depth\": 50, \"base_channels\": 16, \"plugins\":"
                       " [{\"cfg\": {\"type\": \"ContextBlock\", \"ratio\": 0.05}, \"position\":"
                       " \"after_conv2\"}]}",
                       &c, err),
                 CLBB_ERR_UNSUPPORTED, "%s", err);
    cr_expect(strstr(err, "int(16 * 0.05)") != NULL, "%s", err);
    parse_ok("{\"type\": \"ResNeXt\", \"depth\": 50, \"base_channels\": 16, \"groups\": 4,"
             " \"base_width\": 8, \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\", \"ratio\": 0.05},"
             " \"position\": \"after_conv2\"}]}",
             &c);
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"base_channels\": 16, \"plugins\": [{\"cfg\":"
             " {\"type\": \"ContextBlock\", \"ratio\": 0.05}, \"position\": \"after_conv3\"}]}",
             &c);
}

/* configs/empirical_attention/faster-rcnn_r50-attn1111_fpn_1x_coco.py */
Test(config, mmdet_empirical_attention) {
    clbb_model_config c;
    const char *json =
        "{\"type\": \"ResNet\", \"depth\": 50, \"plugins\": [{\"cfg\": {\"type\":"
        " \"GeneralizedAttention\", \"spatial_range\": -1, \"num_heads\": 8,"
        " \"attention_type\": \"1111\", \"kv_stride\": 2}, \"stages\": [false, false, true, true],"
        " \"position\": \"after_conv2\"}]}";
    parse_ok(json, &c);
    cr_expect_eq(c.plugins[0].position, 2);
    cr_expect_eq(c.plugins[0].num_heads, 8);
    cr_expect_eq(c.plugins[0].kv_stride, 2);
    cr_expect_eq(c.plugins[0].spatial_range, -1);
    cr_expect_str_eq(c.plugins[0].attention_type, "1111");
    /* the preset is the same config */
    clbb_model_config p;
    cr_assert_eq(clbb_model_config_preset("resnet50_attn1111_c4c5", &p), CLBB_OK);
    cr_expect_eq(p.plugins[0].num_heads, 8);
    cr_expect_eq(p.plugins[0].kv_stride, 2);
    cr_expect_eq(p.plugins[0].position, 2);
    cr_expect_eq(p.plugins[0].stages[1] * 2 + p.plugins[0].stages[2], 1);
    cr_expect_str_eq(p.plugins[0].attention_type, "1111");
    cr_assert_eq(clbb_model_config_preset("resnet50_attn0010_c4c5", &p), CLBB_OK);
    cr_expect_str_eq(p.plugins[0].attention_type, "0010");
}

/* ------------------------------------------------------------------------ */
/* Behaviour reproduced from MMDetection                                     */

Test(config, style_ignored_by_basic_block) {
    clbb_model_config c;
    /* BasicBlock never asserts the style; Bottleneck does. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 18, \"style\": \"tensorflow\"}", &c);
    cr_expect_eq(c.style_caffe, 0);
    parse_ok("{\"type\": \"ResNetV1d\", \"depth\": 34, \"style\": \"\"}", &c);
    char err[ERR_SIZE] = "";
    cr_expect_eq(parse("{\"type\": \"ResNet\", \"depth\": 50, \"style\": \"tensorflow\"}", &c, err),
                 CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'style'") && strstr(err, "tensorflow"), "%s", err);
}

Test(config, duplicate_out_indices_accepted) {
    clbb_model_config c;
    /* MMDetection tests `i in out_indices`; a repeated stage is output once. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"out_indices\": [3, 0, 3]}", &c);
    cr_expect_eq(c.num_out_indices, 3);
    cr_expect_eq(c.out_indices[0], 3, "stored as given");
    cr_expect_eq(c.out_indices[1], 0);
}

Test(config, accepted_edge_cases) {
    clbb_model_config c;
    /* JSON has one number type: 50.0 is the integer 50. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50.0}", &c);
    cr_expect_eq(c.depth, 50);
    /* dcn given but in no stage builds no DCN, even for BasicBlock. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 18, \"dcn\": {\"type\": \"DCN\"},"
             " \"stage_with_dcn\": [false, false, false, false]}",
             &c);
    cr_expect_eq(c.has_dcn, 1);
    /* Without dcn, stage_with_dcn is only indexed: a longer one is fine. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"stage_with_dcn\":"
             " [false, false, false, false, true]}",
             &c);
    /* An empty plugin list builds nothing in a Bottleneck. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"plugins\": []}", &c);
    cr_expect_eq(c.num_plugins, 0);
    /* pretrained: a str becomes init_cfg Pretrained. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"pretrained\": \"r50.safetensors\"}", &c);
    cr_expect_str_eq(c.pretrained, "r50.safetensors");
    /* Both given but one empty: the assert tests truthiness. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"pretrained\": null, \"init_cfg\": null}", &c);
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"pretrained\": \"\", \"init_cfg\": []}", &c);
    /* A list of init dicts describes a random init. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"init_cfg\": [{\"type\": \"Kaiming\","
             " \"layer\": \"Conv2d\"}, {\"type\": \"Constant\", \"val\": 1, \"layer\":"
             " [\"_BatchNorm\", \"GroupNorm\"]}]}",
             &c);
    cr_expect_str_eq(c.pretrained, "");
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"init_cfg\": {\"type\": \"Pretrained\","
             " \"prefix\": \"backbone.\", \"checkpoint\": \"det.safetensors\"}}",
             &c);
    cr_expect_str_eq(c.pretrained, "det.safetensors");
    /* Training-only arguments. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 101, \"frozen_stages\": 4, \"norm_eval\": false,"
             " \"with_cp\": true, \"zero_init_residual\": false, \"norm_cfg\": {\"type\":"
             " \"SyncBN\", \"requires_grad\": true, \"momentum\": 0.01}}",
             &c);
    cr_expect_eq(c.norm_type, CLBB_NORM_SYNCBN);
    cr_expect_eq(c.with_cp, 1);
    cr_expect_eq(c.norm_eval, 0);
    cr_expect_eq(c.zero_init_residual, 0);
    /* stem_channels, deep_stem, avg_down on plain ResNet. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"stem_channels\": 32, \"deep_stem\": true,"
             " \"avg_down\": true, \"base_channels\": 32, \"in_channels\": 1}",
             &c);
    cr_expect_eq(c.stem_channels, 32);
    cr_expect_eq(c.deep_stem, 1);
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"stem_channels\": null}", &c);
    cr_expect_eq(c.stem_channels, 0);
    /* Ghost convs, the plain conv spellings, GN that divides everything. */
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"conv_cfg\": {\"type\": \"Ghost\","
             " \"ratio\": 4, \"dw_size\": 5, \"relu\": false}}",
             &c);
    cr_expect_eq(c.ghost_conv, 1);
    cr_expect_eq(c.ghost_ratio, 4);
    cr_expect_eq(c.ghost_dw_size, 5);
    cr_expect_eq(c.ghost_relu, 0);
    parse_ok("{\"type\": \"ResNet\", \"depth\": 50, \"conv_cfg\": {\"type\": \"Conv2d\"}}", &c);
    cr_expect_eq(c.ghost_conv, 0);
    parse_ok("{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 32, \"base_width\": 4,"
             " \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 32}}",
             &c);
    /* GhostNet. */
    parse_ok("{\"type\": \"GhostNet\", \"width\": 1.3, \"in_channels\": 3,"
             " \"out_indices\": [9, 2]}",
             &c);
    cr_expect_float_eq(c.width, 1.3f, 1e-6f);
    cr_expect_eq(c.out_indices[0], 9);
    /* Whitespace and a trailing NUL after the object. */
    const char buf[] = " {\"type\": \"GhostNet\"}\n";
    cr_expect_eq(clbb_model_config_parse_json(buf, sizeof buf, &c, NULL, 0), CLBB_OK);
}

Test(config, null_arguments_and_small_errbuf) {
    clbb_model_config c;
    char err[8];
    cr_expect_eq(clbb_model_config_parse_json(NULL, 3, &c, NULL, 0), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_parse_json("{}", 2, NULL, NULL, 0), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_validate(NULL, NULL, 0), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_parse_json("{\"type\": 1}", 11, &c, NULL, 0), CLBB_ERR_CONFIG);
    cr_expect_eq(clbb_model_config_parse_json("{\"type\": 1}", 11, &c, err, sizeof err),
                 CLBB_ERR_CONFIG);
    cr_expect_eq(strlen(err), sizeof err - 1, "truncated, NUL-terminated");
    clbb_model_config_init(NULL, CLBB_MODEL_RESNET); /* no crash */
}

Test(config, validate_struct_path) {
    clbb_model_config c;
    char err[ERR_SIZE];
    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.style_caffe = 7;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'style'") != NULL, "%s", err);
    c.depth = 18;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.num_plugins = 9;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'plugins'") != NULL, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.type = (clbb_model_type)9;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'type'") != NULL, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET_V1D);
    c.deep_stem = 0;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "deep_stem") != NULL, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.norm_type = CLBB_NORM_GN;
    c.norm_num_groups = 0;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "num_groups") != NULL, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.num_out_indices = 11;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_UNSUPPORTED);
    cr_expect(strstr(err, "out_indices") != NULL, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.num_plugins = 1;
    snprintf(c.plugins[0].type, sizeof c.plugins[0].type, "NonLocal2d");
    c.plugins[0].position = 0;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "position") != NULL, "%s", err);
    c.plugins[0].position = 1;
    /* a zeroed struct holds no mode: the type's arguments are checked too */
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.mode'") != NULL, "%s", err);
    snprintf(c.plugins[0].mode, sizeof c.plugins[0].mode, "dot_product");
    c.plugins[0].reduction = 2;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
    c.plugins[0].use_scale = 2;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.use_scale'") != NULL, "%s", err);
    c.plugins[0].use_scale = 1;
    c.plugins[0].reduction = 0;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.reduction'") != NULL, "%s", err);

    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.num_plugins = 1;
    snprintf(c.plugins[0].type, sizeof c.plugins[0].type, "ContextBlock");
    c.plugins[0].position = 3;
    c.plugins[0].ratio = NAN;
    c.plugins[0].pooling_att = 1;
    c.plugins[0].fusion_add = 1;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.ratio' is required") != NULL, "%s", err);
    c.plugins[0].ratio = 0.25;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_OK, "%s", err);
    c.plugins[0].fusion_add = 0;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.fusion_types'") != NULL, "%s", err);
    c.plugins[0].fusion_mul = 1;
    c.plugins[0].pooling_att = 3;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.pooling_type'") != NULL, "%s", err);
    c.plugins[0].pooling_att = 0;
    c.plugins[0].ratio = INFINITY;
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG, "%s", err);
    cr_expect(strstr(err, "'plugins[0].cfg.ratio'") != NULL, "%s", err);
}

/* ------------------------------------------------------------------------ */
/* Every invalid value                                                       */

typedef struct bad_row {
    const char *json;
    clbb_status status;
    const char *needle; /* the message must contain it: the argument's name */
} bad_row;

#define R50 "\"type\": \"ResNet\", \"depth\": 50"
#define CFG CLBB_ERR_CONFIG
#define UNS CLBB_ERR_UNSUPPORTED
#define PLUGIN(type, pos) "{\"cfg\": {\"type\": \"" type "\"}, \"position\": \"" pos "\"}"
#define GA(args) "{\"cfg\": {\"type\": \"GeneralizedAttention\", " args "}, \"position\": \"after_conv2\"}"
#define CB(ratio, pos) "{\"cfg\": {\"type\": \"ContextBlock\", \"ratio\": " #ratio "}, \"position\": \"" pos "\"}"
#define CBX(args) "{\"cfg\": {\"type\": \"ContextBlock\", " args "}, \"position\": \"after_conv3\"}"
#define NLX(args) "{\"cfg\": {\"type\": \"NonLocal2d\", " args "}, \"position\": \"after_conv3\"}"
#define GAX(args) "{\"cfg\": {\"type\": \"GeneralizedAttention\", " args "}, \"position\": \"after_conv2\"}"

static const bad_row bad_rows[] = {
    /* JSON text and shape */
    {"", CFG, "JSON"},
    {"{\"type\": \"ResNet\", \"depth\": 50", CFG, "malformed"},
    {"{\"type\": \"ResNet\", \"depth\": 50} {}", CFG, "extra data"},
    {"{\"type\": \"ResNet\" \"depth\": 50}", CFG, "malformed"},
    {"[1, 2]", CFG, "JSON object"},
    {"null", CFG, "JSON object"},
    {"{}", CFG, "'type'"},
    {"{\"depth\": 50}", CFG, "'type'"},
    {"{\"type\": 5, \"depth\": 50}", CFG, "'type'"},
    {"{\"type\": \"ResNet50\", \"depth\": 50}", CFG, "'type'"},
    {"{\"type\": \"resnet\", \"depth\": 50}", CFG, "'type'"},
    {"{\"type\": \"RegNet\"}", UNS, "'type'"},
    {"{\"type\": \"ResNet\"}", CFG, "'depth'"},
    /* ResNet._freeze_stages() reaches layer{frozen_stages} */
    {"{" R50 ", \"frozen_stages\": 7}", CFG, "'frozen_stages' = 7"},
    {"{" R50 ", \"frozen_stages\": 5}", CFG, "num_stages = 4"},
    {"{\"type\": \"ResNetV1d\", \"depth\": 50, \"num_stages\": 3, \"strides\": [1, 2, 2],"
     " \"dilations\": [1, 1, 1], \"out_indices\": [2], \"frozen_stages\": 4}", CFG,
     "'frozen_stages'"},
    /* unknown and repeated keys */
    {"{" R50 ", \"foo\": 1}", CFG, "'foo'"},
    {"{" R50 ", \"groups\": 32}", CFG, "'groups'"},
    {"{" R50 ", \"width\": 1.0}", CFG, "'width'"},
    {"{\"type\": \"GhostNet\", \"depth\": 50}", CFG, "'depth'"},
    {"{\"type\": \"GhostNet\", \"style\": \"caffe\"}", CFG, "'style'"},
    {"{" R50 ", \"depth\": 101}", CFG, "'depth'"},
    /* wrong JSON types */
    {"{\"type\": \"ResNet\", \"depth\": \"50\"}", CFG, "'depth'"},
    {"{\"type\": \"ResNet\", \"depth\": 50.5}", CFG, "'depth'"},
    {"{\"type\": \"ResNet\", \"depth\": true}", CFG, "'depth'"},
    {"{\"type\": \"ResNet\", \"depth\": 1e12}", CFG, "'depth'"},
    {"{\"type\": \"ResNet\", \"depth\": null}", CFG, "'depth'"},
    {"{" R50 ", \"num_stages\": \"4\"}", CFG, "'num_stages'"},
    {"{" R50 ", \"in_channels\": \"3\"}", CFG, "'in_channels'"},
    {"{" R50 ", \"strides\": 2}", CFG, "'strides'"},
    {"{" R50 ", \"strides\": [1, 2, \"2\", 2]}", CFG, "'strides[2]'"},
    {"{" R50 ", \"dilations\": [1, 1, 1, 1.5]}", CFG, "'dilations[3]'"},
    {"{" R50 ", \"out_indices\": null}", CFG, "'out_indices'"},
    {"{" R50 ", \"out_indices\": 3}", CFG, "'out_indices'"},
    {"{" R50 ", \"norm_eval\": 1}", CFG, "'norm_eval'"},
    {"{" R50 ", \"with_cp\": \"no\"}", CFG, "'with_cp'"},
    {"{" R50 ", \"zero_init_residual\": null}", CFG, "'zero_init_residual'"},
    {"{" R50 ", \"frozen_stages\": 1.5}", CFG, "'frozen_stages'"},
    {"{" R50 ", \"style\": 1}", CFG, "'style'"},
    {"{" R50 ", \"deep_stem\": 1}", CFG, "'deep_stem'"},
    {"{" R50 ", \"stage_with_dcn\": [0, 1, 1, 1]}", CFG, "'stage_with_dcn[0]'"},
    /* depth per type */
    {"{\"type\": \"ResNet\", \"depth\": 20}", CFG, "'depth'"},
    {"{\"type\": \"ResNet\", \"depth\": 0}", CFG, "'depth'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 18}", CFG, "invalid depth 18 for resnext"},
    {"{\"type\": \"ResNeXt\", \"depth\": 34}", CFG, "'depth'"},
    {"{\"type\": \"ResNetV1d\", \"depth\": 200}", CFG, "'depth'"},
    /* num_stages and lengths */
    {"{" R50 ", \"num_stages\": 0}", CFG, "'num_stages'"},
    {"{" R50 ", \"num_stages\": 5}", CFG, "'num_stages'"},
    {"{" R50 ", \"num_stages\": -1}", CFG, "'num_stages'"},
    {"{" R50 ", \"num_stages\": 3}", CFG, "'strides'"},
    {"{" R50 ", \"strides\": [1, 2, 2]}", CFG, "'strides'"},
    {"{" R50 ", \"dilations\": [1, 1, 1]}", CFG, "'dilations'"},
    {"{" R50 ", \"strides\": [1, 2, 2, 2, 2], \"dilations\": [1, 1, 1, 1, 1]}", CFG, "'strides'"},
    {"{" R50 ", \"num_stages\": 3, \"strides\": [1, 2, 2], \"dilations\": [1, 1]}", CFG,
     "'dilations'"},
    /* out_indices */
    {"{" R50 ", \"out_indices\": [0, 1, 2, 4]}", CFG, "'out_indices'"},
    {"{" R50 ", \"out_indices\": []}", CFG, "'out_indices'"},
    {"{" R50 ", \"out_indices\": [-1, 0]}", CFG, "'out_indices'"},
    {"{" R50 ", \"num_stages\": 3, \"strides\": [1, 2, 2], \"dilations\": [1, 1, 1],"
     " \"out_indices\": [3]}",
     CFG, "'out_indices'"},
    {"{" R50 ", \"out_indices\": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}", UNS, "'out_indices'"},
    /* style */
    {"{" R50 ", \"style\": \"tensorflow\"}", CFG, "'style'"},
    {"{\"type\": \"ResNet\", \"depth\": 101, \"style\": \"Caffe\"}", CFG, "'style'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"style\": \"\"}", CFG, "'style'"},
    /* channels, strides, dilations, groups */
    {"{" R50 ", \"in_channels\": 0}", CFG, "'in_channels'"},
    {"{" R50 ", \"in_channels\": -3}", CFG, "'in_channels'"},
    {"{" R50 ", \"base_channels\": 0}", CFG, "'base_channels'"},
    {"{" R50 ", \"base_channels\": -64}", CFG, "'base_channels'"},
    {"{" R50 ", \"stem_channels\": -8}", CFG, "'stem_channels'"},
    {"{" R50 ", \"stem_channels\": 0}", CFG, "'stem_channels'"},
    {"{\"type\": \"ResNetV1d\", \"depth\": 50, \"stem_channels\": 1}", CFG, "'stem_channels'"},
    {"{" R50 ", \"strides\": [1, 0, 2, 2]}", CFG, "'strides'"},
    {"{" R50 ", \"dilations\": [1, 1, 1, 0]}", CFG, "'dilations'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 0}", CFG, "'groups'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 32, \"base_width\": 0}", CFG,
     "'base_width'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 32, \"base_width\": -4}", CFG,
     "'base_width'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 2, \"base_width\": 1,"
     " \"base_channels\": 49}",
     CFG, "'base_width'"},
    {"{" R50 ", \"base_channels\": 1000000}", UNS, "channels"},
    /* ResNetV1d passes deep_stem and avg_down itself */
    {"{\"type\": \"ResNetV1d\", \"depth\": 50, \"deep_stem\": true}", CFG,
     "got multiple values for keyword argument 'deep_stem'"},
    {"{\"type\": \"ResNetV1d\", \"depth\": 50, \"avg_down\": false}", CFG,
     "got multiple values for keyword argument 'avg_down'"},
    /* pretrained / init_cfg */
    {"{" R50 ", \"pretrained\": \"a.pth\", \"init_cfg\": {\"type\": \"Pretrained\","
     " \"checkpoint\": \"b.pth\"}}",
     CFG, "init_cfg and pretrained"},
    {"{" R50 ", \"pretrained\": 5}", CFG, "pretrained must be a str or None"},
    {"{" R50 ", \"pretrained\": [\"a.pth\"]}", CFG, "'pretrained'"},
    {"{" R50 ", \"init_cfg\": \"a.pth\"}", CFG, "'init_cfg'"},
    {"{" R50 ", \"init_cfg\": {\"type\": \"Pretrained\"}}", CFG, "checkpoint"},
    {"{" R50 ", \"init_cfg\": {\"type\": \"Pretrained\", \"checkpoint\": 3}}", CFG,
     "'init_cfg.checkpoint'"},
    {"{" R50 ", \"init_cfg\": {\"type\": \"Magic\"}}", CFG, "'init_cfg.type'"},
    {"{" R50 ", \"init_cfg\": [5]}", CFG, "'init_cfg[0]'"},
    {"{" R50 ", \"init_cfg\": {\"type\": \"Pretrained\", \"checkpoint\": \"a\","
     " \"prefix\": \"model.\"}}",
     UNS, "'init_cfg.prefix'"},
    /* norm_cfg */
    {"{" R50 ", \"norm_cfg\": null}", CFG, "'norm_cfg'"},
    {"{" R50 ", \"norm_cfg\": {\"requires_grad\": false}}", CFG, "'norm_cfg'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"IN\"}}", UNS, "'norm_cfg.type'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"LN\"}}", UNS, "'norm_cfg.type'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"FooNorm\"}}", CFG, "'norm_cfg.type'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"BN\", \"eps\": -1e-5}}", CFG, "'norm_cfg.eps'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"BN\", \"eps\": \"1e-5\"}}", CFG, "'norm_cfg.eps'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": \"false\"}}", CFG,
     "'norm_cfg.requires_grad'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"BN\", \"affine\": false}}", CFG, "'norm_cfg.affine'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"BN\", \"num_groups\": 32}}", CFG,
     "'norm_cfg.num_groups'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"GN\"}}", CFG, "'norm_cfg.num_groups'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 0}}", CFG, "'norm_cfg.num_groups'"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 48}}", CFG, "64 channels"},
    {"{" R50 ", \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 128}}", CFG, "'norm_cfg.num_groups'"},
    {"{\"type\": \"ResNetV1d\", \"depth\": 50, \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 64}}",
     CFG, "stem.1"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 2, \"base_width\": 3,"
     " \"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 4}}",
     CFG, "width"},
    /* conv_cfg */
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\", \"ratio\": 1}}", CFG, "'conv_cfg.ratio'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\", \"ratio\": 2.5}}", CFG, "'conv_cfg.ratio'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\", \"dw_size\": 2}}", CFG, "'conv_cfg.dw_size'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\", \"dw_size\": 0}}", CFG, "'conv_cfg.dw_size'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\", \"relu\": 1}}", CFG, "'conv_cfg.relu'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\", \"kernel\": 3}}", CFG, "'conv_cfg.kernel'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"DCN\"}}", UNS, "'conv_cfg.type'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"ConvWS\"}}", UNS, "'conv_cfg.type'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Conv4d\"}}", CFG, "'conv_cfg.type'"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Conv\", \"bias\": true}}", CFG, "'conv_cfg.bias'"},
    {"{" R50 ", \"conv_cfg\": \"Conv\"}", CFG, "'conv_cfg'"},
    {"{" R50 ", \"conv_cfg\": {}}", CFG, "'conv_cfg'"},
    /* dcn */
    {"{" R50 ", \"dcn\": {\"type\": \"DCN\"}, \"stage_with_dcn\": [false, true, true]}", CFG,
     "'stage_with_dcn'"},
    {"{" R50 ", \"stage_with_dcn\": [false]}", CFG, "'stage_with_dcn'"},
    {"{\"type\": \"ResNet\", \"depth\": 18, \"dcn\": {\"type\": \"DCN\"},"
     " \"stage_with_dcn\": [false, true, true, true]}",
     CFG, "'dcn'"},
    {"{" R50 ", \"dcn\": \"DCN\"}", CFG, "'dcn'"},
    {"{" R50 ", \"dcn\": {\"deform_groups\": 1}}", CFG, "'dcn'"},
    {"{" R50 ", \"dcn\": {\"type\": \"DCN\", \"deform_groups\": 0}}", CFG, "'dcn.deform_groups'"},
    {"{" R50 ", \"dcn\": {\"type\": \"DCN\", \"fallback_on_stride\": 0}}", CFG,
     "'dcn.fallback_on_stride'"},
    {"{" R50 ", \"dcn\": {\"type\": \"DCN\", \"groups\": 2}}", CFG, "'dcn.groups'"},
    {"{" R50 ", \"dcn\": {\"type\": \"DCNv3\"}}", UNS, "'dcn.type'"},
    {"{" R50 ", \"dcn\": {\"type\": \"Conv\"}}", UNS, "'dcn.type'"},
    {"{" R50 ", \"dcn\": {\"type\": 1}}", CFG, "'dcn.type'"},
    {"{" R50 ", \"dcn\": {\"type\": \"DCN\", \"deform_groups\": 3},"
     " \"stage_with_dcn\": [false, true, true, true]}",
     CFG, "'dcn.deform_groups'"},
    {"{" R50 ", \"dcn\": {\"type\": \"DCN\", \"deform_groups\": 1.5}}", CFG,
     "'dcn.deform_groups'"},
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 32, \"conv_cfg\": {\"type\": \"Conv\"},"
     " \"dcn\": {\"type\": \"DCN\", \"fallback_on_stride\": true},"
     " \"stage_with_dcn\": [false, true, true, true]}",
     CFG, "conv_cfg must be None for DCN"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Ghost\"}, \"dcn\": {\"type\": \"DCN\"},"
     " \"stage_with_dcn\": [false, true, true, true]}",
     CFG, "conv_cfg must be None for DCN"},
    {"{" R50 ", \"conv_cfg\": {\"type\": \"Conv\"}, \"dcn\": {\"type\": \"DCN\"},"
     " \"stage_with_dcn\": [true, true, true, true]}",
     CFG, "conv_cfg must be None for DCN"},
    {"{" R50 ", \"num_stages\": 5, \"dcn\": {\"type\": \"DCN\"},"
     " \"stage_with_dcn\": [false, true, true, true]}",
     CFG, "'num_stages'"},
    /* plugins */
    {"{" R50 ", \"plugins\": [" PLUGIN("ContextBlock", "after_conv4") "]}", CFG,
     "'plugins[0].position'"},
    {"{" R50 ", \"plugins\": [" CB(0.25, "after_conv3") ", " CB(0.25, "after_conv3") "]}",
     CFG, "duplicate plugin context_block"},
    {"{" R50 ", \"plugins\": [" PLUGIN("NonLocal2d", "after_conv1") ", "
     PLUGIN("NonLocal2d", "after_conv3") "]}",
     CFG, "duplicate plugin nonlocal_block"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"GeneralizedAttention\", \"postfix\": 1},"
     " \"position\": \"after_conv2\"}, {\"cfg\": {\"type\": \"GeneralizedAttention\","
     " \"postfix\": \"1\"}, \"position\": \"after_conv2\"}]}",
     CFG, "duplicate plugin gen_attention_block1"},
    {"{" R50 ", \"plugins\": [" PLUGIN("SEBlock", "after_conv3") "]}", CFG, "unknown plugin type"},
    /* GeneralizedAttention's arguments (after_conv2 of a ResNet-50: 64 .. 512 channels) */
    {"{" R50 ", \"plugins\": [" GA("\"num_heads\": 0") "]}", CFG, "'plugins[0].cfg.num_heads'"},
    {"{" R50 ", \"plugins\": [" GA("\"num_heads\": -8") "]}", CFG, "'plugins[0].cfg.num_heads'"},
    {"{" R50 ", \"plugins\": [" GA("\"num_heads\": 65") "]}", CFG, "qk_embed_dim"},
    {"{" R50 ", \"plugins\": [" GA("\"kv_stride\": 0") "]}", CFG, "'plugins[0].cfg.kv_stride'"},
    {"{" R50 ", \"plugins\": [" GA("\"q_stride\": -1") "]}", CFG, "'plugins[0].cfg.q_stride'"},
    {"{" R50 ", \"plugins\": [" GA("\"position_embedding_dim\": 6") "]}", CFG,
     "'plugins[0].cfg.position_embedding_dim'"},
    {"{" R50 ", \"plugins\": [" GA("\"position_embedding_dim\": 6, \"attention_type\": \"1010\"")
     ", " PLUGIN("ContextBlock", "after_conv3") "]}", CFG, "'plugins[1].cfg.ratio'"},
    {"{" R50 ", \"plugins\": [" GA("\"attention_type\": \"111\"") "]}", CFG,
     "'plugins[0].cfg.attention_type'"},
    {"{" R50 ", \"plugins\": [" GA("\"attention_type\": \"11a1\"") "]}", CFG,
     "'plugins[0].cfg.attention_type'"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\"}, \"stages\":"
     " [false, true, true], \"position\": \"after_conv3\"}]}",
     CFG, "'plugins[0].stages'"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\"}, \"stages\": [],"
     " \"position\": \"after_conv3\"}]}",
     CFG, "'plugins[0].stages'"},
    {"{\"type\": \"ResNet\", \"depth\": 18, \"plugins\": [" PLUGIN("ContextBlock", "after_conv2")
     "]}",
     CFG, "'plugins'"},
    {"{\"type\": \"ResNet\", \"depth\": 34, \"plugins\": []}", CFG, "'plugins'"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\"}}]}", CFG, "position"},
    {"{" R50 ", \"plugins\": [{\"position\": \"after_conv3\"}]}", CFG, "cfg"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"ratio\": 0.25}, \"position\": \"after_conv3\"}]}", CFG,
     "'plugins[0].cfg.type'"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\", \"postfix\": 1.5},"
     " \"position\": \"after_conv3\"}]}",
     CFG, "'plugins[0].cfg.postfix'"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\"}, \"position\": 3}]}", CFG,
     "'plugins[0].position'"},
    {"{" R50 ", \"plugins\": [{\"cfg\": {\"type\": \"ContextBlock\"},"
     " \"position\": \"after_conv3\", \"when\": 1}]}",
     CFG, "'plugins[0].when'"},
    {"{" R50 ", \"plugins\": \"ContextBlock\"}", CFG, "'plugins'"},
    {"{" R50 ", \"plugins\": [1]}", CFG, "'plugins[0]'"},
    /* ContextBlock's arguments: ratio is required, in_channels the block's */
    {"{" R50 ", \"plugins\": [" PLUGIN("ContextBlock", "after_conv3") "]}", CFG,
     "'plugins[0].cfg.ratio' is required"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": \"1/16\"") "]}", CFG, "'plugins[0].cfg.ratio'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": null") "]}", CFG, "'plugins[0].cfg.ratio'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": -0.5") "]}", CFG, "'plugins[0].cfg.ratio'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.001") "]}", UNS, "'plugins[0].cfg.ratio'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"in_channels\": 256") "]}", CFG,
     "'plugins[0].cfg.in_channels'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"pooling_type\": \"max\"") "]}", CFG,
     "'plugins[0].cfg.pooling_type'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"pooling_type\": 1") "]}", CFG,
     "'plugins[0].cfg.pooling_type'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"fusion_types\": []") "]}", CFG,
     "at least one fusion"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"fusion_types\": \"channel_add\"") "]}",
     CFG, "'plugins[0].cfg.fusion_types'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"fusion_types\": [\"channel_add\", \"channels_add\"]") "]}",
     CFG, "'plugins[0].cfg.fusion_types[1]'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"fusion_types\": [1]") "]}", CFG,
     "'plugins[0].cfg.fusion_types[0]'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"reduction\": 2") "]}", CFG,
     "'plugins[0].cfg.reduction'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.25, \"ratio\": 0.5") "]}", CFG,
     "'ratio' is given twice"},
    /* NonLocal2d's */
    {"{" R50 ", \"plugins\": [" NLX("\"mode\": \"softmax\"") "]}", CFG,
     "'plugins[0].cfg.mode'"},
    {"{" R50 ", \"plugins\": [" NLX("\"mode\": 2") "]}", CFG, "'plugins[0].cfg.mode'"},
    {"{" R50 ", \"plugins\": [" NLX("\"reduction\": 0") "]}", CFG, "'plugins[0].cfg.reduction'"},
    {"{" R50 ", \"plugins\": [" NLX("\"reduction\": 1.5") "]}", CFG, "'plugins[0].cfg.reduction'"},
    {"{" R50 ", \"plugins\": [" NLX("\"use_scale\": 1") "]}", CFG, "'plugins[0].cfg.use_scale'"},
    {"{" R50 ", \"plugins\": [" NLX("\"sub_sample\": \"yes\"") "]}", CFG,
     "'plugins[0].cfg.sub_sample'"},
    {"{" R50 ", \"plugins\": [" NLX("\"in_channels\": 64") "]}", CFG, "'plugins[0].cfg.in_channels'"},
    {"{" R50 ", \"plugins\": [" NLX("\"ratio\": 0.25") "]}", CFG, "'plugins[0].cfg.ratio'"},
    {"{" R50 ", \"plugins\": [" NLX("\"std\": \"0.01\"") "]}", CFG, "'plugins[0].cfg.std'"},
    {"{" R50 ", \"plugins\": [" NLX("\"zeros_init\": 0") "]}", CFG, "'plugins[0].cfg.zeros_init'"},
    {"{" R50 ", \"plugins\": [" NLX("\"conv_cfg\": {\"type\": \"DCN\"}") "]}", UNS,
     "'plugins[0].cfg.conv_cfg.type'"},
    {"{" R50 ", \"plugins\": [" NLX("\"conv_cfg\": {\"type\": \"Conv2d\", \"bias\": true}") "]}",
     CFG, "'plugins[0].cfg.conv_cfg.bias'"},
    {"{" R50 ", \"plugins\": [" NLX("\"conv_cfg\": \"Conv2d\"") "]}", CFG,
     "'plugins[0].cfg.conv_cfg'"},
    {"{" R50 ", \"plugins\": [" NLX("\"conv_cfg\": {}") "]}", CFG, "'plugins[0].cfg.conv_cfg'"},
    {"{" R50 ", \"plugins\": [" NLX("\"norm_cfg\": {\"type\": \"GN\", \"num_groups\": 4}") "]}",
     UNS, "'plugins[0].cfg.norm_cfg.type'"},
    {"{" R50 ", \"plugins\": [" NLX("\"norm_cfg\": {\"type\": \"BN\", \"eps\": 0.001}") "]}",
     UNS, "'plugins[0].cfg.norm_cfg.eps'"},
    {"{" R50 ", \"plugins\": [" NLX("\"norm_cfg\": {\"type\": \"BN\", \"affine\": false}") "]}",
     CFG, "'plugins[0].cfg.norm_cfg.affine'"},
    {"{" R50 ", \"plugins\": [" NLX("\"norm_cfg\": {\"type\": \"BatchNorm\"}") "]}", CFG,
     "'plugins[0].cfg.norm_cfg.type'"},
    {"{" R50 ", \"plugins\": [" NLX("\"conv_cfg\": {\"type\": \"Conv4d\"}") "]}", CFG,
     "'plugins[0].cfg.conv_cfg.type'"},
    {"{" R50 ", \"plugins\": [" NLX("\"norm_cfg\": {\"type\": 5}") "]}", CFG,
     "'plugins[0].cfg.norm_cfg.type'"},
    {"{" R50 ", \"plugins\": [" NLX("\"norm_cfg\": true") "]}", CFG, "'plugins[0].cfg.norm_cfg'"},
    /* GeneralizedAttention's parser errors */
    {"{" R50 ", \"plugins\": [" GAX("\"num_heads\": \"8\"") "]}", CFG, "'plugins[0].cfg.num_heads'"},
    {"{" R50 ", \"plugins\": [" GAX("\"kv_stride\": 1.5") "]}", CFG, "'plugins[0].cfg.kv_stride'"},
    {"{" R50 ", \"plugins\": [" GAX("\"attention_type\": \"111\"") "]}", CFG,
     "'plugins[0].cfg.attention_type'"},
    {"{" R50 ", \"plugins\": [" GAX("\"attention_type\": \"1a11\"") "]}", CFG,
     "'plugins[0].cfg.attention_type'"},
    {"{" R50 ", \"plugins\": [" GAX("\"heads\": 8") "]}", CFG, "'plugins[0].cfg.heads'"},
    /* a refusal of clbb's waits for MMDetection's own checks */
    {"{" R50 ", \"plugins\": [" GAX("\"num_heads\": 8") ", " CB(0.25, "after_conv5") "]}", CFG,
     "'plugins[1].position'"},
    {"{" R50 ", \"plugins\": [" CBX("\"ratio\": 0.001") ", " CB(0.25, "after_conv3") "]}", CFG,
     "duplicate plugin context_block"},
    /* a width that overflowed long long before it was bounded (UBSan) */
    {"{\"type\": \"ResNeXt\", \"depth\": 50, \"groups\": 2147483647, \"base_width\": 2147483647}",
     UNS, "channels"},
    /* GhostNet */
    {"{\"type\": \"GhostNet\", \"width\": 0}", CFG, "'width'"},
    {"{\"type\": \"GhostNet\", \"width\": -1.0}", CFG, "'width'"},
    {"{\"type\": \"GhostNet\", \"width\": 5}", CFG, "'width'"},
    {"{\"type\": \"GhostNet\", \"width\": \"1.0\"}", CFG, "'width'"},
    {"{\"type\": \"GhostNet\", \"out_indices\": [10]}", CFG, "'out_indices'"},
    {"{\"type\": \"GhostNet\", \"out_indices\": [-1]}", CFG, "'out_indices'"},
    {"{\"type\": \"GhostNet\", \"out_indices\": []}", CFG, "'out_indices'"},
    {"{\"type\": \"GhostNet\", \"out_indices\": [2, 4, 2]}", CFG, "'out_indices'"},
    {"{\"type\": \"GhostNet\", \"out_indices\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]}", CFG,
     "'out_indices'"},
    {"{\"type\": \"GhostNet\", \"in_channels\": 0}", CFG, "'in_channels'"},
    {"{\"type\": \"GhostNet\", \"in_channels\": 2.5}", CFG, "'in_channels'"},
};

Test(config, every_invalid_value) {
    const size_t rows = sizeof bad_rows / sizeof bad_rows[0];
    for (size_t i = 0; i < rows; i++) {
        const bad_row *r = &bad_rows[i];
        /* Not a row count (that measures the table, not the messages): strstr
         * finds an empty needle in any message, so such a row would check the
         * status alone. */
        cr_expect(r->needle[0] != '\0', "row %zu: %s has an empty needle", i, r->json);
        clbb_model_config c;
        char err[ERR_SIZE] = "";
        clbb_status st = parse(r->json, &c, err);
        cr_expect_eq(st, r->status, "row %zu: %s\n-> %s (expected %s): %s", i, r->json,
                     clbb_status_string(st), clbb_status_string(r->status), err);
        cr_expect(strstr(err, r->needle) != NULL, "row %zu: %s\nmessage \"%s\" lacks \"%s\"", i,
                  r->json, err, r->needle);
    }
}

/* ------------------------------------------------------------------------ */
/* The Python-literal form (what MMDetection users copy) and whole configs   */

/* frozen_stages may reach the last stage, and -1 freezes nothing. */
Test(config, frozen_stages_bounds) {
    clbb_model_config c;
    parse_ok("{\"type\": \"ResNet\", \"depth\": 18, \"frozen_stages\": 4}", &c);
    parse_ok("{\"type\": \"ResNet\", \"depth\": 18, \"frozen_stages\": -1}", &c);
    clbb_model_config_init(&c, CLBB_MODEL_RESNET);
    c.frozen_stages = 5;
    char err[ERR_SIZE] = "";
    cr_expect_eq(clbb_model_config_validate(&c, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, "'frozen_stages' = 5") != NULL, "%s", err);
}

typedef struct same_row {
    const char *python; /* or JSON read with the Python form's extras */
    const char *json;   /* the same config as plain JSON */
    int python_literal; /* expected info.python_literal */
    int from_detector;  /* expected info.from_detector */
} same_row;

#define R50_JSON                                                                                 \
    "{\"type\": \"ResNet\", \"depth\": 50, \"num_stages\": 4, \"out_indices\": [0, 1, 2, 3],"    \
    " \"frozen_stages\": 1, \"norm_cfg\": {\"type\": \"BN\", \"requires_grad\": true},"          \
    " \"norm_eval\": true, \"style\": \"pytorch\", \"init_cfg\": {\"type\": \"Pretrained\","     \
    " \"checkpoint\": \"torchvision://resnet50\"}}"
#define R50_PY                                                                                   \
    "dict(\n        type='ResNet',\n        depth=50,\n        num_stages=4,\n"                   \
    "        out_indices=(0, 1, 2, 3),\n        frozen_stages=1,\n"                               \
    "        norm_cfg=dict(type='BN', requires_grad=True),\n        norm_eval=True,\n"            \
    "        style='pytorch',\n"                                                                  \
    "        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))"

static const same_row same_rows[] = {
    /* MMDetection's faster-rcnn_r50_fpn backbone, as copied */
    {"backbone=" R50_PY ",\n", R50_JSON, 1, 0},
    {"backbone = " R50_PY "\n", R50_JSON, 1, 0},
    {R50_PY, R50_JSON, 1, 0},
    /* the whole model, a detector dict, a JSON-dumped config */
    {"# model settings\nmodel = dict(\n    type='FasterRCNN',\n"
     "    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],\n"
     "        bgr_to_rgb=True, pad_size_divisor=32),\n    backbone=" R50_PY ",\n"
     "    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256),\n"
     "    test_cfg=dict(rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5))\n"
     "        # soft-nms is also supported\n    ))\n"
     "tta_model = dict(type='TwoStageTestTimeAugModel')\n"
     "tta_pipeline = [dict(type='TestTimeAug', transforms=[[dict(type='Resize', "
     "scale=(1333, 800), keep_ratio=True)], [dict(type='RandomFlip', prob=1.)]])]\n",
     R50_JSON, 1, 1},
    {"dict(type='FasterRCNN', backbone=" R50_PY ", neck=None)", R50_JSON, 1, 1},
    {"{\"type\": \"RetinaNet\", \"backbone\": " R50_JSON ", \"neck\": {\"type\": \"FPN\"}}",
     R50_JSON, 0, 1},
    {"{\"model\": {\"type\": \"FasterRCNN\", \"backbone\": " R50_JSON "}, \"seed\": 0}", R50_JSON,
     0, 1},
    /* a later assignment replaces an earlier one, as in Python */
    {"model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=101))\n"
     "model = dict(type='FasterRCNN', backbone=" R50_PY ")\n", R50_JSON, 1, 1},
    /* the keyword lines of a dict, copied without the dict( ) */
    {"type='ResNet',\ndepth=18,\nout_indices=(3,),\n",
     "{\"type\": \"ResNet\", \"depth\": 18, \"out_indices\": [3]}", 1, 0},
    /* {...} with either quote, trailing commas, comments, None */
    {"{'type': \"ResNet\", 'depth': 50, 'out_indices': [0, 1, 2, 3,], 'dcn': None,  # c\n}",
     "{\"type\": \"ResNet\", \"depth\": 50, \"out_indices\": [0, 1, 2, 3], \"dcn\": null}", 1, 0},
    /* JSON with a trailing comma is read by the Python reader */
    {"{\"type\": \"ResNet\", \"depth\": 34, \"out_indices\": [1, 2],}",
     "{\"type\": \"ResNet\", \"depth\": 34, \"out_indices\": [1, 2]}", 1, 0},
    /* numbers: signs, exponents, underscores, bases, a tuple of one */
    {"dict(type='ResNet', depth=5_0, frozen_stages=-1, in_channels=+0x3, base_channels=0o100,"
     " norm_cfg=dict(type='BN', eps=1E-3, momentum=.1), strides=(1, 2, 2, 0b10),"
     " out_indices=(3,))",
     "{\"type\": \"ResNet\", \"depth\": 50, \"frozen_stages\": -1, \"in_channels\": 3,"
     " \"base_channels\": 64, \"norm_cfg\": {\"type\": \"BN\", \"eps\": 0.001, \"momentum\": 0.1},"
     " \"strides\": [1, 2, 2, 2], \"out_indices\": [3]}", 1, 0},
    {"dict(type='GhostNet', width=1.3e0, out_indices=[2, 4, 6, 9])",
     "{\"type\": \"GhostNet\", \"width\": 1.3, \"out_indices\": [2, 4, 6, 9]}", 1, 0},
    /* strings: concatenation, escapes, raw and triple-quoted strings */
    {"dict(type='Res' \"Net\", depth=50,\n init_cfg=dict(type='Pretrained',"
     " checkpoint='a\\tb\\x41\\u00e9\\'q\"\\\\z\\d'))",
     "{\"type\": \"ResNet\", \"depth\": 50, \"init_cfg\": {\"type\": \"Pretrained\","
     " \"checkpoint\": \"a\\tbA\\u00e9'q\\\"\\\\z\\\\d\"}}", 1, 0},
    {"dict(type='''ResNet''', depth=50, pretrained=r'C:\\w\\'s')",
     "{\"type\": \"ResNet\", \"depth\": 50, \"pretrained\": \"C:\\\\w\\\\'s\"}", 1, 0},
    {"dict(type=\"ResNeXt\", depth=101, groups=32, base_width=4, dcn=dict(type='DCN',"
     " deform_groups=1, fallback_on_stride=False), stage_with_dcn=(False, True, True, True))",
     "{\"type\": \"ResNeXt\", \"depth\": 101, \"groups\": 32, \"base_width\": 4, \"dcn\":"
     " {\"type\": \"DCN\", \"deform_groups\": 1, \"fallback_on_stride\": false},"
     " \"stage_with_dcn\": [false, true, true, true]}", 1, 0},
};

Test(config, python_literal_forms_match_json) {
    for (size_t i = 0; i < sizeof same_rows / sizeof same_rows[0]; i++) {
        const same_row *r = &same_rows[i];
        clbb_model_config a, b;
        clbb_config_info info;
        char err[ERR_SIZE] = "";
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        parse_ok(r->json, &b);
        clbb_status st = clbb_model_config_parse(r->python, strlen(r->python), &a, &info, err,
                                                 sizeof err);
        cr_assert_eq(st, CLBB_OK, "row %zu: %s\n-> %s: %s", i, r->python, clbb_status_string(st),
                     err);
        cr_expect(memcmp(&a, &b, sizeof a) == 0, "row %zu: %s\ndiffers from %s", i, r->python,
                  r->json);
        cr_expect_eq(info.python_literal, r->python_literal, "row %zu", i);
        cr_expect_eq(info.from_detector, r->from_detector, "row %zu", i);
        if (r->from_detector)
            cr_expect(strstr(info.note, "backbone") != NULL, "row %zu: note '%s'", i, info.note);
        else
            cr_expect_str_empty(info.note, "row %zu", i);
        /* The JSON entry point reads the same texts (no note). */
        memset(&a, 0, sizeof a);
        cr_expect_eq(clbb_model_config_parse_json(r->python, strlen(r->python), &a, err, sizeof err),
                     CLBB_OK, "row %zu: %s", i, err);
        cr_expect(memcmp(&a, &b, sizeof a) == 0, "row %zu via parse_json", i);
    }
    /* Plain JSON is read as JSON. */
    clbb_model_config c;
    clbb_config_info info;
    cr_expect_eq(clbb_model_config_parse(R50_JSON, strlen(R50_JSON), &c, &info, NULL, 0), CLBB_OK);
    cr_expect_eq(info.python_literal, 0);
    cr_expect_eq(info.from_detector, 0);
    cr_expect_eq(c.frozen_stages, 1);
    cr_expect_str_eq(c.pretrained, "torchvision://resnet50");
}

typedef struct syntax_row {
    const char *text;
    const char *where; /* "line L, column C" */
    const char *what;  /* the message names the offending text or the problem */
} syntax_row;

static const syntax_row syntax_rows[] = {
    /* JSON: line, column and the text there */
    {"{\"type\": \"ResNet\",\n \"depth\": 50\n \"out_indices\": [0]}", "line 3, column 2",
     "`\"out_indices\": [0]}`"},
    {"{\"type\": \"ResNet\", \"depth\": 50", "line 1, column 31", "end of the text"},
    {"{\"type\": \"ResNet\", \"depth\": 50} {}", "line 1, column 33", "extra data"},
    {"{\"type\": \"ResNet\", \"depth\": 5x}", "line 1, column 29", "`5x`"},
    {"{\"type\": \"ResNet\", \"depth\": [1 2]}", "line 1, column 32", "JSON is malformed"},
    /* Python: what is not a literal */
    {"backbone = dict(\n    type='ResNet',\n    depth=depth,\n)", "line 3, column 11",
     "name 'depth' is a variable"},
    {"backbone=dict(type='ResNet', depth=25 * 2)", "line 1, column 39", "`* 2)`"},
    {"model = dict(backbone={{_base_.model.backbone}})", "line 1, column 23", "{{_base_"},
    {"dict(type='ResNet', depth=50, out_indices=tuple(range(4)))", "line 1, column 43",
     "call of 'tuple'"},
    {"dict(type='ResNet', depth=50, norm_cfg=dict(**norm_cfg))", "line 1, column 45",
     "**unpacking"},
    {"img_norm_cfg = dict(mean=[123.675, 116.28, 103.53])\n"
     "model = dict(backbone=dict(type='ResNet', depth=50), norm=img_norm_cfg)",
     "line 2, column 59", "'img_norm_cfg'"},
    {"{'type': 'ResNet', 'depth': 50, 'norm_eval': true}", "line 1, column 46", "write True"},
    {"import torch\nbackbone = dict(type='ResNet', depth=50)", "line 1, column 1", "statement"},
    {"x = 1\nmodel.backbone = dict(type='ResNet')", "line 2, column 1", "only assignments"},
    {"model = dict(type='X') backbone = 1", "line 1, column 24", "new line"},
    {"dict(type='ResNet', depth=50, out_indices=[0, 1 2])", "line 1, column 49", "expected ','"},
    {"dict(type='ResNet', depth=50", "line 1, column 1", "never closed"},
    {"dict(type='ResNet', depth=50, style='pytorch)", "line 1, column 37", "unterminated"},
    {"dict(type='ResNet', depth=050)", "line 1, column 27", "leading zeros"},
    {"dict(type='ResNet', depth=50j)", "line 1, column 27", "complex"},
    {"dict(type='ResNet', depth=5__0)", "line 1, column 27", "invalid number"},
    {"{'type', 'ResNet'}", "line 1, column 1", "set"},
    {"{1: 'ResNet'}", "line 1, column 2", "keys must be strings"},
    {"dict('ResNet', depth=50)", "line 1, column 6", "keyword arguments"},
    {"dict(type=f'ResNet', depth=50)", "line 1, column 11", "f-string"},
    {"dict(type=b'ResNet', depth=50)", "line 1, column 11", "bytes"},
    {"dict(type='Res\\x4', depth=50)", "line 1, column 15", "truncated"},
    {"dict(type='Res\\0', depth=50)", "line 1, column 15", "NUL"},
    {"dict(type='ResNet', depth=-'50')", "line 1, column 27", "not a number"},
    {"# only a comment\n", "line 2, column 1", "empty"},
    {" \n\t ", "config JSON", "empty"},
    {"\xef\xbb\xbf{'type': 'ResNet', 'depth': 5O}", "line 1, column 29", "invalid number"},
    {"dict(type='ResNet', depth=50) + 1", "line 1, column 31", "expression"},
    {"dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a="
     "dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a="
     "dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a="
     "dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a="
     "dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=dict(a=",
     "line 1, column 453", "nested deeper"},
    /* columns count characters, not UTF-8 bytes */
    {"# \xc3\xa9t\xc3\xa9\nbackbone = dict(type='R\xc3\xa9sNet', depth=x)", "line 2, column 38",
     "'x'"},
};

Test(config, syntax_errors_name_line_column_text) {
    for (size_t i = 0; i < sizeof syntax_rows / sizeof syntax_rows[0]; i++) {
        const syntax_row *r = &syntax_rows[i];
        clbb_model_config c;
        char err[ERR_SIZE] = "";
        clbb_status st = clbb_model_config_parse(r->text, strlen(r->text), &c, NULL, err,
                                                 sizeof err);
        cr_expect_eq(st, CLBB_ERR_CONFIG, "row %zu: %s -> %s: %s", i, r->text,
                     clbb_status_string(st), err);
        cr_expect(strstr(err, r->where) != NULL, "row %zu: %s\nmessage \"%s\" lacks \"%s\"", i,
                  r->text, err, r->where);
        cr_expect(strstr(err, r->what) != NULL, "row %zu: %s\nmessage \"%s\" lacks \"%s\"", i,
                  r->text, err, r->what);
    }
}

/* The backbone of a whole config: what is refused, and the values' errors
 * keep naming the argument. */
Test(config, model_config_refusals) {
    static const struct {
        const char *text, *needle;
    } rows[] = {
        {"optimizer = dict(type='SGD', lr=0.02)\n", "neither 'model' nor 'backbone'"},
        {"model = [1]\n", "'model' must be a dict"},
        {"model = dict(type='FasterRCNN', neck=dict(type='FPN'))\n", "no 'backbone'"},
        {"dict(type='FasterRCNN', backbone='resnet50')", "'backbone' must be a dict"},
        {"_base_ = './faster-rcnn_r50_fpn_1x_coco.py'\n"
         "model = dict(backbone=dict(depth=101))\n", "_base_"},
        {"model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=50, frozen_stages=7))",
         "'frozen_stages' = 7"},
        {"backbone = dict(type='ResNet', depth=50, norm_evaluation=True)", "'norm_evaluation'"},
        {"backbone = dict(type='ResNet', depth=50, depth=101)", "given twice"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        clbb_model_config c;
        char err[ERR_SIZE] = "";
        clbb_status st = clbb_model_config_parse(rows[i].text, strlen(rows[i].text), &c, NULL, err,
                                                 sizeof err);
        cr_expect_eq(st, CLBB_ERR_CONFIG, "row %zu: %s -> %s: %s", i, rows[i].text,
                     clbb_status_string(st), err);
        cr_expect(strstr(err, rows[i].needle) != NULL, "row %zu: message \"%s\" lacks \"%s\"", i,
                  err, rows[i].needle);
    }
    /* NULLs, and a file. */
    clbb_model_config c;
    char err[ERR_SIZE];
    cr_expect_eq(clbb_model_config_parse(NULL, 1, &c, NULL, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_load(NULL, &c, NULL, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_config_load("/nonexistent/cfg.py", &c, NULL, err, sizeof err),
                 CLBB_ERR_IO);
    cr_expect(strstr(err, "/nonexistent/cfg.py") != NULL, "%s", err);
    cr_expect_eq(clbb_model_config_load("/tmp", &c, NULL, err, sizeof err), CLBB_ERR_IO);
    char path[] = "/tmp/clbb-cfg-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=18,\n"
                       "    out_indices=(0, 1, x)))\n";
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    clbb_config_info info;
    cr_expect_eq(clbb_model_config_load(path, &c, &info, err, sizeof err), CLBB_ERR_CONFIG);
    cr_expect(strstr(err, path) && strstr(err, "line 2, column 24"), "%s", err);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("model = dict(type='FasterRCNN', backbone=dict(type='ResNet', depth=18))\n", f);
    fclose(f);
    cr_expect_eq(clbb_model_config_load(path, &c, &info, err, sizeof err), CLBB_OK, "%s", err);
    cr_expect_eq(c.depth, 18);
    cr_expect(strstr(info.note, "model.backbone") != NULL, "%s", info.note);
    unlink(path);
}
