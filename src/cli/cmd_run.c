/* clbb run: one backbone forward; outputs as DIR/out<i>.npy in stage order.
 * Nothing is written to --output unless the whole forward succeeded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_args.h"
#include "model_args.h"


int clbb_cmd_run(int argc, char **argv) {
    cli_model_args a = {0};
    const char *output = NULL;
    cli_image_args img;
    cli_image_args_init(&img);
    for (int i = 1; i < argc; i++) {
        int rc = cli_model_arg(&a, argc, argv, &i);
        if (rc < 0) rc = cli_image_arg(&img, argc, argv, &i);
        if (rc == 0) continue;
        if (rc > 0) return rc;
        if (!strcmp(argv[i], "--output") && i + 1 < argc) output = argv[++i];
        else return cli_error(CLI_USAGE, "run: unknown or incomplete option '%s'", argv[i]);
    }
    clbb_model_config cfg;
    int rc = cli_image_check(&img, &a);
    if (rc) return rc;
    if ((rc = cli_model_config(&a, &cfg))) return rc;
    clbb_shape shape;
    float *x = NULL;
    if (img.image) rc = cli_image_input(&img, &cfg, &shape, &x);
    else rc = cli_model_input(&a, &cfg, &shape, &x);
    if (rc) return rc;
    clbb_context *ctx = NULL;
    clbb_model *m = NULL;
    float *outs[CLBB_MAX_OUT_INDICES] = {0};
    clbb_shape shapes[CLBB_MAX_OUT_INDICES];
    int nout = 0;
    if ((rc = cli_context(a.device, 0, &ctx))) goto done;
    if ((rc = cli_model_create(&a, &cfg, ctx, &m))) goto done;
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
    for (int i = 0; i < nout; i++) {
        size_t n = clbb_shape_numel(shapes[i]), bad = 0;
        for (size_t k = 0; k < n; k++) bad += !isfinite(outs[i][k]);
        if (bad) {
            rc = cli_error(CLI_RUNTIME, "output %d has %zu non-finite values", i, bad);
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
    printf("device: %s\nprecision: %s\ninput: %dx%dx%dx%d\n", info.device_name,
           clbb_precision_name(a.precision), shape.n, shape.c, shape.h, shape.w);
    for (int i = 0; i < nout; i++)
        printf("out%d: %dx%dx%dx%d%s%s%s\n", i, shapes[i].n, shapes[i].c, shapes[i].h, shapes[i].w,
               output ? " -> " : "", output ? output : "", output ? "" : "");
    printf("forward (first, includes planning and kernel builds): %.1f ms; device memory: "
           "%.1f MiB weights, %.1f MiB activations, %.1f MiB workspace\n",
           t1 - t0, mem.weights_bytes / 1048576.0, mem.activations_bytes / 1048576.0,
           mem.workspace_bytes / 1048576.0);
    rc = CLI_OK;
done:
    for (int i = 0; i < CLBB_MAX_OUT_INDICES; i++) free(outs[i]);
    free(x);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
    return rc;
}
