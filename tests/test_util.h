/* Shared by the Criterion suites: a context on the default device (or
 * CLBB_DEVICE), created inside the test so each forked test has its own. */
#ifndef CLBB_TEST_UTIL_H
#define CLBB_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

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

/* A fresh directory per test (Criterion .init / .fini): test_dir holds
 * its path. */
static char test_dir[64];

static inline void test_dir_make(void) {
    snprintf(test_dir, sizeof test_dir, "/tmp/clbb-test-XXXXXX");
    cr_assert_not_null(mkdtemp(test_dir));
}

static inline void test_dir_remove(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", test_dir);
    cr_assert_eq(system(cmd), 0);
}

#endif
