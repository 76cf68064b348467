/* `clbb run`'s image options: --image and MMDetection's test pipeline
 * (--resize, --keep-ratio, --pad-divisor, --preprocess), and --visualize. */
#ifndef CLBB_CLI_IMAGE_ARGS_H
#define CLBB_CLI_IMAGE_ARGS_H

#include "model_args.h"

typedef struct cli_image_args {
    const char *image, *visualize;
    clbb_image_pipeline pipeline;
    int pipeline_set; /* a pipeline option was given (needs --image) */
} cli_image_args;

void cli_image_args_init(cli_image_args *a);

/* Consumes argv[*i] (and its value) if it is an image option: returns 0,
 * an exit code on a bad value, or -1 if it is not one of these. */
int cli_image_arg(cli_image_args *a, int argc, char **argv, int *i);

/* Checks the combination with the model options (--image excludes --input
 * and --shape) and that --visualize can be written, before any forward. */
int cli_image_check(const cli_image_args *a, const cli_model_args *m);

/* The model input from --image through the pipeline; prints what it did. */
int cli_image_input(const cli_image_args *a, const clbb_model_config *cfg, clbb_shape *shape,
                    float **data);

/* Writes the heat-map grid of the outputs to --visualize (if given). */
int cli_image_visualize(const cli_image_args *a, int nout, const clbb_shape *shapes,
                        float *const *outs);

#endif
