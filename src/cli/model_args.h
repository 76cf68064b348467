/* Model options shared by `clbb run`, `bench` and `tune`. */
#ifndef CLBB_CLI_MODEL_ARGS_H
#define CLBB_CLI_MODEL_ARGS_H

#include <stdint.h>

#include "cli.h"

typedef struct cli_model_args {
    const char *arch, *config, *weights, *input, *device;
    uint64_t seed;
    clbb_shape shape;
    int has_shape;
    clbb_precision precision;
} cli_model_args;

/* Consumes argv[*i] (and its value) if it is a model option: returns 0,
 * an exit code on a bad value, or -1 if the option is not one of these. */
int cli_model_arg(cli_model_args *a, int argc, char **argv, int *i);

/* Resolves --arch / --config into a validated config. */
int cli_model_config(const cli_model_args *a, clbb_model_config *cfg);

/* Input from --input FILE.npy or random from --shape and --seed. */
int cli_model_input(const cli_model_args *a, const clbb_model_config *cfg, clbb_shape *shape,
                    float **data);

/* Creates the model and loads --weights (or the config's pretrained file),
 * else MMDetection's init from --seed. */
int cli_model_create(const cli_model_args *a, const clbb_model_config *cfg, clbb_context *ctx,
                     clbb_model **model);

int cli_read_file(const char *path, char **data, size_t *size);
int cli_mkdir_p(const char *path);

#endif
