/* API contract: status codes and messages that name the argument, destroy
 * of NULL, lifecycle order, device selectors, borrowed OpenCL objects,
 * tensor views, and two threads on two contexts. */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "clbb.h"
#include "test_util.h"


Test(api, status_strings) {
    for (int s = 0; s < CLBB_STATUS_COUNT; s++) {
        cr_assert_not_null(clbb_status_string((clbb_status)s));
        cr_assert_neq(strcmp(clbb_status_string((clbb_status)s), "unknown status"), 0);
    }
    cr_assert_str_eq(clbb_status_string((clbb_status)999), "unknown status");
    cr_assert_str_eq(clbb_status_string((clbb_status)-1), "unknown status");
    cr_assert_str_eq(clbb_last_error(NULL), "");
    cr_assert_not_null(clbb_version());
}

/* The generated macros (include/clbb/version.h, from meson's project
 * version) agree with each other and with the linked library. */
Test(api, version_macros) {
    char v[64];
    snprintf(v, sizeof v, "%d.%d.%d", CLBB_VERSION_MAJOR, CLBB_VERSION_MINOR, CLBB_VERSION_PATCH);
    cr_assert_str_eq(v, CLBB_VERSION_STRING);
    cr_assert_str_eq(clbb_version(), CLBB_VERSION_STRING);
    cr_assert_eq(CLBB_VERSION_NUMBER,
                 CLBB_VERSION_MAJOR * 1000000 + CLBB_VERSION_MINOR * 1000 + CLBB_VERSION_PATCH);
}

Test(api, destroy_null_is_noop) {
    clbb_context_destroy(NULL);
    clbb_tensor_destroy(NULL);
    clbb_op_destroy(NULL);
    clbb_model_destroy(NULL);
    clbb_safetensors_close(NULL);
    clbb_npy_array_free(NULL);
}

static clbb_status create_with(const char *sel, char *err, size_t n, clbb_context **ctx) {
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.device = sel;
    o.error_buffer = err;
    o.error_buffer_size = n;
    return clbb_context_create(&o, ctx);
}

Test(api, device_selectors) {
    char err[512];
    clbb_context *ctx = (clbb_context *)1;
    cr_assert_eq(create_with("99:99", err, sizeof err, &ctx), CLBB_ERR_NO_DEVICE);
    cr_assert_null(ctx);
    cr_assert(strstr(err, "99:99"), "%s", err);
    cr_assert_eq(create_with("no-such-device-xyz", err, sizeof err, &ctx), CLBB_ERR_NO_DEVICE);
    cr_assert(strstr(err, "no-such-device-xyz"), "%s", err);
    cr_assert_eq(create_with("", err, sizeof err, &ctx), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(create_with("0:x", err, sizeof err, &ctx), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err, "0:x"), "%s", err);
    cr_assert_eq(clbb_context_create(NULL, NULL), CLBB_ERR_INVALID_ARGUMENT);
    /* index and name selectors reach the same device */
    clbb_device_info d[8];
    size_t n = 0;
    cr_assert_eq(clbb_list_devices(d, 8, &n), CLBB_OK);
    cr_assert_gt(n, 0);
    char sel[32];
    snprintf(sel, sizeof sel, "%d:%d", d[0].platform_index, d[0].device_index);
    cr_assert_eq(create_with(sel, err, sizeof err, &ctx), CLBB_OK, "%s", err);
    clbb_device_info got;
    clbb_context_device_info(ctx, &got);
    cr_assert_str_eq(got.device_name, d[0].device_name);
    clbb_context_destroy(ctx);
    cr_assert_eq(create_with(d[0].is_cpu ? "CPU" : "gpu", err, sizeof err, &ctx), CLBB_OK, "%s", err);
    clbb_context_destroy(ctx);
    if (strstr(d[0].platform_name, "Portable Computing Language")) {
        cr_assert_eq(create_with("pocl", err, sizeof err, &ctx), CLBB_OK, "%s", err);
        clbb_context_destroy(ctx);
    }
}

Test(api, env_selector) {
    char err[512];
    clbb_context *ctx;
    setenv("CLBB_DEVICE", "no-such-device-xyz", 1);
    cr_assert_eq(create_with(NULL, err, sizeof err, &ctx), CLBB_ERR_NO_DEVICE);
    unsetenv("CLBB_DEVICE");
    cr_assert_eq(create_with(NULL, err, sizeof err, &ctx), CLBB_OK, "%s", err);
    clbb_context_destroy(ctx);
}

Test(api, borrowed_cl_objects) {
    clbb_context *own = test_context();
    cl_context c = clbb_context_cl_context(own);
    cl_command_queue q = clbb_context_cl_queue(own);
    cl_uint rc0 = 0, rc1 = 0, qc0 = 0, qc1 = 0;
    clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof rc0, &rc0, NULL);
    clGetCommandQueueInfo(q, CL_QUEUE_REFERENCE_COUNT, sizeof qc0, &qc0, NULL);
    clbb_context *b = NULL;
    cr_assert_eq(clbb_context_create_from_cl(c, q, NULL, &b), CLBB_OK);
    /* an op on the borrowed context works */
    clbb_tensor *t = NULL;
    clbb_shape s = {1, 2, 3, 4};
    cr_assert_eq(clbb_tensor_create(b, s, CLBB_DTYPE_F32, &t), CLBB_OK);
    float in[24], out[24];
    for (int i = 0; i < 24; i++) in[i] = (float)i - 5;
    cr_assert_eq(clbb_tensor_write_f32(b, t, in, 24), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(b, t, out, 24), CLBB_OK);
    cr_assert_arr_eq(in, out, sizeof in);
    clbb_tensor_destroy(t);
    clbb_context_destroy(b);
    clGetContextInfo(c, CL_CONTEXT_REFERENCE_COUNT, sizeof rc1, &rc1, NULL);
    clGetCommandQueueInfo(q, CL_QUEUE_REFERENCE_COUNT, sizeof qc1, &qc1, NULL);
    cr_assert_eq(rc0, rc1, "borrowed context was retained or released");
    /* PoCL holds the queue's count up while it retires commands, so the
     * queue is checked by using it: it must still be alive and work */
    cr_assert_eq(clFinish(q), CL_SUCCESS, "borrowed queue was released");
    cr_assert_geq(qc1, 1);
    (void)qc0;
    cr_assert_eq(clbb_context_create_from_cl(NULL, q, NULL, &b), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_context_create_from_cl(c, NULL, NULL, &b), CLBB_ERR_INVALID_ARGUMENT);
    clbb_context_destroy(own);
}

Test(api, tensor_arguments_and_views) {
    clbb_context *ctx = test_context();
    clbb_tensor *t = NULL, *v = NULL;
    clbb_shape bad = {1, 0, 3, 3};
    cr_assert_eq(clbb_tensor_create(ctx, bad, CLBB_DTYPE_F32, &t), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "extent"), "%s", clbb_last_error(ctx));
    clbb_shape huge = {65536, 65536, 2, 2};
    cr_assert_eq(clbb_tensor_create(ctx, huge, CLBB_DTYPE_F32, &t), CLBB_ERR_INVALID_ARGUMENT);
    clbb_shape s = {2, 5, 3, 3};
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &t), CLBB_OK);
    cr_assert_eq(clbb_tensor_view_channels(ctx, t, 3, 3, &v), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "channels"), "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_tensor_view_channels(ctx, t, -1, 1, &v), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_tensor_view_channels(ctx, t, 1, 3, &v), CLBB_OK);
    float all[90], part[54], back[90];
    for (int i = 0; i < 90; i++) all[i] = (float)i;
    cr_assert_eq(clbb_tensor_write_f32(ctx, t, all, 90), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, t, all, 89), CLBB_ERR_SHAPE);
    cr_assert_eq(clbb_tensor_read_f32(ctx, v, part, 54), CLBB_OK);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 9; p++)
                cr_assert_eq(part[(n * 3 + c) * 9 + p], all[(n * 5 + c + 1) * 9 + p]);
    for (int i = 0; i < 54; i++) part[i] = -1;
    cr_assert_eq(clbb_tensor_write_f32(ctx, v, part, 54), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(ctx, t, back, 90), CLBB_OK);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 5; c++)
            for (int p = 0; p < 9; p++) {
                float want = (c >= 1 && c < 4) ? -1 : all[(n * 5 + c) * 9 + p];
                cr_assert_eq(back[(n * 5 + c) * 9 + p], want);
            }
    clbb_tensor *w = NULL;
    cr_assert_eq(clbb_tensor_wrap(ctx, clbb_tensor_buffer(t), 10, s, CLBB_DTYPE_F32, 0, &w), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "buffer holds"), "%s", clbb_last_error(ctx));
    clbb_tensor_destroy(v);
    clbb_tensor_destroy(t);
    clbb_context_destroy(ctx);
}

Test(api, conv_arguments_are_named) {
    clbb_context *ctx = test_context();
    float w[64] = {0};
    clbb_op *op = NULL;
    clbb_conv2d_desc d = {4, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "groups"), "%s", clbb_last_error(ctx));
    d.groups = 1;
    d.stride_h = 0;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "stride_h"), "%s", clbb_last_error(ctx));
    d.stride_h = 1;
    d.pad_left = -1;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "pad_left"), "%s", clbb_last_error(ctx));
    d.pad_left = 1;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, NULL, NULL, NULL, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "weights"), "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_conv2d_create(ctx, NULL, w, NULL, NULL, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, NULL, NULL), CLBB_ERR_INVALID_ARGUMENT);
    float nanw[216];
    for (int i = 0; i < 216; i++) nanw[i] = i == 7 ? NAN : 0.5f;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, nanw, NULL, NULL, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "weights[7]"), "%s", clbb_last_error(ctx));
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_DEPTHWISE;
    float w6[216] = {0};
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w6, NULL, NULL, &o, &op), CLBB_ERR_UNSUPPORTED);
    cr_assert(strstr(clbb_last_error(ctx), "depthwise"), "%s", clbb_last_error(ctx));
    o.algo = (clbb_conv_algo)77;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w6, NULL, NULL, &o, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_batch_norm_create(ctx, 0, NULL, NULL, NULL, NULL, 1e-5f, 0, 0, NULL, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "channels"));
    cr_assert_eq(clbb_group_norm_create(ctx, 6, 4, NULL, NULL, 1e-5f, 0, 0, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "num_groups"));
    clbb_pool2d_desc pd = {3, 3, 2, 2, 2, 2, 0, 0};
    cr_assert_eq(clbb_max_pool2d_create(ctx, &pd, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "padding"), "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_add_create(ctx, (clbb_activation)9, NULL, &op), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "activation"));
    clbb_context_destroy(ctx);
}

Test(api, op_lifecycle_order) {
    clbb_context *ctx = test_context();
    clbb_op *op = NULL;
    cr_assert_eq(clbb_add_create(ctx, CLBB_ACTIVATION_RELU, NULL, &op), CLBB_OK);
    cr_assert_eq(clbb_op_run(op), CLBB_ERR_INVALID_STATE);
    cr_assert(strstr(clbb_last_error(ctx), "before reshape"), "%s", clbb_last_error(ctx));
    clbb_shape s = {1, 2, 4, 4}, o;
    clbb_tensor *a, *b, *y, *wrong;
    clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &a);
    clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &b);
    clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &y);
    clbb_shape s2 = {1, 3, 4, 4};
    clbb_tensor_create(ctx, s2, CLBB_DTYPE_F32, &wrong);
    const clbb_tensor *ins[2] = {a, b};
    cr_assert_eq(clbb_op_setup(op, ins, 2, y), CLBB_ERR_INVALID_STATE);
    cr_assert_eq(clbb_op_get_info(op, &(clbb_op_info){0}), CLBB_ERR_INVALID_STATE);
    cr_assert_eq(clbb_op_reshape(op, s, &o), CLBB_OK);
    cr_assert_eq(clbb_op_run(op), CLBB_ERR_INVALID_STATE);
    cr_assert(strstr(clbb_last_error(ctx), "before setup"), "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_op_setup(op, ins, 1, y), CLBB_ERR_INVALID_ARGUMENT);
    const clbb_tensor *bad[2] = {a, wrong};
    cr_assert_eq(clbb_op_setup(op, bad, 2, y), CLBB_ERR_SHAPE);
    cr_assert(strstr(clbb_last_error(ctx), "second input"), "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_op_setup(op, ins, 2, wrong), CLBB_ERR_SHAPE);
    cr_assert(strstr(clbb_last_error(ctx), "output"), "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_op_run(op), CLBB_ERR_INVALID_STATE, "a failed setup leaves the op unbound");
    cr_assert_eq(clbb_op_setup(op, ins, 2, y), CLBB_OK);
    cr_assert_eq(clbb_op_run(op), CLBB_OK);
    cr_assert_eq(clbb_context_finish(ctx), CLBB_OK);
    clbb_shape s3 = {0, 2, 4, 4};
    cr_assert_eq(clbb_op_reshape(op, s3, &o), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_op_run(op), CLBB_ERR_INVALID_STATE, "a failed reshape leaves the op unbound");
    clbb_op_destroy(op);
    clbb_tensor_destroy(a);
    clbb_tensor_destroy(b);
    clbb_tensor_destroy(y);
    clbb_tensor_destroy(wrong);
    clbb_context_destroy(ctx);
}

static void *thread_body(void *arg) {
    int *ok = arg;
    clbb_context *ctx = NULL;
    if (clbb_context_create(NULL, &ctx) != CLBB_OK) return NULL;
    check_case *cases;
    size_t n = check_cases(check_op_named("conv2d"), 1, CLBB_DTYPE_F32, &cases);
    int good = 1;
    for (size_t i = 0; i < n && i < 12; i++) {
        check_result r;
        if (check_run(ctx, &cases[i], 42 + i, 0, &r) != CLBB_OK || (r.ran && !r.pass)) {
            fprintf(stderr, "thread case %s: %s\n", cases[i].name, r.message);
            good = 0;
        }
    }
    free(cases);
    clbb_context_destroy(ctx);
    *ok = good;
    return NULL;
}

Test(api, two_threads_two_contexts, .timeout = 600) {
    pthread_t t[2];
    int ok[2] = {0, 0};
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_body, &ok[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    cr_assert(ok[0] && ok[1]);
}

/* Progress reports (clbb_context_set_progress()): a BUILD report before
 * each compile (as many as the stats count), CHECK cases and BENCH
 * forwards counted up to their totals, nothing once removed. */
typedef struct progress_log {
    uint64_t builds, calls[4], last_done[4], total[4];
    int bad;
} progress_log;

static void log_progress(void *user, clbb_progress_kind kind, uint64_t done, uint64_t total,
                         const char *what) {
    progress_log *l = user;
    if ((int)kind < 0 || kind > CLBB_PROGRESS_BENCH || !what) {
        l->bad = 1;
        return;
    }
    if (kind == CLBB_PROGRESS_BUILD) {
        l->bad |= done != l->builds++ || total != 0 || !what[0];
        return;
    }
    l->bad |= l->calls[kind] && (done < l->last_done[kind] || total != l->total[kind]);
    l->bad |= done > total;
    l->calls[kind]++;
    l->last_done[kind] = done;
    l->total[kind] = total;
}

Test(api, progress_reports, .timeout = 600) {
    cr_assert_eq(clbb_context_set_progress(NULL, log_progress, NULL), CLBB_ERR_INVALID_ARGUMENT);
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.profiling = 1;
    o.cache_dir = ""; /* every program compiled */
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(&o, &ctx), CLBB_OK);
    progress_log l = {0};
    cr_assert_eq(clbb_context_set_progress(ctx, log_progress, &l), CLBB_OK);

    clbb_check_options co;
    clbb_check_options_init(&co);
    co.ops = co.quick = 1;
    co.only = "layer_norm";
    co.out = fopen("/dev/null", "w");
    int failures = -1;
    cr_assert_eq(clbb_check(ctx, &co, &failures), CLBB_OK);
    fclose(co.out);
    cr_expect_eq(failures, 0);
    cr_expect_gt(l.total[CLBB_PROGRESS_CHECK], 0);
    cr_expect_eq(l.last_done[CLBB_PROGRESS_CHECK], l.total[CLBB_PROGRESS_CHECK]);
    cr_expect_eq(l.calls[CLBB_PROGRESS_CHECK], l.total[CLBB_PROGRESS_CHECK] + 1,
                 "a report per case and one at the end");

    static const char *SMALL = "{\"type\":\"ResNet\",\"depth\":18,\"num_stages\":1,\"strides\":[1],"
                               "\"dilations\":[1],\"out_indices\":[0],\"base_channels\":8}";
    clbb_model *m = NULL;
    clbb_tensor *in = NULL;
    const clbb_shape sh = {1, 3, 16, 16};
    cr_assert_eq(clbb_model_create_from_json(ctx, SMALL, strlen(SMALL), &m), CLBB_OK);
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, sh, CLBB_DTYPE_F32, &in), CLBB_OK);
    float x[3 * 16 * 16];
    clbb_fill_uniform(x, 3 * 16 * 16, 7, -1, 1);
    cr_assert_eq(clbb_tensor_write_f32(ctx, in, x, 3 * 16 * 16), CLBB_OK);
    clbb_model_timing t;
    cr_assert_eq(clbb_model_benchmark(m, in, 1, 3, &t, NULL, 0), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    cr_expect_eq(l.total[CLBB_PROGRESS_BENCH], 1 + 1 + 3, "warmup, the first forward, timed");
    cr_expect_eq(l.calls[CLBB_PROGRESS_BENCH], 5);
    cr_expect_eq(l.last_done[CLBB_PROGRESS_BENCH], 5);

    clbb_context_stats st;
    clbb_context_get_stats(ctx, &st);
    cr_expect_gt(l.builds, 0);
    cr_expect_eq(l.builds, st.programs_built_from_source, "a report per compile");
    cr_expect(!l.bad, "reports out of order or malformed");

    cr_assert_eq(clbb_context_set_progress(ctx, NULL, &l), CLBB_OK);
    const progress_log before = l;
    cr_assert_eq(clbb_model_benchmark(m, in, 0, 1, &t, NULL, 0), CLBB_OK);
    cr_expect(before.builds == l.builds && !memcmp(before.calls, l.calls, sizeof l.calls),
              "no reports once removed");
    clbb_tensor_destroy(in);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* A selector that matches nothing lists the devices there are. */
Test(api, unmatched_selector_lists_devices) {
    clbb_device_info d[4];
    size_t n = 0;
    cr_assert_eq(clbb_list_devices(d, 4, &n), CLBB_OK);
    cr_assert_gt(n, 0);
    char err[1024];
    clbb_context *ctx = NULL;
    cr_assert_eq(create_with("no-such-device-xyz", err, sizeof err, &ctx), CLBB_ERR_NO_DEVICE);
    char want[160];
    snprintf(want, sizeof want, "0:0 '%s'", d[0].device_name);
    cr_expect(strstr(err, want), "%s", err);
    cr_expect(strstr(err, "available"), "%s", err);
}

/* The precision fallback: never silently less accurate. Where the device
 * has no tensor cores (PoCL; any device with CLBB_MMA=0) tf32 and tf32x3
 * run strict fp32 and say why; fp16 keeps its half storage with fp32
 * products; fp32 never falls back. Where it has them, nothing falls back. */
Test(api, precision_fallback_is_reported) {
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(NULL, &ctx), CLBB_OK);
    const char *cfg = "{\"type\":\"ResNet\",\"depth\":18}";
    clbb_model *m = NULL;
    cr_assert_eq(clbb_model_create_from_json(ctx, cfg, strlen(cfg), &m), CLBB_OK);
    clbb_precision_info pi;
    cr_assert_eq(clbb_model_precision_info(m, &pi), CLBB_OK);
    cr_expect(pi.requested == CLBB_PRECISION_FP32 && pi.effective == CLBB_PRECISION_FP32 &&
              pi.math == CLBB_MATH_FP32 && !pi.fallback && !pi.note[0]);
    const int tc = clbb_context_has_math(ctx, CLBB_MATH_TF32);
    static const clbb_precision ps[] = {CLBB_PRECISION_FP32, CLBB_PRECISION_TF32X3,
                                        CLBB_PRECISION_TF32, CLBB_PRECISION_FP16};
    static const clbb_math maths[] = {CLBB_MATH_FP32, CLBB_MATH_TF32X3, CLBB_MATH_TF32,
                                      CLBB_MATH_FP16};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(clbb_model_set_precision(m, ps[i]), CLBB_OK);
        cr_assert_eq(clbb_model_precision_info(m, &pi), CLBB_OK);
        clbb_precision_info ctx_pi;
        cr_assert_eq(clbb_precision_resolve(ctx, ps[i], &ctx_pi), CLBB_OK);
        cr_expect_eq(memcmp(&pi, &ctx_pi, sizeof pi), 0, "model and context disagree");
        cr_expect_eq(pi.requested, ps[i]);
        const int has = clbb_context_has_math(ctx, (int)maths[i]);
        cr_expect_eq(pi.fallback, !has, "%s", clbb_precision_name(ps[i]));
        cr_expect_eq(pi.math, has ? maths[i] : CLBB_MATH_FP32);
        cr_expect_eq(!pi.note[0], !pi.fallback, "note '%s'", pi.note);
        if (ps[i] == CLBB_PRECISION_FP16)
            cr_expect_eq(pi.effective, CLBB_PRECISION_FP16, "fp16 keeps half storage");
        else if (!has)
            cr_expect_eq(pi.effective, tc ? CLBB_PRECISION_TF32X3 : CLBB_PRECISION_FP32);
        if (pi.fallback) {
            clbb_device_info info;
            clbb_context_device_info(ctx, &info);
            cr_expect(strstr(pi.note, info.device_name), "the note names the device: %s", pi.note);
        }
    }
    /* arguments */
    cr_expect_eq(clbb_model_precision_info(NULL, &pi), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_model_precision_info(m, NULL), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "info"));
    cr_expect_eq(clbb_precision_resolve(NULL, CLBB_PRECISION_FP32, &pi), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_precision_resolve(ctx, CLBB_PRECISION_FP32, NULL), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect_eq(clbb_precision_resolve(ctx, (clbb_precision)9, &pi), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "precision = 9"));
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* deform_conv2d validates its math option like conv2d. */
Test(api, deform_conv2d_math_is_validated) {
    clbb_context *ctx = NULL;
    cr_assert_eq(clbb_context_create(NULL, &ctx), CLBB_OK);
    clbb_deform_conv2d_desc d = {{8, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 0, 0};
    static float w[8 * 8 * 9];
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.math = (clbb_math)7;
    clbb_op *op = NULL;
    cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "options.math = 7"), "%s", clbb_last_error(ctx));
    cr_expect_null(op);
    for (int m = 0; m < CLBB_MATH_COUNT; m++) {
        o.math = (clbb_math)m;
        cr_expect_eq(clbb_deform_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_OK, "%s",
                     clbb_last_error(ctx));
        clbb_op_destroy(op);
        op = NULL;
    }
    clbb_context_destroy(ctx);
}
