/* libFuzzer target for the tuning-table parser (clbb_context_load_tuning's
 * text): any input must load or be refused with a message, never crash,
 * and lookups on whatever loaded must not either. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static clbb_context *ctx;

/* One context for the whole run (the OpenCL driver's own allocations are
 * made here, outside any input). */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.cache_dir = "";
    if (clbb_context_create(&o, &ctx) != CLBB_OK) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clbb_status st = clbb__tuning_load_text(ctx, (const char *)data, size, "fuzz");
    if (st != CLBB_OK && !clbb_last_error(ctx)[0]) abort();
    clbb_tuning_choice c;
    clbb__tuning_find(ctx, "conv f32 64>64 g1 k3x3 s1x1 d1x1 p1,1,1,1 r0 g0 a1 | cols 2^10 w 2^5", &c);
    return 0;
}
