/* Shared pieces of the backbone builders (resnet.c, ghostnet.c): parameter
 * registration in PyTorch order, then node emission in execution order. */
#ifndef CLBB_MODELS_BUILD_H
#define CLBB_MODELS_BUILD_H

#include "graph.h"

typedef struct builder {
    graph *g;
    const clbb_model_config *cfg;
    int oom; /* set when an allocation failed */
} builder;

/* A convolution as the model registers it: plain (one weight) or a Ghost
 * module (primary conv + BN, cheap depthwise conv + BN, concat). */
typedef struct conv_spec {
    char name[96];
    clbb_conv2d_desc d; /* the conv as MMDetection declares it */
    int weight, bias;   /* plain */
    int ghost;
    int init, ratio, dw_size, relu;
    int primary_w, cheap_w;
    graph_norm primary_n, cheap_n;
} conv_spec;

/* Registers a plain conv ("<key>.weight" [+ ".bias"]). */
conv_spec build_conv(builder *b, const char *key, int cin, int cout, int k, int stride, int pad,
                     int dil, int groups, int bias);

/* Registers a Ghost module under key (SPEC A §3.3 / B.1): primary with the
 * given kernel/stride/pad/dil/groups, cheap depthwise dw_size. */
conv_spec build_ghost(builder *b, const char *key, int cin, int cout, int k, int stride, int pad,
                      int dil, int groups, int ratio, int dw_size, int relu);

/* Plain or Ghost according to the config's conv_cfg. */
conv_spec build_conv_cfg(builder *b, const char *key, int cin, int cout, int k, int stride,
                         int pad, int dil, int groups);

/* Registers the config's norm (BN/SyncBN/GN) under key. */
graph_norm build_norm(builder *b, const char *key, int channels);

/* Emits the nodes of conv + norm + residual + act; returns the output value.
 * For a Ghost conv the norm follows the concat as a standalone node. */
int emit_conv(builder *b, const conv_spec *c, const graph_norm *norm, tref in,
              clbb_activation act, tref residual, tref gate);

/* Emits mmcv's DeformConv2dPack (modulated: ModulatedDeformConv2dPack)
 * over `in`: the offset conv (offset: conv_offset with bias; DCNv2's mask
 * third through a sigmoid), then the deformable conv c + norm + act;
 * returns the output value. */
int emit_deform_conv(builder *b, const conv_spec *c, const conv_spec *offset,
                     const graph_norm *norm, tref in, clbb_activation act, int deform_groups,
                     int modulated);

/* Emits a pooling node; returns the output value. */
int emit_pool(builder *b, const char *name, node_kind kind, tref in, int channels,
              clbb_pool2d_desc pool);

/* Records that a norm is the last of its block (zero_init_residual). */
void build_mark_zero_init(builder *b, const graph_norm *n);

/* Makes stage_out[s] of each stage s that out_indices lists a graph output:
 * in stage order, whatever order out_indices lists, and once however often
 * it is listed (MMDetection tests `i in out_indices`). */
void clbb__build_outputs(graph *g, const clbb_model_config *cfg, const int *stage_out,
                         int num_stages);

clbb_status build_resnet(const clbb_model_config *cfg, graph *g, char *eb, size_t es);
clbb_status build_ghostnet(const clbb_model_config *cfg, graph *g, char *eb, size_t es);

/* timm / huawei _make_divisible(v, divisor) with min_value = divisor. */
int make_divisible(double v, int divisor);

#endif
