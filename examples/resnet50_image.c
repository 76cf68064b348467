/* Runs a ResNet-50 on an image file (PNG or JPEG) through MMDetection's test
 * pipeline (resize to 1333x800 keeping the ratio, PyTorch normalization,
 * padding to a multiple of 32) and prints the shape and statistics of every
 * feature level. Without a weights file the weights are random (seed 0).
 * Build: cc resnet50_image.c $(pkg-config --cflags --libs clbb) -o resnet50_image
 * Usage: resnet50_image IMAGE [WEIGHTS.safetensors] */
#include <clbb.h>
#include <clbb/image.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s IMAGE [WEIGHTS.safetensors]\n", argv[0]);
        return 2;
    }
    char err[512] = "";
    clbb_image_pipeline pipe;
    clbb_image_pipeline_init(&pipe);
    clbb_npy_array img = {0};
    clbb_status st = clbb_image_load(argv[1], &pipe, &img, err, sizeof err);
    if (st != CLBB_OK) {
        fprintf(stderr, "%s: %s\n", clbb_status_string(st), err);
        return 2;
    }
    const clbb_shape in = {(int32_t)img.dims[0], (int32_t)img.dims[1], (int32_t)img.dims[2],
                           (int32_t)img.dims[3]};
    printf("input %s: %d x %d x %d x %d\n", argv[1], in.n, in.c, in.h, in.w);

    clbb_context_options opt;
    clbb_context_options_init(&opt);
    opt.error_buffer = err;
    opt.error_buffer_size = sizeof err;
    clbb_context *ctx = NULL;
    clbb_model *m = NULL;
    float *feat = NULL;
    int rc = 1;
    if ((st = clbb_context_create(&opt, &ctx)) != CLBB_OK) {
        fprintf(stderr, "context: %s: %s\n", clbb_status_string(st), err);
        goto done;
    }
    clbb_model_config cfg;
    if ((st = clbb_model_config_preset("resnet50", &cfg)) != CLBB_OK ||
        (st = clbb_model_create(ctx, &cfg, &m)) != CLBB_OK)
        goto fail;
    st = argc == 3 ? clbb_model_load_weights(m, argv[2], NULL) : clbb_model_init_weights(m, 0);
    if (st != CLBB_OK || (st = clbb_model_forward(m, in, img.data)) != CLBB_OK) goto fail;

    for (int i = 0; i < clbb_model_num_outputs(m); i++) {
        clbb_shape s; /* the output's size is known once the forward has planned it */
        if ((st = clbb_model_output_shape(m, i, &s)) != CLBB_OK) goto fail;
        size_t n = clbb_shape_numel(s);
        float *f = realloc(feat, n * sizeof *f);
        if (!f) {
            fprintf(stderr, "out of memory\n");
            goto done;
        }
        feat = f;
        if ((st = clbb_model_read_output(m, i, feat, n)) != CLBB_OK) goto fail;
        double lo = feat[0], hi = feat[0], sum = 0;
        for (size_t k = 0; k < n; k++) {
            lo = feat[k] < lo ? feat[k] : lo;
            hi = feat[k] > hi ? feat[k] : hi;
            sum += feat[k];
        }
        printf("out%d: %d x %d x %d x %d  min %.4g  mean %.4g  max %.4g\n", i, s.n, s.c, s.h,
               s.w, lo, sum / (double)n, hi);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "%s: %s\n", clbb_status_string(st), clbb_last_error(ctx));
done:
    free(feat);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
    clbb_npy_array_free(&img);
    return rc;
}
