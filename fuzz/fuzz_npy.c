/* libFuzzer target for the .npy parser: any input must either parse into an
 * array whose every element is readable, or fail with CLBB_ERR_FORMAT and a
 * message, without leaks or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clbb/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clbb_npy_array a;
    char err[256];
    clbb_status st = clbb_npy_parse(data, size, &a, err, sizeof err);
    if (st == CLBB_OK) {
        size_t n = 1;
        for (int i = 0; i < a.ndim; i++) n *= (size_t)a.dims[i];
        /* Reading every element lets ASan check the allocation's size. */
        volatile float sink = 0.0f;
        for (size_t i = 0; i < n; i++) sink += a.data[i];
        (void)sink;
    } else if (st != CLBB_ERR_FORMAT || err[0] == '\0' || a.data != NULL) {
        abort(); /* every failure on bytes is a format error with a message */
    }
    clbb_npy_array_free(&a);
    return 0;
}
