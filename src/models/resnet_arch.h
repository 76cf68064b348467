/* The ResNet family's shapes: the graph builder (resnet.c) and the config
 * validation must agree on them, so both read them from here. */
#ifndef CLBB_MODELS_RESNET_ARCH_H
#define CLBB_MODELS_RESNET_ARCH_H

#include "clbb.h"

/* One row of ResNet.arch_settings. */
typedef struct resnet_arch {
    int depth;
    int bottleneck; /* Bottleneck (expansion 4), else BasicBlock (expansion 1) */
    int blocks[4];  /* blocks per stage */
} resnet_arch;

/* The row for depth, or NULL where the type has none: ResNeXt.arch_settings
 * keeps only the Bottleneck depths 50, 101 and 152. */
const resnet_arch *clbb__resnet_arch(clbb_model_type type, int depth);

/* The channels inside a Bottleneck (conv1's output through conv3's input):
 * planes, which ResNeXt's Bottleneck replaces when groups != 1. */
long long clbb__resnext_width(long long planes, int base_width, int base_channels, int groups);

/* Whether conv2 of block `block` of stage `stage` is a deformable conv
 * (SPEC A 1.6, 1.7): dcn given and stage_with_dcn[stage], except that
 * Bottleneck pops fallback_on_stride from the dcn dict every DCN block
 * shares, so with fallback_on_stride True only the first DCN block built
 * (block 0 of the first DCN stage) keeps a plain conv2; ResNeXt's block
 * pops again after its parent did and never falls back. */
int clbb__dcn_conv2(const clbb_model_config *c, int stage, int block);

#endif
