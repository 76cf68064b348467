/* Block and backbone conformance (filled in with the models). */
#include "check_models.h"

size_t clbb_model_block_cases(const clbb_model_case **cases) { *cases = NULL; return 0; }
size_t clbb_model_backbone_cases(const clbb_model_case **cases) { *cases = NULL; return 0; }
int clbb_check_blocks(clbb_context *ctx, int quick, uint64_t seed, int verbose, FILE *out) { (void)ctx; (void)quick; (void)seed; (void)verbose; (void)out; return 0; }
int clbb_check_models(clbb_context *ctx, int quick, uint64_t seed, int verbose, FILE *out) { (void)ctx; (void)quick; (void)seed; (void)verbose; (void)out; return 0; }
