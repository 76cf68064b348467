/* ResNet.arch_settings, shared by the builder and the validation. */
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
