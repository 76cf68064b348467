/* What deform_conv2d tells the layers above its launcher (the tuner). */
#ifndef CLBB_CL_DEFORM_CONV2D_REGISTRY_H
#define CLBB_CL_DEFORM_CONV2D_REGISTRY_H

#include "core/internal.h"

/* The tuning texts the tuner tries for a kernel family, NULL-terminated
 * ("" = the defaults); NULL for a family the op does not have. */
const char *const *clbb__deform_candidates(clbb_kernel_family family);

#endif
