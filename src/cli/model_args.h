/* Model options shared by `clbb run`, `bench` and `tune`. */
#ifndef CLBB_CLI_MODEL_ARGS_H
#define CLBB_CLI_MODEL_ARGS_H

#include <stdint.h>

#include "cli.h"
#include "options.h"

typedef struct cli_model_args {
    const char *arch, *config, *weights, *input, *device;
    uint64_t seed;
    clbb_shape shape;
    int has_shape;
    clbb_precision precision;
    int note_random; /* say on stderr when the weights are random */
} cli_model_args;

/* The model options' entries of a command's option table (options.h). */
#define CLI_MODEL_OPTS(a)                                                                   \
    {"--arch", CLI_STRING, &(a)->arch, 0, 0, NULL},                                         \
    {"--config", CLI_STRING, &(a)->config, 0, 0, NULL},                                     \
    {"--weights", CLI_STRING, &(a)->weights, 0, 0, NULL},                                   \
    {"--seed", CLI_U64, &(a)->seed, 0, 0, NULL},                                            \
    {"--input", CLI_STRING, &(a)->input, 0, 0, NULL},                                       \
    {"--shape", CLI_SHAPE, &(a)->shape, 0, 0, &(a)->has_shape},                             \
    {"--device", CLI_STRING, &(a)->device, 0, 0, NULL},                                     \
    CLI_PROFILE_OPT,                                                                        \
    {"--precision", CLI_PRECISION, &(a)->precision, 0, 0, NULL}

/* Resolves --arch / --config into a validated config. */
int cli_model_config(const cli_model_args *a, clbb_model_config *cfg);

/* How `run` takes a uint8 --input (image pixels: HWC, NHWC or NCHW with 3
 * channels, RGB): normalized through `pipeline` (the image options; no
 * resize or padding unless given). */
typedef struct cli_u8_input {
    clbb_image_pipeline pipeline;
    int options_given; /* an image option was given: refused for a float input */
} cli_u8_input;

/* Input from --input FILE.npy (float NCHW; uint8 pixels through u8, which
 * NULL refuses) or random from --shape and --seed. */
int cli_model_input(const cli_model_args *a, const clbb_model_config *cfg, const cli_u8_input *u8,
                    clbb_shape *shape, float **data);

/* Creates the model and loads --weights (or the config's pretrained file),
 * else MMDetection's init from --seed. */
int cli_model_create(const cli_model_args *a, const clbb_model_config *cfg, clbb_context *ctx,
                     clbb_model **model);

/* The one stderr line of a precision that falls back ("precision: tf32 ->
 * fp32 (no tensor cores on this device: ...)"); nothing otherwise. */
void cli_precision_line(const clbb_precision_info *p);

int cli_read_file(const char *path, char **data, size_t *size);
int cli_mkdir_p(const char *path);

#endif
