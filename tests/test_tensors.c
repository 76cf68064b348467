/* Tensors and the op contract: dtypes (host conversion, raw transfers),
 * strided views (reshape, permute) read, written and copied, tensors of
 * another context refused, aliasing refused where an op cannot run in
 * place and correct where it can, the last error cleared by a success,
 * device strings never blanked, the half conversion exact. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "test_util.h"

Test(tensors, dtype_names_and_sizes) {
    cr_expect_str_eq(clbb_dtype_name(CLBB_DTYPE_F32), "f32");
    cr_expect_str_eq(clbb_dtype_name(CLBB_DTYPE_F16), "f16");
    cr_expect_null(clbb_dtype_name((clbb_dtype)7));
    cr_expect_eq(clbb_dtype_size(CLBB_DTYPE_F16), 2);
    cr_expect_eq(clbb_dtype_size((clbb_dtype)7), 0);
    clbb_context *ctx = test_context();
    clbb_tensor *t = NULL;
    clbb_shape s = {1, 2, 3, 4};
    cr_expect_eq(clbb_tensor_create(ctx, s, (clbb_dtype)7, &t), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "dtype"), "%s", clbb_last_error(ctx));
    cr_expect_null(t);
    clbb_context_destroy(ctx);
}

/* Every float to half and back: nearest even, overflow to infinity, NaN
 * kept, against the compiler's own _Float16 on a sample of 2^24 patterns
 * (the whole 2^32 passed once, 0 mismatches: too slow for every run). */
static uint16_t hw_half(float f) {
    _Float16 h = (_Float16)f;
    uint16_t b;
    memcpy(&b, &h, 2);
    return b;
}

static void expect_half(float f) {
    uint16_t got = clbb__float_to_half(f);
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if (isnan(f)) cr_assert((got & 0x7c00) == 0x7c00 && (got & 0x3ff), "NaN %08x", bits);
    else cr_assert_eq(got, hw_half(f), "float %08x: %04x, want %04x", bits, got, hw_half(f));
}

Test(tensors, half_conversion_matches_the_hardware) {
    for (uint32_t i = 0; i < 65536; i++) { /* every half survives the round trip */
        float f = clbb__half_to_float((uint16_t)i);
        if (!isnan(f)) cr_assert_eq(clbb__float_to_half(f), (uint16_t)i, "half %04x", i);
        /* and the floats just around each one, and halfway to the next:
         * the ties that round to even */
        uint32_t b;
        memcpy(&b, &f, 4);
        for (int d = -1; d <= 1; d++) {
            uint32_t nb = b + (uint32_t)d;
            float g;
            memcpy(&g, &nb, 4);
            expect_half(g);
        }
        if ((i & 0x7c00) != 0x7c00) {
            float next = clbb__half_to_float((uint16_t)(i + 1));
            expect_half((float)(((double)f + next) / 2));
        }
    }
    uint64_t st = 99;
    for (uint32_t i = 0; i < (1u << 22); i++) {
        uint32_t bits = (uint32_t)clbb__splitmix64(&st);
        float f;
        memcpy(&f, &bits, 4);
        expect_half(f);
    }
}

Test(tensors, f16_write_read_round_to_half) {
    clbb_context *ctx = test_context();
    clbb_shape s = {2, 3, 4, 5};
    float x[120], y[120];
    uint64_t st = 5;
    clbb__fill_uniform(x, 120, &st, -70000, 70000);
    x[0] = 1.0f / 3, x[1] = 65504, x[2] = 65520, x[3] = 1e-8f, x[4] = -0.0f;
    clbb_tensor *t;
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F16, &t), CLBB_OK);
    cr_expect_eq(clbb_tensor_dtype(t), CLBB_DTYPE_F16);
    cr_assert_eq(clbb_tensor_write_f32(ctx, t, x, 120), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(ctx, t, y, 120), CLBB_OK);
    float want[120];
    memcpy(want, x, sizeof x);
    clbb_ref_quantize(CLBB_DTYPE_F16, want, 120);
    cr_expect_arr_eq(y, want, sizeof y);
    cr_expect_eq(y[1], 65504.0f);
    cr_expect(isinf(y[2]), "65520 rounds to infinity in half");
    uint16_t raw[120];
    cr_assert_eq(clbb_tensor_read_raw(ctx, t, raw, 120), CLBB_OK);
    cr_expect_eq(raw[0], clbb__float_to_half(1.0f / 3));
    raw[5] = 0x3c00; /* 1.0 */
    cr_assert_eq(clbb_tensor_write_raw(ctx, t, raw, 120), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(ctx, t, y, 120), CLBB_OK);
    cr_expect_eq(y[5], 1.0f);
    clbb_tensor_destroy(t);
    clbb_context_destroy(ctx);
}

/* (N, C, H, W) -> (N, C, 1, HW) -> its (N, HW, 1, C) transpose, read and
 * written through the views, and copied dense (and to half) on the device. */
Test(tensors, reshape_and_permute_views) {
    clbb_context *ctx = test_context();
    clbb_shape s = {2, 3, 4, 5};
    float x[120], y[120], want[120];
    for (int i = 0; i < 120; i++) x[i] = (float)i;
    clbb_tensor *t, *r, *p, *d, *h;
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &t), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, t, x, 120), CLBB_OK);
    clbb_shape rs = {2, 3, 1, 20};
    cr_assert_eq(clbb_tensor_view_reshape(ctx, t, rs, &r), CLBB_OK);
    const int perm[4] = {0, 3, 2, 1};
    cr_assert_eq(clbb_tensor_view_permute(ctx, r, perm, &p), CLBB_OK);
    clbb_shape ps = clbb_tensor_shape(p);
    cr_expect(ps.n == 2 && ps.c == 20 && ps.h == 1 && ps.w == 3);
    int64_t strides[4];
    clbb_tensor_strides(p, strides);
    cr_expect(strides[0] == 60 && strides[1] == 1 && strides[3] == 20);
    clbb_ref_permute(rs, x, perm, want);
    cr_assert_eq(clbb_tensor_read_f32(ctx, p, y, 120), CLBB_OK);
    cr_expect_arr_eq(y, want, sizeof y);
    /* a permuted view cannot be reshaped: its images are not dense */
    clbb_tensor *bad = NULL;
    cr_expect_eq(clbb_tensor_view_reshape(ctx, p, rs, &bad), CLBB_ERR_UNSUPPORTED);
    const int notperm[4] = {0, 1, 1, 3};
    cr_expect_eq(clbb_tensor_view_permute(ctx, t, notperm, &bad), CLBB_ERR_INVALID_ARGUMENT);
    clbb_shape wrong = {2, 3, 2, 11};
    cr_expect_eq(clbb_tensor_view_reshape(ctx, t, wrong, &bad), CLBB_ERR_INVALID_ARGUMENT);
    /* the transpose made dense, in f32 and in f16 */
    cr_assert_eq(clbb_tensor_create(ctx, ps, CLBB_DTYPE_F32, &d), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, ps, CLBB_DTYPE_F16, &h), CLBB_OK);
    cr_assert_eq(clbb_tensor_copy(ctx, p, d), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_tensor_copy(ctx, p, h), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_tensor_read_f32(ctx, d, y, 120), CLBB_OK);
    cr_expect_arr_eq(y, want, sizeof y);
    cr_assert_eq(clbb_tensor_read_f32(ctx, h, y, 120), CLBB_OK);
    cr_expect_arr_eq(y, want, sizeof y, "integers below 2048 are exact in half");
    /* writing through the permuted view lands in the parent's layout */
    for (int i = 0; i < 120; i++) y[i] = -want[i];
    cr_assert_eq(clbb_tensor_write_f32(ctx, p, y, 120), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(ctx, t, y, 120), CLBB_OK);
    for (int i = 0; i < 120; i++) cr_assert_eq(y[i], -x[i]);
    clbb_tensor_destroy(h);
    clbb_tensor_destroy(d);
    clbb_tensor_destroy(p);
    clbb_tensor_destroy(r);
    clbb_tensor_destroy(t);
    clbb_context_destroy(ctx);
}

Test(tensors, another_contexts_tensor_is_named) {
    clbb_context *a = test_context(), *b = test_context();
    clbb_shape s = {1, 2, 3, 3};
    clbb_tensor *ta, *tb, *v = NULL;
    cr_assert_eq(clbb_tensor_create(a, s, CLBB_DTYPE_F32, &ta), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(b, s, CLBB_DTYPE_F32, &tb), CLBB_OK);
    float x[18] = {0};
    cr_expect_eq(clbb_tensor_write_f32(b, ta, x, 18), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(b), "another context"), "%s", clbb_last_error(b));
    cr_expect_eq(clbb_tensor_read_f32(b, ta, x, 18), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(b), "another context"), "%s", clbb_last_error(b));
    cr_expect_eq(clbb_tensor_copy(a, ta, tb), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(a), "another context"), "%s", clbb_last_error(a));
    cr_expect_eq(clbb_tensor_view_channels(b, ta, 0, 1, &v), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(b), "another context"), "%s", clbb_last_error(b));
    clbb_tensor *w = NULL;
    cr_expect_eq(clbb_tensor_wrap(b, clbb_tensor_buffer(ta), 0, s, CLBB_DTYPE_F32, 0, &w),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(b), "another OpenCL context"), "%s", clbb_last_error(b));
    clbb_tensor_destroy(ta);
    clbb_tensor_destroy(tb);
    clbb_context_destroy(a);
    clbb_context_destroy(b);
}

/* ResNet-18 at base width 8 with random weights: every node kind of a
 * backbone, small enough to run in milliseconds on PoCL. */
static clbb_model *tiny_resnet18(clbb_context *ctx, uint64_t seed) {
    clbb_model_config cfg;
    clbb_model_config_preset("resnet18", &cfg);
    cfg.base_channels = 8;
    clbb_model *m = NULL;
    cr_assert_eq(clbb_model_create(ctx, &cfg, &m), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_model_init_weights(m, seed), CLBB_OK);
    return m;
}

static clbb_op *conv3x3(clbb_context *ctx, int c) {
    clbb_conv2d_desc d = {c, c, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
    float *w = malloc((size_t)c * c * 9 * sizeof *w);
    uint64_t st = 1;
    clbb__fill_uniform(w, (size_t)c * c * 9, &st, -0.2f, 0.2f);
    clbb_op *op = NULL;
    clbb_epilogue e = {NULL, NULL, 1, CLBB_ACTIVATION_NONE};
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, &e, NULL, &op), CLBB_OK);
    free(w);
    return op;
}

/* A conv cannot run in place (its window reads neighbours of what it
 * writes): the identical tensor, an overlapping view, and the residual as
 * the output are refused; add and batch_norm in place give the right
 * answer. */
Test(tensors, aliasing_refused_or_correct) {
    clbb_context *ctx = test_context();
    clbb_shape s = {1, 8, 14, 14}, wide = {1, 12, 14, 14};
    clbb_tensor *a, *b, *big, *v1, *v2;
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &a), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &b), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, wide, CLBB_DTYPE_F32, &big), CLBB_OK);
    cr_assert_eq(clbb_tensor_view_channels(ctx, big, 0, 8, &v1), CLBB_OK);
    cr_assert_eq(clbb_tensor_view_channels(ctx, big, 4, 8, &v2), CLBB_OK);
    clbb_op *conv = conv3x3(ctx, 8);
    cr_assert_eq(clbb_op_reshape(conv, s, NULL), CLBB_OK);
    const clbb_tensor *self[2] = {a, b};
    cr_expect_eq(clbb_op_setup(conv, self, 2, a), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "cannot run in place"), "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_op_setup(conv, self, 2, b), CLBB_ERR_INVALID_ARGUMENT, "y == residual");
    const clbb_tensor *ov[2] = {v1, b};
    cr_expect_eq(clbb_op_setup(conv, ov, 2, v2), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "overlaps"), "%s", clbb_last_error(ctx));
    cr_expect_eq(clbb_op_run(conv), CLBB_ERR_INVALID_STATE);
    clbb_tensor *c;
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &c), CLBB_OK);
    cr_expect_eq(clbb_op_setup(conv, self, 2, c), CLBB_OK, "%s", clbb_last_error(ctx));
    clbb_op_destroy(conv);

    const size_t n = clbb_shape_numel(s);
    float *x = malloc(n * sizeof *x), *r = malloc(n * sizeof *r), *y = malloc(n * sizeof *y),
          *want = malloc(n * sizeof *want);
    uint64_t st = 3;
    clbb__fill_uniform(x, n, &st, -1, 1);
    clbb__fill_uniform(r, n, &st, -1, 1);
    cr_assert_eq(clbb_tensor_write_f32(ctx, a, x, n), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, b, r, n), CLBB_OK);
    clbb_op *add;
    cr_assert_eq(clbb_add_create(ctx, CLBB_ACTIVATION_RELU, NULL, &add), CLBB_OK);
    cr_assert_eq(clbb_op_reshape(add, s, NULL), CLBB_OK);
    cr_assert_eq(clbb_op_setup(add, self, 2, a), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_op_run(add), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(ctx, a, y, n), CLBB_OK);
    clbb_ref_add(s, x, r, CLBB_ACTIVATION_RELU, want);
    cr_expect_arr_eq(y, want, n * sizeof *y, "add in place");
    clbb_op_destroy(add);
    clbb_op *bn;
    cr_assert_eq(clbb_batch_norm_create(ctx, 8, NULL, NULL, NULL, NULL, 0, 1, CLBB_ACTIVATION_NONE,
                                        NULL, &bn),
                 CLBB_OK);
    cr_assert_eq(clbb_op_reshape(bn, s, NULL), CLBB_OK);
    const clbb_tensor *bins[2] = {b, a};
    cr_assert_eq(clbb_op_setup(bn, bins, 2, a), CLBB_OK, "y == residual: %s", clbb_last_error(ctx));
    cr_assert_eq(clbb_op_run(bn), CLBB_OK);
    cr_assert_eq(clbb_tensor_read_f32(ctx, a, y, n), CLBB_OK);
    for (size_t i = 0; i < n; i++) cr_assert_float_eq(y[i], r[i] + want[i], 1e-6);
    clbb_op_destroy(bn);
    free(x); free(r); free(y); free(want);
    clbb_tensor_destroy(c);
    clbb_tensor_destroy(v1);
    clbb_tensor_destroy(v2);
    clbb_tensor_destroy(big);
    clbb_tensor_destroy(a);
    clbb_tensor_destroy(b);
    clbb_context_destroy(ctx);
}

Test(tensors, op_dtype_and_layout_checked_at_setup) {
    clbb_context *ctx = test_context();
    clbb_shape s = {1, 4, 5, 6};
    clbb_tensor *a, *h, *y, *t, *p;
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &a), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F16, &h), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &y), CLBB_OK);
    clbb_shape ts = {1, 6, 5, 4};
    cr_assert_eq(clbb_tensor_create(ctx, ts, CLBB_DTYPE_F32, &t), CLBB_OK);
    const int perm[4] = {0, 3, 2, 1};
    cr_assert_eq(clbb_tensor_view_permute(ctx, t, perm, &p), CLBB_OK);
    clbb_op *add;
    cr_assert_eq(clbb_add_create(ctx, CLBB_ACTIVATION_NONE, NULL, &add), CLBB_OK);
    cr_assert_eq(clbb_op_reshape(add, s, NULL), CLBB_OK);
    const clbb_tensor *mixed[2] = {a, h};
    cr_expect_eq(clbb_op_setup(add, mixed, 2, y), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "f16"), "%s", clbb_last_error(ctx));
    const clbb_tensor *strided[2] = {a, p};
    cr_expect_eq(clbb_op_setup(add, strided, 2, y), CLBB_ERR_UNSUPPORTED);
    cr_expect(strstr(clbb_last_error(ctx), "strided"), "%s", clbb_last_error(ctx));
    clbb_op_destroy(add);
    clbb_op_options o;
    clbb_op_options_init(&o);
    o.dtype = (clbb_dtype)9;
    cr_expect_eq(clbb_add_create(ctx, CLBB_ACTIVATION_NONE, &o, &add), CLBB_ERR_INVALID_ARGUMENT);
    o.dtype = CLBB_DTYPE_F32;
    o.family = (clbb_kernel_family)9;
    cr_expect_eq(clbb_add_create(ctx, CLBB_ACTIVATION_NONE, &o, &add), CLBB_ERR_INVALID_ARGUMENT);
    clbb_tensor_destroy(p);
    clbb_tensor_destroy(t);
    clbb_tensor_destroy(a);
    clbb_tensor_destroy(h);
    clbb_tensor_destroy(y);
    clbb_context_destroy(ctx);
}

/* A failure's message does not outlive the next call that succeeds. */
Test(tensors, last_error_cleared_by_success) {
    clbb_context *ctx = test_context();
    clbb_conv2d_desc d = {4, 4, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    float w[16] = {0};
    clbb_conv2d_options o;
    clbb_conv2d_options_init(&o);
    o.algo = CLBB_CONV_ALGO_WINOGRAD;
    clbb_op *op = NULL;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &o, &op), CLBB_ERR_UNSUPPORTED);
    cr_assert_neq(clbb_last_error(ctx)[0], '\0');
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, NULL, &op), CLBB_OK);
    cr_expect_str_eq(clbb_last_error(ctx), "");
    /* a model whose forced algorithm does not apply to some layers falls
     * back on them: the forward succeeds and leaves no message */
    clbb_model *m = tiny_resnet18(ctx, 1);
    cr_assert_eq(clbb_model_set_conv_algo(m, CLBB_CONV_ALGO_WINOGRAD), CLBB_OK);
    static float x[3 * 32 * 32];
    clbb_shape s = {1, 3, 32, 32};
    cr_assert_eq(clbb_model_forward(m, s, x), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_expect_str_eq(clbb_last_error(ctx), "");
    cr_expect_eq(clbb_model_forward(m, (clbb_shape){1, 4, 32, 32}, x), CLBB_ERR_SHAPE);
    cr_assert_neq(clbb_last_error(ctx)[0], '\0');
    cr_assert_eq(clbb_model_forward(m, s, x), CLBB_OK);
    cr_expect_str_eq(clbb_last_error(ctx), "");
    clbb_model_destroy(m);
    clbb_op_destroy(op);
    clbb_context_destroy(ctx);
}

/* A model's own output as the input of a forward at another shape would be
 * read after the replanning freed it: refused. At the planned shape it is
 * fine (copied in before anything writes it). */
Test(tensors, own_output_as_input_at_another_shape_is_refused) {
    clbb_context *ctx = test_context();
    const char *json = "{\"type\":\"ResNet\",\"depth\":18,\"in_channels\":64,\"num_stages\":1,"
                       "\"strides\":[1],\"dilations\":[1],\"out_indices\":[0],\"stem_channels\":64,"
                       "\"base_channels\":64}";
    clbb_model *m = NULL;
    cr_assert_eq(clbb_model_create_from_json(ctx, json, strlen(json), &m), CLBB_OK, "%s",
                 clbb_last_error(ctx));
    cr_assert_eq(clbb_model_init_weights(m, 1), CLBB_OK);
    static float x[64 * 32 * 32];
    cr_assert_eq(clbb_model_forward(m, (clbb_shape){1, 64, 32, 32}, x), CLBB_OK);
    const clbb_tensor *out;
    cr_assert_eq(clbb_model_output(m, 0, &out), CLBB_OK);
    clbb_shape os = clbb_tensor_shape(out); /* 1 x 64 x 8 x 8: another shape */
    cr_assert_eq(os.c, 64);
    cr_expect_eq(clbb_model_forward_tensor(m, out), CLBB_ERR_INVALID_ARGUMENT);
    cr_expect(strstr(clbb_last_error(ctx), "own tensors"), "%s", clbb_last_error(ctx));
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* A half-precision model takes a float device tensor (converted by a copy
 * op the plan keeps) or host floats, with the same result. */
Test(tensors, f16_model_takes_float_tensors) {
    clbb_context *ctx = test_context();
    clbb_model *m = tiny_resnet18(ctx, 2);
    cr_assert_eq(clbb_model_set_precision(m, CLBB_PRECISION_FP16), CLBB_OK);
    const clbb_shape s = {1, 3, 32, 32};
    static float x[3 * 32 * 32], a[64], b[64];
    clbb_fill_uniform(x, CLBB_ARRAY_SIZE(x), 9, -1, 1);
    cr_assert_eq(clbb_model_forward(m, s, x), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb_model_read_output(m, 3, a, 64), CLBB_OK);
    clbb_tensor *t;
    cr_assert_eq(clbb_tensor_create(ctx, s, CLBB_DTYPE_F32, &t), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, t, x, CLBB_ARRAY_SIZE(x)), CLBB_OK);
    for (int i = 0; i < 2; i++) { /* the second forward reuses the plan's copy op */
        cr_assert_eq(clbb_model_forward_tensor(m, t), CLBB_OK, "%s", clbb_last_error(ctx));
        cr_assert_eq(clbb_model_read_output(m, 3, b, 64), CLBB_OK);
        cr_expect_arr_eq(a, b, sizeof a);
    }
    const clbb_tensor *out;
    cr_assert_eq(clbb_model_output(m, 3, &out), CLBB_OK);
    cr_expect_eq(clbb_tensor_dtype(out), CLBB_DTYPE_F16);
    clbb_tensor_destroy(t);
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
}

/* Strings longer than their field are truncated, never blanked (PoCL's
 * 65-byte CL_DEVICE_VERSION once left opencl_version empty). */
Test(tensors, device_strings_are_never_blank) {
    size_t n = 0;
    cr_assert_eq(clbb_list_devices(NULL, 0, &n), CLBB_OK);
    clbb_device_info *d = calloc(n, sizeof *d);
    cr_assert_eq(clbb_list_devices(d, n, &n), CLBB_OK);
    for (size_t i = 0; i < n; i++) {
        cr_expect_neq(d[i].opencl_version[0], '\0', "device %zu: empty opencl_version", i);
        cr_expect_eq(strncmp(d[i].opencl_version, "OpenCL ", 7), 0, "%s", d[i].opencl_version);
        cr_expect_neq(d[i].device_name[0], '\0');
        cr_expect_neq(d[i].driver_version[0], '\0');
    }
    free(d);
}
