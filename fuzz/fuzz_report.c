/* libFuzzer target for the conformance-report reader (clbb check --compare):
 * any input must parse or be refused with a message naming the file, never
 * crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512] = "";
    report_doc doc;
    clbb_status st = check_report_parse((const char *)data, size, "fuzz.json", &doc, err, sizeof err);
    if (st != CLBB_OK) {
        if (!strstr(err, "fuzz.json")) abort();
        return 0;
    }
    /* what the comparison reads of every case */
    for (size_t i = 0; i < doc.num_cases; i++)
        if (!doc.cases[i].table[0] || !doc.cases[i].name[0] || !doc.cases[i].reason) abort();
    check_report_doc_free(&doc);
    return 0;
}
