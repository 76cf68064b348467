/* Program caches: a second process on the same device loads every program
 * from the disk cache and compiles nothing; a corrupt cache entry falls
 * back to a build; the in-memory cache is hit within a context; a failed
 * build reports its log; a warm plan builds nothing. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl/program.h"

#include "test_util.h"


/* Builds a few programs through ops; returns the context's stats. */
static clbb_context_stats build_some(const char *cache) {
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.cache_dir = cache;
    clbb_context *ctx = NULL;
    clbb_context_stats st = {0};
    if (clbb_context_create(&o, &ctx) != CLBB_OK) return st;
    float w[4 * 4 * 9];
    for (int i = 0; i < 144; i++) w[i] = 0.01f * i;
    clbb_conv2d_desc d = {4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    clbb_shape in = {1, 4, 8, 8}, out;
    for (int a = CLBB_CONV_ALGO_DIRECT; a <= CLBB_CONV_ALGO_DEPTHWISE; a++) {
        clbb_conv2d_options co;
        clbb_conv2d_options_init(&co);
        co.algo = (clbb_conv_algo)a;
        clbb_op *op = NULL;
        if (a == CLBB_CONV_ALGO_DEPTHWISE) d.groups = 4;
        if (clbb_conv2d_create(ctx, &d, w, NULL, NULL, &co, &op) == CLBB_OK) clbb_op_reshape(op, in, &out);
        clbb_op_destroy(op);
    }
    clbb_op *pool = NULL;
    clbb_pool2d_desc pd = {3, 3, 2, 2, 1, 1, 0, 0};
    if (clbb_max_pool2d_create(ctx, &pd, NULL, &pool) == CLBB_OK) clbb_op_reshape(pool, in, &out);
    clbb_op_destroy(pool);
    clbb_context_get_stats(ctx, &st);
    clbb_context_destroy(ctx);
    return st;
}

/* Runs build_some in a child process; returns its stats through a pipe. */
static clbb_context_stats in_child(const char *cache) {
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fd[0]);
        clbb_context_stats st = build_some(cache);
        ssize_t w = write(fd[1], &st, sizeof st);
        _exit(w == (ssize_t)sizeof st ? 0 : 1);
    }
    close(fd[1]);
    clbb_context_stats st = {0};
    ssize_t r = read(fd[0], &st, sizeof st);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert_eq(r, (ssize_t)sizeof st);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return st;
}

Test(cache, second_process_compiles_nothing, .init = test_dir_make, .fini = test_dir_remove, .timeout = 600) {
    clbb_context_stats first = in_child(test_dir);
    cr_assert_gt(first.programs_built_from_source, 0);
    cr_assert_eq(first.programs_loaded_from_disk, 0);
    clbb_context_stats second = in_child(test_dir);
    cr_assert_eq(second.programs_built_from_source, 0, "the second process compiled %llu programs",
                 (unsigned long long)second.programs_built_from_source);
    cr_assert_eq(second.programs_loaded_from_disk, first.programs_built_from_source);
}

Test(cache, corrupt_entries_fall_back_to_a_build, .init = test_dir_make, .fini = test_dir_remove, .timeout = 600) {
    clbb_context_stats first = in_child(test_dir);
    DIR *d = opendir(test_dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".clbin")) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", test_dir, e->d_name);
        FILE *f = fopen(path, n % 2 ? "r+b" : "wb"); /* truncate half, garble half */
        cr_assert_not_null(f);
        if (n % 2) {
            fseek(f, 40, SEEK_SET);
            fputs("garbage garbage garbage", f);
        }
        fclose(f);
        n++;
    }
    closedir(d);
    cr_assert_gt(n, 0);
    clbb_context_stats again = in_child(test_dir);
    cr_assert_eq(again.programs_built_from_source + again.programs_loaded_from_disk,
                 first.programs_built_from_source);
    cr_assert_gt(again.programs_built_from_source, 0);
}

Test(cache, disabled_cache_and_memory_hits) {
    clbb_context_stats st = build_some("");
    cr_assert_gt(st.programs_built_from_source, 0);
    cr_assert_eq(st.programs_loaded_from_disk, 0);
    clbb_context *ctx = NULL;
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.cache_dir = "";
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    cl_program p1, p2;
    cr_assert_eq(clbb__program_get(ctx, "peak", "", &p1), CLBB_OK);
    cr_assert_eq(clbb__program_get(ctx, "peak", "", &p2), CLBB_OK);
    cr_assert_eq(p1, p2);
    clbb_context_stats s2;
    clbb_context_get_stats(ctx, &s2);
    cr_assert_eq(s2.programs_from_memory, 1);
    clbb_context_destroy(ctx);
}

Test(cache, build_failure_reports_the_log) {
    clbb_context *ctx = NULL;
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.cache_dir = "";
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    cl_program p;
    /* KH missing: the kernel does not compile */
    cr_assert_eq(clbb__program_get(ctx, "conv2d_direct", "-D KW=3", &p), CLBB_ERR_BUILD);
    cr_assert(strstr(clbb_last_error(ctx), "conv2d_direct"), "%s", clbb_last_error(ctx));
    cr_assert(strstr(clbb_last_error(ctx), "KH") || strstr(clbb_last_error(ctx), "error"), "%s",
              clbb_last_error(ctx));
    cr_assert_eq(clbb__program_get(ctx, "no_such_family", "", &p), CLBB_ERR_BUILD);
    cr_assert(strstr(clbb_last_error(ctx), "no_such_family"));
    clbb_context_destroy(ctx);
}

/* Plans resnet18 at 1x3x64x64 in a fresh context on `cache`; returns the
 * context's stats after the plan and, through `replan`, those of a second
 * model planned in the same context. */
static clbb_context_stats plan_resnet18(const char *cache, clbb_context_stats *replan) {
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.cache_dir = cache;
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    clbb_model_config cfg;
    cr_assert_eq(clbb_model_config_preset("resnet18", &cfg), CLBB_OK);
    const clbb_shape in = {1, 3, 64, 64};
    clbb_model *m[2] = {NULL, NULL};
    clbb_context_stats st[2];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(clbb_model_create(ctx, &cfg, &m[k]), CLBB_OK);
        cr_assert_eq(clbb_model_init_weights(m[k], 1), CLBB_OK);
        cr_assert_eq(clbb_model_plan(m[k], in), CLBB_OK, "%s", clbb_last_error(ctx));
        clbb_context_get_stats(ctx, &st[k]);
    }
    clbb_model_destroy(m[0]);
    clbb_model_destroy(m[1]);
    clbb_context_destroy(ctx);
    *replan = st[1];
    return st[0];
}

/* Warm start: a second context on a warm disk cache plans without a build,
 * and replanning in a context touches neither the compiler nor the disk. */
Test(cache, warm_plan_builds_nothing, .init = test_dir_make, .fini = test_dir_remove, .timeout = 600) {
    clbb_context_stats re1, re2;
    clbb_context_stats first = plan_resnet18(test_dir, &re1);
    cr_assert_gt(first.programs_built_from_source, 0);
    cr_assert_eq(re1.programs_built_from_source, first.programs_built_from_source,
                 "replanning built %llu programs",
                 (unsigned long long)(re1.programs_built_from_source - first.programs_built_from_source));
    cr_assert_eq(re1.programs_loaded_from_disk, first.programs_loaded_from_disk);
    clbb_context_stats second = plan_resnet18(test_dir, &re2);
    cr_assert_eq(second.programs_built_from_source, 0, "the warm plan built %llu programs",
                 (unsigned long long)second.programs_built_from_source);
    cr_assert_eq(second.programs_loaded_from_disk, first.programs_built_from_source);
    cr_assert_eq(re2.programs_built_from_source, 0);
    cr_assert_eq(re2.programs_loaded_from_disk, second.programs_loaded_from_disk);
}

/* CLBB_PROGRAM_LOG gets one line per built program (what the clc test
 * compiles with clang); an fp16-storage program (" -D DTYPE=1", not
 * DTYPE=10 or SRC_DTYPE=1) on a device with cl_khr_fp16 gets
 * -D CLBB_FP16_NATIVE=1. No device here has the extension, so has_fp16 is
 * set by hand: PoCL may then reject the half arithmetic, and the build
 * error names the options instead of the log. */
Test(cache, build_log_and_fp16_native_option, .init = test_dir_make, .fini = test_dir_remove,
     .timeout = 300) {
    char log[128];
    snprintf(log, sizeof log, "%s/built.txt", test_dir);
    cr_assert_eq(setenv("CLBB_PROGRAM_LOG", log, 1), 0);
    clbb_context *ctx = NULL;
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.cache_dir = "";
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    cl_program p;
    ctx->info.has_fp16 = 0;
    cr_assert_eq(clbb__program_get(ctx, "copy", " -D DTYPE=1", &p), CLBB_OK);
    ctx->info.has_fp16 = 1;
    cr_assert_eq(clbb__program_get(ctx, "copy", " -D DTYPE=0 -D SRC_DTYPE=1", &p), CLBB_OK);
    cr_assert_eq(clbb__program_get(ctx, "copy", " -D DTYPE=10", &p), CLBB_OK);
    clbb_status st = clbb__program_get(ctx, "copy", " -D DTYPE=1", &p);
    int native_built = st == CLBB_OK;
    if (!native_built) {
        cr_assert_eq(st, CLBB_ERR_BUILD);
        cr_assert(strstr(clbb_last_error(ctx), "-D DTYPE=1 -D CLBB_FP16_NATIVE=1"), "%s",
                  clbb_last_error(ctx));
    }
    clbb_context_destroy(ctx);
    char text[512] = "";
    FILE *f = fopen(log, "r");
    cr_assert_not_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *want = native_built ? "copy\t -D DTYPE=1\ncopy\t -D DTYPE=0 -D SRC_DTYPE=1\n"
                                      "copy\t -D DTYPE=10\ncopy\t -D DTYPE=1 -D CLBB_FP16_NATIVE=1\n"
                                    : "copy\t -D DTYPE=1\ncopy\t -D DTYPE=0 -D SRC_DTYPE=1\n"
                                      "copy\t -D DTYPE=10\n";
    cr_assert_str_eq(text, want);
}
