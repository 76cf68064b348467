/* `clbb run`'s image options: --image and MMDetection's test pipeline
 * (--resize, --keep-ratio, --pad-divisor, --preprocess), and --visualize. */
#ifndef CLBB_CLI_IMAGE_ARGS_H
#define CLBB_CLI_IMAGE_ARGS_H

#include "model_args.h"

#include "options.h"

typedef struct cli_image_args {
    const char *image, *visualize;
    /* as given, read into pipeline by cli_image_check() */
    const char *resize, *preprocess;
    int keep_ratio, no_keep_ratio;
    long pad_divisor;
    clbb_image_pipeline pipeline;
    int pipeline_set; /* a pipeline option was given (needs --image) */
} cli_image_args;

/* The option-table rows of the image options (see options.h). */
#define CLI_IMAGE_OPTS(a)                                                                   \
    {"--image", CLI_STRING, &(a)->image, 0, 0, NULL},                                       \
        {"--visualize", CLI_STRING, &(a)->visualize, 0, 0, NULL},                           \
        {"--resize", CLI_STRING, &(a)->resize, 0, 0, &(a)->pipeline_set},                   \
        {"--keep-ratio", CLI_FLAG, &(a)->keep_ratio, 0, 0, &(a)->pipeline_set},             \
        {"--no-keep-ratio", CLI_FLAG, &(a)->no_keep_ratio, 0, 0, &(a)->pipeline_set},       \
        {"--pad-divisor", CLI_INT, &(a)->pad_divisor, 0, 4096, &(a)->pipeline_set},         \
        {"--preprocess", CLI_STRING, &(a)->preprocess, 0, 0, &(a)->pipeline_set}

void cli_image_args_init(cli_image_args *a);

/* Reads the pipeline options, checks the combination with the model
 * options (--image excludes --input and --shape) and that --visualize can
 * be written, before any forward. */
int cli_image_check(cli_image_args *a, const cli_model_args *m);

/* The model input from --image through the pipeline; prints what it did. */
int cli_image_input(const cli_image_args *a, const clbb_model_config *cfg, clbb_shape *shape,
                    float **data);

/* Writes the heat-map grid of the outputs to --visualize (if given). */
int cli_image_visualize(const cli_image_args *a, int nout, const clbb_shape *shapes,
                        float *const *outs);

#endif
