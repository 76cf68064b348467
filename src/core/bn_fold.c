/* Inference batch norm as a per-channel affine: the one folding of BN
 * statistics, used by the batch_norm op and by the planner that folds BN
 * into the preceding convolution. */
#include <math.h>

#include "internal.h"

clbb_status clbb__bn_fold(clbb_context *ctx, int32_t channels, const float *mean,
                          const float *var, const float *weight, const float *bias, float eps,
                          float *scale, float *shift) {
    for (int32_t c = 0; c < channels; c++) {
        double v = var ? var[c] : 1.0, m = mean ? mean[c] : 0.0;
        double w = weight ? weight[c] : 1.0, b = bias ? bias[c] : 0.0;
        if (!(v + eps > 0) || !isfinite(v) || !isfinite(m) || !isfinite(w) || !isfinite(b))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "batch_norm: channel %d has var + eps = %g, mean %g, weight %g, "
                              "bias %g",
                              c, v + eps, m, w, b);
        double a = w / sqrt(v + eps);
        scale[c] = (float)a;
        shift[c] = (float)(b - m * a);
    }
    return CLBB_OK;
}
