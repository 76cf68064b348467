/* clbb_model_benchmark: medians of whole forwards (host clock) and of each
 * op (profiling events), the numbers `clbb bench` reports. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_internal.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

clbb_status clbb_model_benchmark(clbb_model *m, const clbb_tensor *in, int warmup, int iters,
                                 clbb_model_timing *t, clbb_layer_profile *layers,
                                 size_t capacity) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = m->ctx;
    if (!in || !t)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "benchmark: %s is NULL",
                          !in ? "input" : "timing");
    if (iters < 1 || warmup < 0)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "benchmark: iters = %d, warmup = %d",
                          iters, warmup);
    if (!clbb__context_profiling(ctx))
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE,
                          "benchmark needs a context created with profiling on");
    memset(t, 0, sizeof *t);
    const uint64_t total = (uint64_t)warmup + 1 + (uint64_t)iters;
    for (int i = 0; i <= warmup; i++) {
        CLBB_CHECK(clbb_model_forward_tensor(m, in));
        if (clbb__progress_on(ctx)) { /* a report per finished forward */
            CLBB_CHECK(clbb_context_finish(ctx));
            clbb__progress(ctx, CLBB_PROGRESS_BENCH, (uint64_t)i + 1, total, "warmup");
        }
    }
    CLBB_CHECK(clbb_context_finish(ctx));
    size_t n = 0;
    CLBB_CHECK(clbb_model_profile(m, NULL, 0, &n, NULL));
    double *wall = malloc((size_t)iters * sizeof *wall), *ksum = malloc((size_t)iters * sizeof *ksum);
    double *per = malloc((size_t)iters * sizeof *per);
    clbb_layer_profile *runs = calloc(n * (size_t)iters + 1, sizeof *runs);
    clbb_status st = wall && ksum && per && runs
                         ? CLBB_OK
                         : clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "benchmark: out of host memory");
    for (int i = 0; i < iters && st == CLBB_OK; i++) {
        double t0 = now_ms();
        st = clbb_model_forward_tensor(m, in);
        if (st == CLBB_OK) st = clbb_context_finish(ctx);
        wall[i] = now_ms() - t0;
        if (st == CLBB_OK) /* outside the timed region */
            clbb__progress(ctx, CLBB_PROGRESS_BENCH, (uint64_t)warmup + 2 + (uint64_t)i, total,
                           "timed");
    }
    for (int i = 0; i < iters && st == CLBB_OK; i++) {
        size_t got;
        st = clbb_model_profile(m, runs + (size_t)i * n, n, &got, &ksum[i]);
    }
    if (st == CLBB_OK) {
        t->num_layers = n;
        for (size_t l = 0; l < n; l++) {
            t->gflop += runs[l].flops * 1e-9;
            if (!layers || l >= capacity) continue;
            for (int i = 0; i < iters; i++) per[i] = runs[(size_t)i * n + l].ms;
            layers[l] = runs[l];
            layers[l].ms = clbb__median(per, (size_t)iters);
        }
        t->wall_min_ms = wall[0];
        for (int i = 1; i < iters; i++)
            if (wall[i] < t->wall_min_ms) t->wall_min_ms = wall[i];
        t->wall_median_ms = clbb__median(wall, (size_t)iters);
        t->kernel_median_ms = clbb__median(ksum, (size_t)iters);
    }
    free(wall);
    free(ksum);
    free(per);
    free(runs);
    return clbb__done(ctx, st);
}
