/* libFuzzer target for the .safetensors parser: parse, then look every
 * tensor up by name and convert the small ones, so that the offsets the
 * parser accepted are actually dereferenced under ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clbb/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger tensors are skipped: they cost time without reaching new code. */
#define FUZZ_MAX_ELEMENTS (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clbb_safetensors *st = NULL;
    char err[256];
    clbb_status s = clbb_safetensors_parse(data, size, &st, err, sizeof err);
    if (s != CLBB_OK) {
        if (s != CLBB_ERR_FORMAT || err[0] == '\0' || st != NULL) abort();
        return 0;
    }
    size_t count = clbb_safetensors_count(st);
    for (size_t i = 0; i < count; i++) {
        const clbb_st_tensor *t = clbb_safetensors_get(st, i);
        if (!t || clbb_safetensors_find(st, t->name) != t) abort();
        uint64_t n = 1;
        int small = 1;
        for (int k = 0; k < t->ndim && small; k++) {
            if (t->shape[k] < 0) abort();
            if (t->shape[k] != 0 && n > FUZZ_MAX_ELEMENTS / (uint64_t)t->shape[k]) small = 0;
            else n *= (uint64_t)t->shape[k];
        }
        if (!small) continue;
        float *dst = malloc((size_t)n * sizeof *dst + 1);
        if (!dst) continue;
        s = clbb_st_tensor_to_f32(t, dst, (size_t)n, err, sizeof err);
        int floating = t->dtype == CLBB_ST_F32 || t->dtype == CLBB_ST_F16 ||
                       t->dtype == CLBB_ST_BF16 || t->dtype == CLBB_ST_F64;
        /* The parser checked the byte range, so a float tensor must convert. */
        if (floating != (s == CLBB_OK)) abort();
        if (n > 0) s = clbb_st_tensor_to_f32(t, dst, (size_t)n - 1, err, sizeof err);
        if (n > 0 && s == CLBB_OK) abort();
        free(dst);
    }
    if (clbb_safetensors_get(st, count) != NULL) abort();
    clbb_safetensors_close(st);
    return 0;
}
