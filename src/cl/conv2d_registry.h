/* What the conv algorithm registry tells the layers above the launchers
 * (the tuner, the check harness), without the launchers' internals. */
#ifndef CLBB_CL_CONV2D_REGISTRY_H
#define CLBB_CL_CONV2D_REGISTRY_H

#include "core/internal.h"

/* The kernel families an algorithm has, as bits 1 << clbb_kernel_family;
 * 0 for AUTO or an unknown value. */
unsigned clbb__conv_families(clbb_conv_algo algo);

/* The tuning texts the tuner tries for an algorithm's family, NULL-
 * terminated ("" = the defaults); NULL if the family does not exist. */
const char *const *clbb__conv_candidates(clbb_conv_algo algo, clbb_kernel_family family);

/* Why an algorithm cannot compute a geometry in a dtype on any device (NULL
 * when it can): the device-independent part of its applicability, for
 * building case tables without a context. */
const char *clbb__conv_unsupported(clbb_conv_algo algo, const clbb_conv2d_desc *d,
                                   clbb_dtype dtype);

/* Whether an algorithm's kernels compute clbb_conv2d_options.output_add
 * (0 for AUTO or an unknown value). */
int clbb__conv_takes_output_add(clbb_conv_algo algo);

/* The algorithm AUTO picks for a geometry on this context (its default
 * kernel family); AUTO when none applies. */
clbb_conv_algo clbb__conv_auto_algo(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                    clbb_dtype dtype);
/* The same for a conv with options.output_add set (output_add non-zero):
 * only the algorithms that compute it. */
clbb_conv_algo clbb__conv_auto_algo_for(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                        clbb_dtype dtype, int output_add);

#endif
