/* libFuzzer target for the model-config parser (docs/config.md): JSON and the
 * Python-literal form (clbb_model_config_parse_json reads both); any input
 * must be accepted or refused with a message, never crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clbb/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clbb_model_config cfg;
    char err[512];
    err[0] = '\0';
    clbb_config_info info;
    clbb_status st =
        clbb_model_config_parse((const char *)data, size, &cfg, &info, err, sizeof err);
    if (st != CLBB_OK && err[0] == '\0') abort();
    if (memchr(info.note, '\0', sizeof info.note) == NULL) abort();
    return 0;
}
