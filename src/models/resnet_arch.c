/* ResNet.arch_settings and ResNeXt's block width, shared by the builder and
 * the validation. */
#include <limits.h>
#include <math.h>

#include "core/internal.h"
#include "resnet_arch.h"

static const resnet_arch ARCHS[] = {
    {18, 0, {2, 2, 2, 2}},  {34, 0, {3, 4, 6, 3}},  {50, 1, {3, 4, 6, 3}},
    {101, 1, {3, 4, 23, 3}}, {152, 1, {3, 8, 36, 3}},
};

const resnet_arch *clbb__resnet_arch(clbb_model_type type, int depth) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(ARCHS); i++) {
        if (ARCHS[i].depth != depth) continue;
        if (type == CLBB_MODEL_RESNEXT && !ARCHS[i].bottleneck) return NULL;
        return &ARCHS[i];
    }
    return NULL;
}

long long clbb__resnext_width(long long planes, int base_width, int base_channels, int groups) {
    if (groups == 1) return planes;
    /* floor(planes * (base_width / base_channels)) * groups, in doubles as
     * Python computes it; beyond any channel count it saturates (the
     * validation refuses it) instead of overflowing */
    const double w =
        floor((double)planes * ((double)base_width / (double)base_channels)) * (double)groups;
    if (!(w < 9.0e18)) return LLONG_MAX;
    if (w < -9.0e18) return LLONG_MIN;
    return (long long)w;
}

int clbb__dcn_conv2(const clbb_model_config *c, int stage, int block) {
    if (!c->has_dcn || stage < 0 || stage >= CLBB_MAX_STAGES || !c->stage_with_dcn[stage])
        return 0;
    if (!c->dcn_fallback_on_stride || c->type == CLBB_MODEL_RESNEXT) return 1;
    for (int s = 0; s < stage; s++)
        if (c->stage_with_dcn[s]) return 1;
    return block != 0;
}
