/* Device failures: for every N, making the N-th device allocation, program
 * build or enqueue of a ResNet-50 build + forward fail returns an error
 * status, leaves no device memory behind, and the model works again once
 * the fault is gone. Also: determinism and forwards from 4 threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "models/model_internal.h"

/* ResNet-50's structure (every op kind and fusion) at a quarter width. */
static const char *R50 = "{\"type\":\"ResNet\",\"depth\":50,\"base_channels\":16}";
static const clbb_shape IN = {1, 3, 32, 32};

static clbb_status build_and_forward(clbb_context *ctx, const float *x, float *out, size_t n) {
    clbb_model *m = NULL;
    clbb_status st = clbb_model_create_from_json(ctx, R50, strlen(R50), &m);
    if (st == CLBB_OK) st = clbb__model_randomize(m, 7);
    if (st == CLBB_OK) st = clbb_model_forward(m, IN, x);
    if (st == CLBB_OK) st = clbb_model_read_output(m, 3, out, n);
    clbb_model_destroy(m);
    return st;
}

static void sweep(clbb_fault_kind kind, const char *name) {
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(NULL, &ctx), CLBB_OK);
    size_t n = 2 * 64 * 1 * 1 * 16; /* out3: 1 x 512 x 1 x 1 at base 16 */
    n = 512;
    float *x = malloc(clbb_shape_numel(IN) * sizeof *x), *good = malloc(n * 4), *y = malloc(n * 4);
    uint64_t s = 3;
    clbb__fill_uniform(x, clbb_shape_numel(IN), &s, -1, 1);
    /* The first forward also grows the context's shared scratch, which
     * later models reuse: count the calls of a second one. */
    cr_assert_eq(build_and_forward(ctx, x, good, n), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb__fault_set(ctx, kind, 0);
    cr_assert_eq(build_and_forward(ctx, x, good, n), CLBB_OK, "%s", clbb_last_error(ctx));
    uint64_t calls = clbb__fault_count(ctx, kind);
    cr_assert_gt(calls, 0, "no %s calls counted", name);
    clbb_context_stats base;
    clbb_context_get_stats(ctx, &base);
    for (uint64_t k = 1; k <= calls; k++) {
        clbb__fault_set(ctx, kind, k);
        clbb_status st = build_and_forward(ctx, x, y, n);
        cr_assert_neq(st, CLBB_OK, "%s failure %llu of %llu went unnoticed", name,
                      (unsigned long long)k, (unsigned long long)calls);
        cr_assert(strstr(clbb_last_error(ctx), "injected"), "%s #%llu: %s", name,
                  (unsigned long long)k, clbb_last_error(ctx));
        clbb_context_stats now;
        clbb_context_get_stats(ctx, &now);
        cr_assert_eq(now.device_bytes_allocated, base.device_bytes_allocated,
                     "%s #%llu leaked %lld device bytes", name, (unsigned long long)k,
                     (long long)(now.device_bytes_allocated - base.device_bytes_allocated));
    }
    clbb__fault_set(ctx, kind, 0);
    cr_assert_eq(build_and_forward(ctx, x, y, n), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(memcmp(good, y, n * 4), 0, "results differ after the fault sweep");
    cr_log_info("%s: %llu injected failures, each reported and cleaned up", name, (unsigned long long)calls);
    free(x);
    free(good);
    free(y);
    clbb_context_destroy(ctx);
}

Test(faults, every_allocation, .timeout = 1800) { sweep(CLBB_FAULT_ALLOC, "allocation"); }
Test(faults, every_program_build, .timeout = 1800) { sweep(CLBB_FAULT_BUILD, "program build"); }
Test(faults, every_enqueue, .timeout = 1800) { sweep(CLBB_FAULT_ENQUEUE, "enqueue"); }

typedef struct job {
    const float *x;
    float *y;
    size_t n;
    clbb_status st;
} job;

static void *thread_forward(void *arg) {
    job *j = arg;
    clbb_context *ctx = NULL;
    j->st = clbb_context_create(NULL, &ctx);
    if (j->st == CLBB_OK) j->st = build_and_forward(ctx, j->x, j->y, j->n);
    clbb_context_destroy(ctx);
    return NULL;
}

Test(faults, four_threads_four_contexts_agree, .timeout = 900) {
    size_t n = 512;
    float *x = malloc(clbb_shape_numel(IN) * sizeof *x);
    uint64_t s = 5;
    clbb__fill_uniform(x, clbb_shape_numel(IN), &s, -1, 1);
    job jobs[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){x, malloc(n * 4), n, CLBB_ERR_DEVICE};
        pthread_create(&t[i], NULL, thread_forward, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(jobs[i].st, CLBB_OK, "thread %d: %s", i, clbb_status_string(jobs[i].st));
        cr_assert_eq(memcmp(jobs[0].y, jobs[i].y, n * 4), 0, "thread %d differs", i);
    }
    /* and against the reference */
    clbb_context *ctx;
    clbb_context_create(NULL, &ctx);
    clbb_model *m;
    clbb_model_create_from_json(ctx, R50, strlen(R50), &m);
    clbb__model_randomize(m, 7);
    float *refs[4] = {0};
    clbb_shape shapes[4];
    cr_assert_eq(clbb_model_forward_reference(m, IN, x, refs, shapes), CLBB_OK);
    double e = clbb__rel_l2(jobs[0].y, refs[3], n, NULL);
    cr_assert_lt(e, 1e-4, "threads vs reference: %g", e);
    for (int i = 0; i < 4; i++) free(refs[i]), free(jobs[i].y);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
    free(x);
}
