/* clbb bench: forward timings of a backbone on a device (clbb_model_
 * benchmark): wall-clock medians of whole forwards, per-layer medians from
 * profiling events, GFLOP/s and % of the device's measured peak;
 * optionally the same network with im2col + CLBlast SGEMM convolutions
 * (the baseline a user would write) in the same run. --svg charts the
 * per-layer medians; --compare goes to bench_compare.c. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"
#include "model_args.h"


typedef struct timing {
    clbb_model_timing t;
    clbb_layer_profile *layers; /* medians per layer */
    uint64_t kernels;           /* kernel launches of one forward */
} timing;

/* Kernel launches of one forward of the planned model (the context's
 * counter before and after). */
static clbb_status count_kernels(clbb_context *ctx, clbb_model *m, const clbb_tensor *in,
                                 uint64_t *kernels) {
    clbb_context_stats a, b;
    clbb_status st = clbb_context_get_stats(ctx, &a);
    if (st == CLBB_OK) st = clbb_model_forward_tensor(m, in);
    if (st == CLBB_OK) st = clbb_context_get_stats(ctx, &b);
    *kernels = st == CLBB_OK ? b.kernels_enqueued - a.kernels_enqueued : 0;
    return st;
}

/* The model is planned: one profiled forward gives the number of ops. */
static clbb_status time_model(clbb_context *ctx, clbb_model *m, const clbb_tensor *in,
                              int warmup, int iters, timing *t) {
    memset(t, 0, sizeof *t);
    size_t n = 0;
    clbb_status st = clbb_model_forward_tensor(m, in);
    if (st == CLBB_OK) st = count_kernels(ctx, m, in, &t->kernels);
    if (st == CLBB_OK) st = clbb_model_profile(m, NULL, 0, &n, NULL);
    if (st != CLBB_OK) return st;
    t->layers = calloc(n + 1, sizeof *t->layers);
    if (!t->layers) return CLBB_ERR_OUT_OF_MEMORY;
    return clbb_model_benchmark(m, in, warmup, iters, &t->t, t->layers, n);
}

static void print_layers(const timing *t, double peak_gflops, double peak_gbps) {
    printf("%-44s %-16s %-20s %-30s %9s %9s %7s %8s\n", "layer", "kind", "output", "algorithm", "ms",
           "GFLOP/s", "%peak", "GB/s");
    for (size_t l = 0; l < t->t.num_layers; l++) {
        const clbb_layer_profile *p = &t->layers[l];
        char shape[48];
        snprintf(shape, sizeof shape, "%dx%dx%dx%d", p->out_shape.n, p->out_shape.c, p->out_shape.h,
                 p->out_shape.w);
        double gf = p->ms > 0 ? p->flops / (p->ms * 1e6) : 0, gb = p->ms > 0 ? p->bytes / (p->ms * 1e6) : 0;
        printf("%-44.44s %-16s %-20s %-30.30s %9.4f %9.1f %6.1f%% %8.1f\n", p->name, p->kind, shape,
               p->algorithm, p->ms, gf, peak_gflops > 0 ? 100 * gf / peak_gflops : 0, gb);
    }
    (void)peak_gbps;
}

static cJSON *timing_json(const timing *t) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "median_ms", t->t.wall_median_ms);
    cJSON_AddNumberToObject(o, "min_ms", t->t.wall_min_ms);
    cJSON_AddNumberToObject(o, "kernel_ms", t->t.kernel_median_ms);
    cJSON_AddNumberToObject(o, "gflop", t->t.gflop);
    cJSON_AddNumberToObject(o, "kernels_per_forward", (double)t->kernels);
    cJSON *layers = cJSON_AddArrayToObject(o, "layers");
    for (size_t l = 0; l < t->t.num_layers; l++) {
        const clbb_layer_profile *p = &t->layers[l];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", p->name);
        cJSON_AddStringToObject(j, "kind", p->kind);
        cJSON_AddStringToObject(j, "algorithm", p->algorithm);
        int sh[4] = {p->out_shape.n, p->out_shape.c, p->out_shape.h, p->out_shape.w};
        cJSON_AddItemToObject(j, "shape", cJSON_CreateIntArray(sh, 4));
        cJSON_AddNumberToObject(j, "median_ms", p->ms);
        cJSON_AddNumberToObject(j, "gflops", p->ms > 0 ? p->flops / (p->ms * 1e6) : 0);
        cJSON_AddNumberToObject(j, "gbps", p->ms > 0 ? p->bytes / (p->ms * 1e6) : 0);
        cJSON_AddItemToArray(layers, j);
    }
    return o;
}

int clbb_cmd_bench(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--compare")) return bench_compare_main(argc, argv);
    cli_model_args a = {0};
    const char *json = NULL, *svg_path = NULL, *algo_name = NULL;
    long iters = 20, warmup = 5;
    int baseline = 0, quiet = 0;
    const cli_opt opts[] = {
        CLI_MODEL_OPTS(&a),
        {"--json", CLI_STRING, &json, 0, 0, NULL},
        {"--svg", CLI_STRING, &svg_path, 0, 0, NULL},
        {"--conv-algo", CLI_STRING, &algo_name, 0, 0, NULL},
        {"--iters", CLI_INT, &iters, 1, 100000, NULL},
        {"--warmup", CLI_INT, &warmup, 0, 100000, NULL},
        {"--baseline", CLI_FLAG, &baseline, 0, 0, NULL},
        {"--quiet", CLI_FLAG, &quiet, 0, 0, NULL},
        CLI_OPT_END,
    };
    int rc = cli_parse("bench", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    if (a.input) return cli_error(CLI_USAGE, "bench takes --shape, not --input");
    if (!a.has_shape) return cli_error(CLI_USAGE, "bench needs --shape N,C,H,W");
    /* --conv-algo: every conv forced to one algorithm where it applies (a
     * small-batch A/B: igemm's one launch against Winograd's three) */
    clbb_conv_algo algo = CLBB_CONV_ALGO_AUTO;
    if (algo_name) {
        int found = 0;
        for (int k = 0; k < CLBB_CONV_ALGO_COUNT && !found; k++)
            if (!strcmp(algo_name, clbb_conv_algo_name((clbb_conv_algo)k))) {
                algo = (clbb_conv_algo)k;
                found = 1;
            }
        if (!found) return cli_error(CLI_USAGE, "--conv-algo: unknown algorithm '%s'", algo_name);
    }
    clbb_model_config cfg;
    if ((rc = cli_model_config(&a, &cfg))) return rc;
    /* before the benchmark: a bad --json fails at once */
    if (json && (rc = cli_check_writable_file("--json", json))) return rc;
    if (svg_path && (rc = cli_check_writable_file("--svg", svg_path))) return rc;
    clbb_shape shape;
    float *x = NULL;
    if ((rc = cli_model_input(&a, &cfg, NULL, &shape, &x))) return rc;
    clbb_context *ctx = NULL;
    clbb_model *m = NULL;
    clbb_tensor *in = NULL;
    timing t = {0}, tb = {0};
    if ((rc = cli_context(a.device, 1, &ctx))) goto done;
    if ((rc = cli_model_create(&a, &cfg, ctx, &m))) goto done;
    if (algo != CLBB_CONV_ALGO_AUTO && clbb_model_set_conv_algo(m, algo) != CLBB_OK) {
        rc = cli_error(CLI_RUNTIME, "--conv-algo: %s", clbb_last_error(ctx));
        goto done;
    }
    clbb_status st = clbb_tensor_create(ctx, shape, CLBB_DTYPE_F32, &in);
    if (st == CLBB_OK) st = clbb_tensor_write_f32(ctx, in, x, clbb_shape_numel(shape));
    double peak_gf = 0, peak_gb = 0;
    if (st == CLBB_OK) st = clbb_context_measure_peak(ctx, &peak_gf, &peak_gb);
    /* cold start: the first plan in this fresh context (its in-memory
     * program table is empty; the disk cache may be warm, see below), the
     * first forward (drivers that compile lazily, PoCL, do it there), and a
     * warm plan: a second model planned with the programs built */
    /* stats only after successes: a successful call clears the last error,
     * which a failure's message is read from */
    clbb_context_stats s0 = {0}, s1 = {0};
    if (st == CLBB_OK) st = clbb_context_get_stats(ctx, &s0);
    double t_build = cli_now_ms();
    if (st == CLBB_OK) st = clbb_model_plan(m, shape);
    t_build = cli_now_ms() - t_build;
    if (st == CLBB_OK) st = clbb_context_get_stats(ctx, &s1);
    double t_first = cli_now_ms();
    if (st == CLBB_OK) st = clbb_model_forward_tensor(m, in);
    if (st == CLBB_OK) st = clbb_context_finish(ctx);
    t_first = cli_now_ms() - t_first;
    double t_warm = 0;
    if (st == CLBB_OK) {
        clbb_model *m2 = NULL;
        if ((rc = cli_model_create(&a, &cfg, ctx, &m2))) goto done;
        t_warm = cli_now_ms();
        st = clbb_model_plan(m2, shape);
        t_warm = cli_now_ms() - t_warm;
        clbb_model_destroy(m2);
    }
    const unsigned long long built = s1.programs_built_from_source - s0.programs_built_from_source,
                             from_disk = s1.programs_loaded_from_disk - s0.programs_loaded_from_disk;
    const char *cache_env = getenv("CLBB_CACHE_DIR");
    const char *disk = cache_env && !cache_env[0] ? "off"
                       : built == 0         ? "warm"
                       : from_disk == 0     ? "cold"
                                            : "partly warm";
    if (st == CLBB_OK) st = time_model(ctx, m, in, (int)warmup, (int)iters, &t);
    if (st == CLBB_OK && baseline) {
        st = clbb_model_set_conv_algo(m, CLBB_CONV_ALGO_GEMM_CLBLAST);
        if (st == CLBB_OK) st = time_model(ctx, m, in, (int)warmup, (int)iters, &tb);
    }
    if (st != CLBB_OK) {
        rc = cli_error(CLI_RUNTIME, "bench failed: %s", clbb_last_error(ctx));
        goto done;
    }
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    const char *arch = a.arch ? a.arch : a.config;
    if (!quiet) print_layers(&t, peak_gf, peak_gb);
    printf("device: %s (%s, driver %s); measured peak %.0f GFLOP/s FMA, %.0f GB/s copy\n",
           info.device_name, info.platform_name, info.driver_version, peak_gf, peak_gb);
    printf("%s %dx%dx%dx%d %s: %.1f GFLOP, %zu ops, %llu kernels per forward; plan+build %.1f ms\n",
           arch, shape.n, shape.c, shape.h, shape.w, clbb_precision_name(a.precision), t.t.gflop,
           t.t.num_layers, (unsigned long long)t.kernels, t_build);
    printf("cold start: plan %.1f ms (%llu programs built, %llu from the disk cache: %s), "
           "first forward %.1f ms; warm plan %.1f ms\n",
           t_build, built, from_disk, disk, t_first, t_warm);
    printf("clbb:     median %.3f ms (min %.3f), kernels %.3f ms, %.0f GFLOP/s (%.1f%% of peak)\n",
           t.t.wall_median_ms, t.t.wall_min_ms, t.t.kernel_median_ms,
           t.t.gflop / (t.t.wall_median_ms * 1e-3),
           100 * t.t.gflop / (t.t.wall_median_ms * 1e-3) / peak_gf);
    if (baseline)
        printf("baseline (im2col + CLBlast SGEMM): median %.3f ms, kernels %.3f ms; clbb is %.2fx faster\n",
               tb.t.wall_median_ms, tb.t.kernel_median_ms, tb.t.wall_median_ms / t.t.wall_median_ms);
    if (json || svg_path) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "device", info.device_name);
        cJSON_AddStringToObject(o, "driver", info.driver_version);
        cJSON_AddStringToObject(o, "arch", arch);
        int sh[4] = {shape.n, shape.c, shape.h, shape.w};
        cJSON_AddItemToObject(o, "shape", cJSON_CreateIntArray(sh, 4));
        cJSON_AddStringToObject(o, "precision", clbb_precision_name(a.precision));
        clbb_precision_info pi;
        if (clbb_model_precision_info(m, &pi) == CLBB_OK) {
            /* "precision" is the request; what ran, and why it differs */
            cJSON_AddStringToObject(o, "effective_precision", clbb_precision_name(pi.effective));
            cJSON_AddStringToObject(o, "math", clbb_math_name(pi.math));
            cJSON_AddStringToObject(o, "precision_note", pi.note);
        }
        cJSON_AddNumberToObject(o, "median_ms", t.t.wall_median_ms);
        cJSON_AddNumberToObject(o, "min_ms", t.t.wall_min_ms);
        cJSON_AddNumberToObject(o, "kernel_ms", t.t.kernel_median_ms);
        cJSON_AddNumberToObject(o, "gflop", t.t.gflop);
        cJSON_AddNumberToObject(o, "kernels_per_forward", (double)t.kernels);
        cJSON_AddNumberToObject(o, "peak_gflops", peak_gf);
        cJSON_AddNumberToObject(o, "peak_gbps", peak_gb);
        cJSON_AddNumberToObject(o, "plan_ms", t_build);
        cJSON_AddNumberToObject(o, "plan_cold_ms", t_build);
        cJSON_AddNumberToObject(o, "plan_warm_ms", t_warm);
        cJSON_AddNumberToObject(o, "first_forward_ms", t_first);
        cJSON_AddNumberToObject(o, "programs_built", (double)built);
        cJSON_AddNumberToObject(o, "programs_from_disk", (double)from_disk);
        cJSON_AddStringToObject(o, "disk_cache", disk);
        cJSON *tj = timing_json(&t);
        cJSON_AddItemToObject(o, "layers", cJSON_DetachItemFromObject(tj, "layers"));
        cJSON_Delete(tj);
        if (baseline) cJSON_AddItemToObject(o, "baseline", timing_json(&tb));
        /* The chart is drawn from the report that --json writes. */
        bench_report rep;
        rc = svg_path ? bench_report_read(o, "bench", &rep) : CLI_OK;
        if (svg_path && rc == CLI_OK) {
            rc = bench_svg_layers(svg_path, &rep);
            bench_report_free(&rep);
        }
        char *text = json && rc == CLI_OK ? cJSON_Print(o) : NULL;
        cJSON_Delete(o);
        if (rc != CLI_OK || !json) goto done;
        FILE *f = text ? fopen(json, "w") : NULL;
        int ok = f && fputs(text, f) >= 0;
        if (f) ok = (fclose(f) == 0) && ok;
        free(text);
        if (!ok) {
            rc = cli_error(CLI_USAGE, "--json: cannot write '%s'", json);
            goto done;
        }
    }
    rc = CLI_OK;
done:
    free(t.layers);
    free(tb.layers);
    free(x);
    clbb_tensor_destroy(in);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
    return rc;
}
