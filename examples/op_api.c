/* The op API: one grouped 3x3 convolution with batch norm folded into its
 * epilogue, the residual add and ReLU fused (a ResNeXt block's conv2 with a
 * shortcut), run on the device and checked against the C reference op.
 * Build: cc op_api.c $(pkg-config --cflags --libs clbb) -lm -o op_api */
#include <clbb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                                    \
    do {                                                                               \
        clbb_status st_ = (call);                                                      \
        if (st_ != CLBB_OK) {                                                          \
            fprintf(stderr, "%s: %s: %s\n", #call, clbb_status_string(st_),            \
                    clbb_last_error(ctx));                                             \
            goto done;                                                                 \
        }                                                                              \
    } while (0)

int main(void) {
    enum { C = 32, G = 8 };
    const clbb_conv2d_desc desc = {.in_channels = C, .out_channels = C, .groups = G,
                                   .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                                   .dilation_h = 1, .dilation_w = 1, .pad_top = 1,
                                   .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
    const clbb_shape in = {1, C, 16, 16};
    clbb_context *ctx = NULL;
    clbb_op *op = NULL;
    clbb_tensor *tx = NULL, *tres = NULL, *ty = NULL;
    size_t nw = (size_t)C * (C / G) * 9, n = clbb_shape_numel(in);
    float *w = malloc(nw * sizeof *w), *x = malloc(n * sizeof *x), *res = malloc(n * sizeof *x);
    float *y = malloc(n * sizeof *y), *ref = malloc(n * sizeof *y);
    float scale[C], shift[C];
    int rc = 1;
    if (!w || !x || !res || !y || !ref) goto done;

    /* BN(gamma, beta, mean, var) folded: y = gamma (v - mean) / sqrt(var + eps) + beta */
    for (int c = 0; c < C; c++) {
        float gamma = 1.0f + 0.01f * c, beta = 0.1f, mean = 0.02f * c, var = 1.0f + 0.05f * c;
        scale[c] = gamma / sqrtf(var + 1e-5f);
        shift[c] = beta - mean * scale[c];
    }
    clbb_fill_uniform(w, nw, 1, -0.2f, 0.2f);
    clbb_fill_uniform(x, n, 2, -1.0f, 1.0f);
    clbb_fill_uniform(res, n, 3, -1.0f, 1.0f);
    const clbb_epilogue ep = {.scale = scale, .shift = shift, .residual = 1,
                              .activation = CLBB_ACTIVATION_RELU};

    char err[512] = "";
    clbb_context_options opt;
    clbb_context_options_init(&opt);
    opt.error_buffer = err;
    opt.error_buffer_size = sizeof err;
    clbb_status st = clbb_context_create(&opt, &ctx);
    if (st != CLBB_OK) {
        fprintf(stderr, "clbb_context_create: %s: %s\n", clbb_status_string(st), err);
        goto done;
    }
    clbb_shape out;
    CHECK(clbb_conv2d_create(ctx, &desc, w, NULL, &ep, NULL, &op));
    CHECK(clbb_op_reshape(op, in, &out)); /* builds the kernels for this shape */
    CHECK(clbb_tensor_create(ctx, in, CLBB_DTYPE_F32, &tx));
    CHECK(clbb_tensor_create(ctx, out, CLBB_DTYPE_F32, &tres));
    CHECK(clbb_tensor_create(ctx, out, CLBB_DTYPE_F32, &ty));
    CHECK(clbb_tensor_write_f32(ctx, tx, x, n));
    CHECK(clbb_tensor_write_f32(ctx, tres, res, n));
    const clbb_tensor *inputs[2] = {tx, tres}; /* x, then the residual */
    CHECK(clbb_op_setup(op, inputs, 2, ty));
    CHECK(clbb_op_run(op));
    CHECK(clbb_tensor_read_f32(ctx, ty, y, n)); /* blocking: waits for the run */

    clbb_ref_conv2d(&desc, in, x, w, NULL, &ep, res, NULL, ref);
    double num = 0, den = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
        if (fabs(d) > worst) worst = fabs(d);
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    clbb_op_info info;
    CHECK(clbb_op_get_info(op, &info));
    printf("grouped conv %dx%dx%dx%d, groups %d, BN + residual + ReLU fused (%s): "
           "relative L2 error %.3g, worst element %.3g\n",
           out.n, out.c, out.h, out.w, G, info.algorithm, rel, worst);
    rc = rel < 1e-5 ? 0 : 1;
    if (rc) fprintf(stderr, "error above 1e-5\n");
done:
    clbb_tensor_destroy(tx);
    clbb_tensor_destroy(tres);
    clbb_tensor_destroy(ty);
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
    free(w);
    free(x);
    free(res);
    free(y);
    free(ref);
    return rc;
}
