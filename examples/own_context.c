/* Hands clbb an OpenCL context and queue that the application created
 * itself (say, to share buffers with its own kernels): clbb borrows both,
 * never releases them, and runs everything on that queue. Runs a small
 * ResNet-18 forward on it and prints the output shapes.
 * Build: cc own_context.c $(pkg-config --cflags --libs clbb) -o own_context */
#include <clbb.h>
#include <stdio.h>
#include <stdlib.h>

static int cl_fail(const char *what, cl_int e) {
    fprintf(stderr, "%s failed: OpenCL error %d\n", what, (int)e);
    return 1;
}

static int run(clbb_context *ctx) {
    clbb_model_config cfg;
    clbb_model *m;
    clbb_status st = clbb_model_config_preset("resnet18", &cfg);
    if (st == CLBB_OK) st = clbb_model_create(ctx, &cfg, &m);
    if (st != CLBB_OK) {
        fprintf(stderr, "model: %s\n", clbb_last_error(ctx));
        return 1;
    }
    clbb_shape in = {1, 3, 64, 64};
    float *x = malloc(clbb_shape_numel(in) * sizeof *x);
    int rc = 1;
    if (!x) goto done;
    clbb_fill_uniform(x, clbb_shape_numel(in), 1, -1.0f, 1.0f);
    if ((st = clbb_model_init_weights(m, 0)) != CLBB_OK ||
        (st = clbb_model_forward(m, in, x)) != CLBB_OK ||
        (st = clbb_context_finish(ctx)) != CLBB_OK) {
        fprintf(stderr, "forward: %s: %s\n", clbb_status_string(st), clbb_last_error(ctx));
        goto done;
    }
    for (int i = 0; i < clbb_model_num_outputs(m); i++) {
        clbb_shape s;
        if ((st = clbb_model_output_shape(m, i, &s)) != CLBB_OK) {
            fprintf(stderr, "output %d: %s\n", i, clbb_last_error(ctx));
            goto done;
        }
        printf("out%d: %d x %d x %d x %d\n", i, s.n, s.c, s.h, s.w);
    }
    rc = 0;
done:
    free(x);
    clbb_model_destroy(m);
    return rc;
}

int main(void) {
    cl_platform_id platform;
    cl_device_id device;
    cl_uint n = 0;
    cl_int e = clGetPlatformIDs(1, &platform, &n);
    if (e != CL_SUCCESS || n == 0) return cl_fail("clGetPlatformIDs", e);
    e = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, &n);
    if (e != CL_SUCCESS || n == 0) return cl_fail("clGetDeviceIDs", e);
    cl_context cl_ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &e);
    if (!cl_ctx) return cl_fail("clCreateContext", e);
    /* clbb needs an in-order queue (the OpenCL 1.2 default) */
    cl_command_queue queue = clCreateCommandQueue(cl_ctx, device, 0, &e);
    if (!queue) {
        clReleaseContext(cl_ctx);
        return cl_fail("clCreateCommandQueue", e);
    }

    char err[512] = "";
    clbb_context_options opt;
    clbb_context_options_init(&opt);
    opt.error_buffer = err;
    opt.error_buffer_size = sizeof err;
    clbb_context *ctx;
    int rc = 1;
    clbb_status st = clbb_context_create_from_cl(cl_ctx, queue, &opt, &ctx);
    if (st != CLBB_OK) {
        fprintf(stderr, "clbb_context_create_from_cl: %s: %s\n", clbb_status_string(st), err);
    } else {
        rc = run(ctx);
        clbb_context_destroy(ctx); /* before the OpenCL objects it borrows */
    }
    clReleaseCommandQueue(queue);
    clReleaseContext(cl_ctx);
    return rc;
}
