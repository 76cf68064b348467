/* Block and whole-backbone conformance: device forward vs the C reference
 * forward of the same model (double accumulation, BN unfolded). */
#ifndef CLBB_CHECK_MODELS_H
#define CLBB_CHECK_MODELS_H

#include <stdint.h>
#include <stdio.h>

#include "clbb.h"

typedef struct clbb_model_case {
    char name[64];
    const char *json;   /* config */
    clbb_shape input;
    int quick;
    double tolerance;   /* relative L2 per output */
} clbb_model_case;

/* Block-level cases (single-block or single-stage configs) and whole
 * backbones. *cases is a static table; returns the count. */
size_t clbb_model_block_cases(const clbb_model_case **cases);
size_t clbb_model_backbone_cases(const clbb_model_case **cases);

typedef struct clbb_model_result {
    int pass;
    double worst_rel_l2;
    int num_outputs;
    char message[512];
} clbb_model_result;

/* Builds the model from its config, random init from seed, runs device and
 * reference on seeded random input, compares every output. */
clbb_status clbb_check_model_case(clbb_context *ctx, const clbb_model_case *c, uint64_t seed,
                                  clbb_model_result *r);

/* Runs a table, prints a summary; returns the number of failures. */
int clbb_check_blocks(clbb_context *ctx, int quick, uint64_t seed, int verbose, FILE *out);
int clbb_check_models(clbb_context *ctx, int quick, uint64_t seed, int verbose, FILE *out);

#endif
