/* clbb run: one backbone forward; outputs as DIR/out<i>.npy in stage order.
 * Nothing is written to --output unless the whole forward succeeded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_args.h"
#include "model_args.h"


/* Per-output statistics printed beside the shapes. */
typedef struct out_stats {
    double min, mean, max;
} out_stats;

/* Fills st over the finite values; returns the number of others. */
static size_t summarize(const float *v, size_t n, out_stats *st) {
    size_t bad = 0;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(v[k])) {
            bad++;
            continue;
        }
        sum += v[k];
        if (v[k] < lo) lo = v[k];
        if (v[k] > hi) hi = v[k];
    }
    const size_t good = n - bad;
    *st = good ? (out_stats){lo, sum / (double)good, hi} : (out_stats){0, 0, 0};
    return bad;
}

int clbb_cmd_run(int argc, char **argv) {
    cli_model_args a = {.note_random = 1};
    const char *output = NULL, *tuning = NULL;
    cli_image_args img;
    cli_image_args_init(&img);
    const cli_opt opts[] = {
        CLI_MODEL_OPTS(&a),
        CLI_IMAGE_OPTS(&img),
        {"--output", CLI_STRING, &output, 0, 0, NULL},
        {"--tuning", CLI_STRING, &tuning, 0, 0, NULL},
        CLI_OPT_END,
    };
    int rc = cli_parse("run", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    clbb_model_config cfg;
    if ((rc = cli_image_check(&img, &a))) return rc;
    if ((rc = cli_model_config(&a, &cfg))) return rc;
    /* before the forward: a bad --output fails at once */
    if (output && (rc = cli_check_writable_dir("--output", output))) return rc;
    clbb_shape shape;
    float *x = NULL;
    if (img.image) rc = cli_image_input(&img, &cfg, &shape, &x);
    else {
        /* uint8 pixels: the image options, but no resize or padding unless given */
        cli_u8_input u8 = {img.pipeline, img.pipeline_set};
        if (!img.resize) u8.pipeline.scale_w = u8.pipeline.scale_h = 0;
        if (img.pad_divisor < 0) u8.pipeline.pad_divisor = 0;
        rc = cli_model_input(&a, &cfg, &u8, &shape, &x);
    }
    if (rc) return rc;
    clbb_context *ctx = NULL;
    clbb_model *m = NULL;
    float *outs[CLBB_MAX_OUT_INDICES] = {0};
    clbb_shape shapes[CLBB_MAX_OUT_INDICES];
    int nout = 0;
    if ((rc = cli_context(a.device, 0, &ctx))) goto done;
    /* a tuning file of `clbb tune --out` instead of the device's default */
    if (tuning && clbb_context_load_tuning(ctx, tuning) != CLBB_OK) {
        rc = cli_error(CLI_USAGE, "--tuning: %s", clbb_last_error(ctx));
        goto done;
    }
    if ((rc = cli_model_create(&a, &cfg, ctx, &m))) goto done;
    clbb_context_stats before, after;
    clbb_context_get_stats(ctx, &before);
    double t0 = cli_now_ms();
    clbb_status st = clbb_model_forward(m, shape, x);
    nout = clbb_model_num_outputs(m);
    for (int i = 0; st == CLBB_OK && i < nout; i++) {
        st = clbb_model_output_shape(m, i, &shapes[i]);
        size_t n = clbb_shape_numel(shapes[i]);
        if (st == CLBB_OK && !(outs[i] = malloc(n * sizeof(float)))) st = CLBB_ERR_OUT_OF_MEMORY;
        if (st == CLBB_OK) st = clbb_model_read_output(m, i, outs[i], n);
    }
    double t1 = cli_now_ms();
    if (st != CLBB_OK) {
        rc = cli_error(cli_code(st) == CLI_USAGE ? CLI_USAGE : CLI_RUNTIME, "forward failed: %s",
                       clbb_last_error(ctx));
        goto done;
    }
    /* after the error check: a successful call clears the last error */
    clbb_context_get_stats(ctx, &after);
    out_stats stats[CLBB_MAX_OUT_INDICES];
    for (int i = 0; i < nout; i++) {
        size_t bad = summarize(outs[i], clbb_shape_numel(shapes[i]), &stats[i]);
        if (bad) {
            rc = cli_error(CLI_RUNTIME, "output %d has %zu non-finite values%s", i, bad,
                           a.precision == CLBB_PRECISION_FP16
                               ? " (fp16: a value beyond 65504 overflowed half; "
                                 "CLBB_CHECK_OVERFLOW=1 names the first layer, or use "
                                 "--precision fp32)"
                               : "");
            goto done;
        }
    }
    if ((rc = cli_image_visualize(&img, nout, shapes, outs))) goto done;
    if (output) {
        if (cli_mkdir_p(output)) {
            if (img.visualize) remove(img.visualize); /* no partial output */
            rc = cli_error(CLI_USAGE, "--output: cannot create directory '%s'", output);
            goto done;
        }
        for (int i = 0; i < nout; i++) {
            char path[1200], msg[512];
            snprintf(path, sizeof path, "%s/out%d.npy", output, i);
            int64_t dims[4] = {shapes[i].n, shapes[i].c, shapes[i].h, shapes[i].w};
            st = clbb_npy_write(path, 4, dims, outs[i], msg, sizeof msg);
            if (st != CLBB_OK) {
                for (int k = 0; k < i; k++) { /* no partial output */
                    snprintf(path, sizeof path, "%s/out%d.npy", output, k);
                    remove(path);
                }
                if (img.visualize) remove(img.visualize);
                rc = cli_error(cli_code(st), "%s", msg);
                goto done;
            }
        }
    }
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    clbb_model_memory mem;
    clbb_model_memory_usage(m, &mem);
    clbb_precision_info pi;
    clbb_model_precision_info(m, &pi);
    printf("device: %s\nprecision: %s", info.device_name, clbb_precision_name(a.precision));
    if (pi.effective != pi.requested) printf(" -> %s", clbb_precision_name(pi.effective));
    printf("\ninput: %dx%dx%dx%d\n", shape.n, shape.c, shape.h, shape.w);
    for (int i = 0; i < nout; i++) {
        printf("out%d: %dx%dx%dx%d  min %.4g mean %.4g max %.4g", i, shapes[i].n, shapes[i].c,
               shapes[i].h, shapes[i].w, stats[i].min, stats[i].mean, stats[i].max);
        if (output) printf(" -> %s/out%d.npy", output, i);
        printf("\n");
    }
    /* "kernel builds" only when the program caches missed */
    const uint64_t built = after.programs_built_from_source - before.programs_built_from_source;
    char what[96];
    if (built)
        snprintf(what, sizeof what, "first, includes planning and %llu kernel build%s",
                 (unsigned long long)built, built == 1 ? "" : "s");
    else
        snprintf(what, sizeof what, "first, includes planning; programs from the cache");
    printf("forward (%s): %.1f ms; device memory: "
           "%.1f MiB weights, %.1f MiB activations, %.1f MiB workspace\n",
           what, t1 - t0, mem.weights_bytes / 1048576.0, mem.activations_bytes / 1048576.0,
           mem.workspace_bytes / 1048576.0);
    rc = CLI_OK;
done:
    for (int i = 0; i < CLBB_MAX_OUT_INDICES; i++) free(outs[i]);
    free(x);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
    return rc;
}
