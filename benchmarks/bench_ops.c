/* Op benchmarks: the conformance case tables, timed on the device with
 * profiling events (median of --iters runs, after a correctness check of
 * the same case). For every conv case the im2col + CLBlast baseline of the
 * same geometry is timed in the same run and the speed-up printed.
 *
 * usage: bench_ops [--op NAME] [--quick] [--iters N] [--device SEL] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/internal.h"

int main(int argc, char **argv) {
    const char *only = NULL, *device = NULL;
    int quick = 0, iters = 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--op") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else {
            fprintf(stderr, "usage: bench_ops [--op NAME] [--quick] [--iters N] [--device SEL]\n");
            return 2;
        }
    }
    if (iters < 1) iters = 1;
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.device = device;
    o.profiling = 1;
    char err[512] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    clbb_context *ctx;
    if (clbb_context_create(&o, &ctx) != CLBB_OK) {
        fprintf(stderr, "bench_ops: %s\n", err);
        return 1;
    }
    double peak_gf = 0, peak_gb = 0;
    clbb__device_peak(ctx, &peak_gf, &peak_gb);
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    printf("device: %s (%s); measured peak %.0f GFLOP/s, %.0f GB/s\n", info.device_name,
           info.driver_version, peak_gf, peak_gb);
    printf("%-16s %-36s %-34s %10s %9s %6s %8s %9s\n", "op", "case", "algorithm", "median_ms",
           "GFLOP/s", "%peak", "GB/s", "vs_clblas");
    int failed = 0;
    uint64_t seed = clbb_check_seed();
    for (int op = 0; op < CLBB_CHECK_OP_COUNT; op++) {
        if (only && strcmp(only, clbb_check_op_name(op))) continue;
        clbb_check_case *cases;
        size_t n = clbb_check_cases((clbb_check_op)op, quick, &cases);
        for (size_t i = 0; i < n; i++) {
            clbb_check_case *c = &cases[i];
            if (op == CLBB_CHECK_CONV2D && c->algo != CLBB_CONV_ALGO_DIRECT) continue;
            if (op == CLBB_CHECK_CONV2D) c->algo = CLBB_CONV_ALGO_AUTO; /* what a model gets */
            clbb_check_result r, b = {0};
            clbb_status st = clbb_check_run(ctx, c, seed + i, iters, &r);
            if (st != CLBB_OK || !r.ran || !r.pass) {
                printf("%-16s %-36s FAILED: %s\n", clbb_check_op_name(op), c->name, r.message);
                failed++;
                continue;
            }
            double speedup = 0;
            if (op == CLBB_CHECK_CONV2D) {
                c->algo = CLBB_CONV_ALGO_GEMM_CLBLAST;
                if (clbb_check_run(ctx, c, seed + i, iters, &b) == CLBB_OK && b.ran && r.median_ms > 0)
                    speedup = b.median_ms / r.median_ms;
            }
            double gf = r.median_ms > 0 ? r.flops / (r.median_ms * 1e6) : 0;
            double gb = r.median_ms > 0 ? r.bytes / (r.median_ms * 1e6) : 0;
            char *slash = strchr(c->name, '/');
            if (slash && op == CLBB_CHECK_CONV2D) *slash = '\0';
            printf("%-16s %-36s %-34s %10.4f %9.1f %5.1f%% %8.1f", clbb_check_op_name(op), c->name,
                   r.algorithm, r.median_ms, gf, peak_gf > 0 ? 100 * gf / peak_gf : 0, gb);
            if (speedup > 0) printf(" %8.2fx", speedup);
            printf("\n");
        }
        free(cases);
    }
    clbb_context_destroy(ctx);
    return failed ? 1 : 0;
}
