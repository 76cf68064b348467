/* Op benchmarks: the conformance case tables, timed on the device with
 * profiling events (median of --iters runs, after a correctness check of
 * the same case), next to the C reference's time (checkasm's speed-up) and,
 * for every conv geometry, the im2col + CLBlast baseline in the same run.
 *
 * usage: bench_ops [--op NAME] [--case TEXT] [--quick] [--iters N] [--device SEL]
 *                  [--precision fp32|fp16]
 * (--case: only the cases whose name contains TEXT) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"

/* conv cases: time the geometry once with what a model gets (AUTO), not
 * once per algorithm and family of the table */
static int first_of_geometry(const check_case *c) {
    const char *slash = strchr(c->name, '/');
    return !slash || !strncmp(slash, "/direct", 7);
}

int main(int argc, char **argv) {
    const char *only = NULL, *device = NULL, *only_case = NULL;
    int quick = 0, iters = 20;
    clbb_precision precision = CLBB_PRECISION_FP32;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--op") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--case") && i + 1 < argc) only_case = argv[++i];
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc &&
                 clbb_precision_parse(argv[i + 1], &precision) == CLBB_OK) i++;
        else {
            fprintf(stderr, "usage: bench_ops [--op NAME] [--case TEXT] [--quick] [--iters N] [--device SEL] "
                            "[--precision fp32|tf32x3|tf32|fp16]\n");
            return 2;
        }
    }
    if (iters < 1) iters = 1;
    const clbb_dtype dtype = precision == CLBB_PRECISION_FP16 ? CLBB_DTYPE_F16 : CLBB_DTYPE_F32;
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
    clbb_context_measure_peak(ctx, &peak_gf, &peak_gb);
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    printf("device: %s (%s); %s; measured peak %.0f GFLOP/s, %.0f GB/s\n", info.device_name,
           info.driver_version, clbb_dtype_name(dtype), peak_gf, peak_gb);
    printf("%-16s %-36s %-34s %10s %9s %6s %8s %9s %10s %9s\n", "op", "case", "algorithm",
           "median_ms", "GFLOP/s", "%peak", "GB/s", "vs_clblas", "ref_ms", "vs_ref");
    int failed = 0;
    uint64_t seed = check_seed();
    for (size_t k = 0; k < check_num_ops(); k++) {
        const check_op *op = check_op_at(k);
        if (only && strcmp(only, op->name)) continue;
        const int conv = !strcmp(op->name, "conv2d");
        check_case *cases;
        size_t n = check_cases(op, quick, dtype, &cases);
        for (size_t i = 0; i < n; i++) {
            check_case *c = &cases[i];
            c->precision = precision; /* conv-like ops run its math (tf32, tf32x3) */
            if (conv && !first_of_geometry(c)) continue;
            if (only_case && !strstr(c->name, only_case)) continue;
            char name[96];
            clbb__strlcpy(name, c->name, sizeof name);
            if (conv) { /* what a model gets */
                *strchr(name, '/') = '\0';
                c->family = CLBB_KERNEL_FAMILY_AUTO;
                c->algo = CLBB_CONV_ALGO_AUTO;
            }
            check_result r, b;
            memset(&b, 0, sizeof b);
            clbb_status st = check_run(ctx, c, seed + i, iters, &r);
            if (st != CLBB_OK || !r.ran || !r.pass) {
                printf("%-16s %-36s FAILED: %s\n", op->name, name, r.message);
                failed++;
                continue;
            }
            double speedup = 0;
            if (conv && dtype == CLBB_DTYPE_F32) {
                c->algo = CLBB_CONV_ALGO_GEMM_CLBLAST;
                if (check_run(ctx, c, seed + i, iters, &b) == CLBB_OK && b.ran && r.median_ms > 0)
                    speedup = b.median_ms / r.median_ms;
            }
            double gf = r.median_ms > 0 ? r.flops / (r.median_ms * 1e6) : 0;
            double gb = r.median_ms > 0 ? r.bytes / (r.median_ms * 1e6) : 0;
            printf("%-16s %-36s %-34s %10.4f %9.1f %5.1f%% %8.1f", op->name, name, r.algorithm,
                   r.median_ms, gf, peak_gf > 0 ? 100 * gf / peak_gf : 0, gb);
            if (speedup > 0) printf(" %8.2fx", speedup);
            else printf(" %9s", "-");
            printf(" %10.3f %8.1fx\n", r.ref_ms, r.median_ms > 0 ? r.ref_ms / r.median_ms : 0);
        }
        free(cases);
    }
    clbb_context_destroy(ctx);
    return failed ? 1 : 0;
}
