/* Element-wise kernels reused by other ops (the CLBlast conv epilogue). */
#ifndef CLBB_CL_ELTWISE_INTERNAL_H
#define CLBB_CL_ELTWISE_INTERNAL_H

#include "op_internal.h"

/* Builds channel_affine_act (GPU family) or channel_affine_act_cpu for a
 * dtype and the given epilogue flags. */
clbb_status clbb__affine_kernel(clbb_context *ctx, clbb_dtype dtype, clbb_kernel_family family,
                                clbb_activation act, int has_scale, int has_shift, int has_res,
                                cl_kernel *out);

/* y = act(x * scale[c] + shift[c] + res) over shape; scale/shift may be NULL
 * when the kernel was built without them; res NULL when built without. */
clbb_status clbb__affine_enqueue(clbb_context *ctx, cl_kernel k, clbb_kernel_family family,
                                 const clbb_tensor *x, cl_mem scale, cl_mem shift,
                                 const clbb_tensor *res, const clbb_tensor *y, clbb_shape shape);

#endif
