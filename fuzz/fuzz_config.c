/* libFuzzer target for the JSON model-config parser (docs/config.md): any input
 * must be accepted or refused with a message, never crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "clbb/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clbb_model_config cfg;
    char err[512];
    err[0] = '\0';
    clbb_status st =
        clbb_model_config_parse_json((const char *)data, size, &cfg, err, sizeof err);
    if (st != CLBB_OK && err[0] == '\0') abort();
    return 0;
}
