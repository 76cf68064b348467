/* Device profiles: the table, the clamp, the option and CLBB_DEVICE_PROFILE
 * (an unknown name lists the known ones), and under every profile a small
 * set of convolutions (implicit GEMM 3x3 and 1x1 with split-K, Winograd,
 * depthwise, direct) against the reference, with no launch beyond the
 * profile's work-group size or local memory. Part of the api suite. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl/program.h"
#include "core/profiles.h"
#include "test_util.h"

static clbb_status profile_context(const char *name, clbb_context **ctx, char *err,
                                   size_t size) {
    clbb_context_options o;
    clbb_context_options_init(&o);
    o.profile = name;
    o.error_buffer = err;
    o.error_buffer_size = size;
    return clbb_context_create(&o, ctx);
}

Test(profiles, table) {
    static const char *const want[] = {"mali-g78",       "mali-g710", "adreno-740",
                                       "intel-xe-lpg",   "intel-arc-a770", "amd-rdna3",
                                       "amd-cdna2",      "apple-m2"};
    cr_assert_geq(clbb_device_profile_count(), 8);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert_not_null(clbb_device_profile_find(want[i]), "%s", want[i]);
    for (size_t i = 0; i < clbb_device_profile_count(); i++) {
        const clbb_device_profile *p = clbb_device_profile_at(i);
        cr_assert_not_null(p);
        cr_assert_eq(clbb_device_profile_find(p->name), p);
        cr_assert(p->description[0] && !strcmp(p->family, "gpu"), "%s", p->name);
        cr_assert(p->max_work_group_size >= 64 && p->local_mem_bytes >= 16384, "%s", p->name);
        cr_assert(p->sub_group_sizes[0] > 0 && p->compute_units > 0, "%s", p->name);
        cr_assert(p->opencl_c_version == 120 || p->opencl_c_version == 200 ||
                      p->opencl_c_version == 300,
                  "%s", p->name);
    }
    cr_assert_null(clbb_device_profile_at(clbb_device_profile_count()));
    cr_assert_null(clbb_device_profile_find(NULL));
    cr_assert_null(clbb_device_profile_find("Mali-G78"));
}

Test(profiles, apply_clamps) {
    clbb_device_info i;
    memset(&i, 0, sizeof i);
    i.max_work_group_size = 4096;
    i.local_mem_bytes = 1 << 20;
    i.has_fp16 = i.has_fp64 = 1;
    i.is_cpu = 1;
    i.compute_units = 2;
    const clbb_device_profile *p = clbb_device_profile_find("mali-g78");
    clbb_device_profile_apply(p, &i);
    cr_assert_eq(i.max_work_group_size, p->max_work_group_size);
    cr_assert_eq(i.local_mem_bytes, p->local_mem_bytes);
    cr_assert(i.has_fp16 && !i.has_fp64 && i.is_gpu && !i.is_cpu);
    cr_assert_eq(i.compute_units, p->compute_units);
    /* a smaller real device keeps its own limits */
    i.max_work_group_size = 128;
    i.local_mem_bytes = 0; /* unknown: the profile's */
    i.has_fp16 = 0;
    clbb_device_profile_apply(clbb_device_profile_find("adreno-740"), &i);
    cr_assert_eq(i.max_work_group_size, 128);
    cr_assert_eq(i.local_mem_bytes, 32768);
    cr_assert_eq(i.has_fp16, 0);
    clbb_device_profile_apply(NULL, &i); /* no-ops */
    clbb_device_profile_apply(p, NULL);
    cr_assert_eq(i.max_work_group_size, 128);
}

Test(profiles, unknown_name_lists_known) {
    unsetenv("CLBB_DEVICE_PROFILE");
    char err[1024] = "";
    clbb_context *ctx = (clbb_context *)1;
    cr_assert_eq(profile_context("mali-g79", &ctx, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_null(ctx);
    cr_assert(strstr(err, "'mali-g79'") && strstr(err, "mali-g78") && strstr(err, "apple-m2"),
              "%s", err);
    setenv("CLBB_DEVICE_PROFILE", "nope", 1);
    cr_assert_eq(profile_context(NULL, &ctx, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err, "CLBB_DEVICE_PROFILE") && strstr(err, "amd-rdna3"), "%s", err);
    /* "none" and "" override the environment */
    cr_assert_eq(profile_context("none", &ctx, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_null(clbb_context_profile(ctx));
    clbb_context_destroy(ctx);
    cr_assert_eq(profile_context("", &ctx, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_null(clbb_context_profile(ctx));
    clbb_context_destroy(ctx);
    setenv("CLBB_DEVICE_PROFILE", "mali-g710", 1);
    cr_assert_eq(profile_context(NULL, &ctx, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_str_eq(clbb_context_profile(ctx)->name, "mali-g710");
    clbb_context_destroy(ctx);
    unsetenv("CLBB_DEVICE_PROFILE");
    cr_assert_null(clbb_context_profile(NULL));
}

/* A launch beyond the profile's work-group size is refused before the
 * driver sees it, naming the limit and the profile. */
Test(profiles, launch_beyond_limit_refused) {
    char err[1024] = "";
    clbb_context *ctx;
    cr_assert_eq(profile_context("mali-g78", &ctx, err, sizeof err), CLBB_OK, "%s", err);
    cl_program prog;
    cl_kernel k;
    cr_assert_eq(clbb__program_get(ctx, "peak", "", &prog), CLBB_OK, "%s", clbb_last_error(ctx));
    cr_assert_eq(clbb__kernel_create(ctx, prog, "peak_copy", &k), CLBB_OK);
    cl_mem a, b;
    cr_assert_eq(clbb__buffer_create(ctx, 512 * 16, CL_MEM_READ_WRITE, NULL, "a", &a), CLBB_OK);
    cr_assert_eq(clbb__buffer_create(ctx, 512 * 16, CL_MEM_READ_WRITE, NULL, "b", &b), CLBB_OK);
    cr_assert_eq(clbb__kernel_args(ctx, k, "peak_copy", sizeof a, &a, sizeof b, &b,
                                   CLBB_ARGS_END),
                 CLBB_OK);
    size_t gws = 512, lws = 512;
    cr_assert_eq(clbb__enqueue(ctx, k, 1, &gws, &lws, "peak_copy"), CLBB_ERR_UNSUPPORTED);
    cr_assert(strstr(clbb_last_error(ctx), "512 work-items") &&
                  strstr(clbb_last_error(ctx), "384 of profile 'mali-g78'"),
              "%s", clbb_last_error(ctx));
    lws = 128;
    cr_assert_eq(clbb__enqueue(ctx, k, 1, &gws, &lws, "peak_copy"), CLBB_OK);
    cr_assert_eq(clbb_context_finish(ctx), CLBB_OK);
    size_t wg;
    uint64_t lmem;
    clbb__launch_limits(ctx, &wg, &lmem);
    cr_assert_eq(wg, 128);
    /* a tuning that asks for more work-items than the profile allows is
     * refused at planning, naming the limit */
    clbb_conv2d_desc d = {16, 64, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    clbb_conv2d_options co;
    clbb_conv2d_options_init(&co);
    co.algo = CLBB_CONV_ALGO_IMPLICIT_GEMM;
    co.tuning = "TM=64,TN=64,WM=1,WN=1";
    float w[16 * 64] = {0};
    clbb_op *op;
    cr_assert_eq(clbb_conv2d_create(ctx, &d, w, NULL, NULL, &co, &op), CLBB_OK,
                 "%s", clbb_last_error(ctx));
    clbb_shape in = {1, 16, 8, 8};
    cr_assert_eq(clbb_op_reshape(op, in, NULL), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(clbb_last_error(ctx), "allows 384"), "%s", clbb_last_error(ctx));
    clbb_op_destroy(op);
    clReleaseKernel(k);
    clbb__buffer_release(ctx, a);
    clbb__buffer_release(ctx, b);
    clbb_context_destroy(ctx);
}

typedef struct conv_case {
    const char *name;
    clbb_conv_algo algo;
    clbb_conv2d_desc d;
    clbb_shape in;
} conv_case;

static const conv_case CASES[] = {
    {"igemm3x3", CLBB_CONV_ALGO_IMPLICIT_GEMM, {8, 24, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
     {1, 8, 11, 13}},
    /* long K, small map: split-K on most profiles */
    {"igemm1x1", CLBB_CONV_ALGO_IMPLICIT_GEMM, {256, 32, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
     {1, 256, 4, 4}},
    {"winograd", CLBB_CONV_ALGO_WINOGRAD, {16, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
     {1, 16, 10, 10}},
    {"depthwise", CLBB_CONV_ALGO_DEPTHWISE, {16, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
     {1, 16, 13, 12}},
    {"direct", CLBB_CONV_ALGO_DIRECT, {4, 8, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 4, 9, 7}},
};

static float rnd(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 9) & 0xffff) / 32768.0f - 1.0f;
}

static void run_case(clbb_context *ctx, const conv_case *c, const char *profile) {
    const clbb_conv2d_desc *d = &c->d;
    clbb_shape out;
    cr_assert_eq(clbb_conv2d_output_shape(d, c->in, &out, NULL, 0), CLBB_OK);
    size_t nx = clbb_shape_numel(c->in), ny = clbb_shape_numel(out);
    size_t nw = (size_t)d->out_channels * (d->in_channels / d->groups) * d->kernel_h * d->kernel_w;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc(64 * sizeof *b);
    float *y = malloc(ny * sizeof *y), *ref = malloc(ny * sizeof *ref);
    cr_assert(x && w && b && y && ref);
    unsigned s = 7;
    for (size_t i = 0; i < nx; i++) x[i] = rnd(&s);
    for (size_t i = 0; i < nw; i++) w[i] = rnd(&s) * 0.2f;
    for (int i = 0; i < 64; i++) b[i] = rnd(&s);
    clbb_conv2d_options co;
    clbb_conv2d_options_init(&co);
    co.algo = c->algo;
    clbb_op *op;
    cr_assert_eq(clbb_conv2d_create(ctx, d, w, b, NULL, &co, &op), CLBB_OK, "%s %s: %s", profile,
                 c->name, clbb_last_error(ctx));
    clbb_tensor *tx, *ty;
    cr_assert_eq(clbb_tensor_create(ctx, c->in, CLBB_DTYPE_F32, &tx), CLBB_OK);
    cr_assert_eq(clbb_tensor_create(ctx, out, CLBB_DTYPE_F32, &ty), CLBB_OK);
    cr_assert_eq(clbb_tensor_write_f32(ctx, tx, x, nx), CLBB_OK);
    cr_assert_eq(clbb_op_reshape(op, c->in, NULL), CLBB_OK, "%s %s: %s", profile, c->name,
                 clbb_last_error(ctx));
    const clbb_tensor *ins[1] = {tx};
    cr_assert_eq(clbb_op_setup(op, ins, 1, ty), CLBB_OK);
    cr_assert_eq(clbb_op_run(op), CLBB_OK, "%s %s: %s", profile, c->name, clbb_last_error(ctx));
    cr_assert_eq(clbb_tensor_read_f32(ctx, ty, y, ny), CLBB_OK);
    clbb_ref_conv2d(d, c->in, x, w, b, NULL, NULL, NULL, ref);
    double num = 0, den = 0;
    for (size_t i = 0; i < ny; i++) {
        num += (double)(y[i] - ref[i]) * (y[i] - ref[i]);
        den += (double)ref[i] * ref[i];
    }
    cr_assert(sqrt(num / (den + 1e-30)) < 1e-5, "%s %s: relative L2 error %g", profile, c->name,
              sqrt(num / (den + 1e-30)));
    clbb_op_destroy(op);
    clbb_tensor_destroy(tx);
    clbb_tensor_destroy(ty);
    free(x);
    free(w);
    free(b);
    free(y);
    free(ref);
}

static void run_profile(const char *name) {
    unsetenv("CLBB_CPU_KERNELS");
    char err[1024] = "";
    clbb_context *ctx;
    cr_assert_eq(profile_context(name, &ctx, err, sizeof err), CLBB_OK, "%s", err);
    const clbb_device_profile *p = clbb_context_profile(ctx);
    cr_assert(p && !strcmp(p->name, name));
    clbb_device_info info;
    cr_assert_eq(clbb_context_device_info(ctx, &info), CLBB_OK);
    cr_assert(info.max_work_group_size <= p->max_work_group_size && info.max_work_group_size);
    cr_assert(info.local_mem_bytes <= p->local_mem_bytes && !info.is_cpu && info.is_gpu);
    cr_assert(!info.has_fp64 || p->has_fp64);
    /* what clbb picks: the profile's device class and the GPU kernels */
    cr_assert_eq(clbb__context_vendor(ctx), clbb__profile_vendor(p));
    cr_assert_eq(clbb__default_family(ctx), CLBB_KERNEL_FAMILY_GPU);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) run_case(ctx, &CASES[i], name);
    size_t wg;
    uint64_t lmem;
    clbb__launch_limits(ctx, &wg, &lmem);
    cr_assert(wg > 1 && wg <= p->max_work_group_size, "%s: largest work-group %zu", name, wg);
    cr_assert(lmem <= p->local_mem_bytes, "%s: largest local memory %llu", name,
              (unsigned long long)lmem);
    clbb_context_destroy(ctx);
}

#define PROFILE_TEST(id, name) \
    Test(profiles, ops_##id) { run_profile(name); }
PROFILE_TEST(mali_g78, "mali-g78")
PROFILE_TEST(mali_g710, "mali-g710")
PROFILE_TEST(adreno_740, "adreno-740")
PROFILE_TEST(intel_xe_lpg, "intel-xe-lpg")
PROFILE_TEST(intel_arc_a770, "intel-arc-a770")
PROFILE_TEST(amd_rdna3, "amd-rdna3")
PROFILE_TEST(amd_cdna2, "amd-cdna2")
PROFILE_TEST(apple_m2, "apple-m2")
