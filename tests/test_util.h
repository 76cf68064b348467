/* Shared by the Criterion suites: a context on the default device (or
 * CLBB_DEVICE), created inside the test so each forked test has its own. */
#ifndef CLBB_TEST_UTIL_H
#define CLBB_TEST_UTIL_H

#include <criterion/criterion.h>

#include "clbb.h"

static inline clbb_context *test_context(void) {
    clbb_context *ctx = NULL;
    char err[512] = "";
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK, "context: %s", err);
    return ctx;
}

#endif
