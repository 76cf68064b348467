/* Conformance harness: one descriptor per op (its cases, data, op
 * creation, reference, output shape and tolerances per dtype, like ggml's
 * test_case), run on a device against the plain-C reference by one generic
 * runner with guard bands, poisoned outputs and fresh seeded data. The
 * same tables drive the Criterion tests, `clbb check` and the op
 * benchmarks (dav1d's checkasm, for OpenCL). */
#ifndef CLBB_CHECK_H
#define CLBB_CHECK_H

#include <stdint.h>

#include "core/internal.h"

#define CHECK_MAX_INPUTS 4
#define CHECK_MAX_PARAMS 8
#define CHECK_PARAMS_MAX 128
/* The largest finite half: an F16 value beyond it is stored as infinity. */
#define CHECK_HALF_MAX 65504.0

typedef struct check_op check_op;

/* One case: what every op has, plus the op's own parameters in `params`
 * (a struct of the op's file, read through CHECK_PARAMS). */
typedef struct check_case {
    char name[96];
    const check_op *op;
    clbb_shape in;              /* shape of the first input */
    clbb_dtype dtype;           /* of every tensor of the op */
    /* the precision checked: the tolerance row, and the math of ops that
     * take one (check_push sets it from dtype; `clbb check --precision`
     * overrides it) */
    clbb_precision precision;
    int algo;                   /* the op's algorithm (conv: a clbb_conv_algo; 0: AUTO) */
    clbb_kernel_family family;  /* AUTO, or the family checked */
    char tuning[96];            /* conv: tuning text ("" none) */
    char expect[48];            /* text the op's algorithm name must contain ("" any) */
    int quick;                  /* member of the --quick subset */
    int views;                  /* the first input and the output are channel views */
    int inplace;                /* 1 + k: the output is input k itself (in place); 0: its own */
    clbb_activation act;
    int residual;
    _Alignas(16) unsigned char params[CHECK_PARAMS_MAX];
} check_case;

#define CHECK_PARAMS(c, type) ((type *)(void *)(c)->params)

/* What the runner binds and the reference reads, made by the op. */
typedef struct check_data {
    int num_inputs;
    clbb_shape shape[CHECK_MAX_INPUTS]; /* dense host shape of each input */
    float *in[CHECK_MAX_INPUTS];        /* quantized to the case dtype by the runner */
    /* input k is bound as clbb_tensor_view_permute(its dense tensor, perm) */
    int permuted[CHECK_MAX_INPUTS];
    int perm[4];
    /* input k is bound as a channel view of a larger parent (as input 0 is
     * with check_case.views) */
    int viewed[CHECK_MAX_INPUTS];
    float *param[CHECK_MAX_PARAMS];     /* weights, statistics (fp32) */
    clbb_shape out;
    float *ref;
} check_data;

/* Pass when rel_l2 <= rel_l2 and every |y - ref| <= atol + rtol * |ref|. The
 * case data are scaled so that outputs are O(1), which is what atol is
 * measured against. rel_l2 is ||y - ref|| / max(||ref||, rms_floor sqrt(n))
 * with the op's rms_floor (see check_op). */
typedef struct check_tolerance {
    double rel_l2, atol, rtol;
} check_tolerance;

typedef struct case_list {
    check_case *v;
    size_t n, cap;
    int oom; /* a push failed: the table is incomplete */
} case_list;

struct check_op {
    const char *name;
    /* appends the op's cases (quick: the subset) for a dtype */
    void (*cases)(case_list *l, int quick, clbb_dtype dtype);
    clbb_status (*out_shape)(const check_case *c, clbb_shape *out, char *msg, size_t msg_size);
    /* inputs (shapes and host arrays) and parameters from the random stream */
    clbb_status (*make_data)(const check_case *c, uint64_t *rng, check_data *d);
    clbb_status (*create)(clbb_context *ctx, const check_case *c, const check_data *d,
                          clbb_op **op);
    /* d->ref from d->in and d->param */
    void (*reference)(const check_case *c, check_data *d);
    /* per precision (clbb_precision): storage and, for ops with a math
     * mode, the products. An op without one (math 0) runs the same kernels
     * at fp32, tf32x3 and tf32 (fp32 storage, no matrix products), so only
     * its fp32 and fp16 rows are read (check_op_tolerance). */
    check_tolerance tol[CLBB_PRECISION_COUNT];
    /* 1: the op takes clbb_conv2d_options.math (created with the case
     * precision's math: check_case_math) */
    int math;
    /* Floor of the reference's RMS in the relative L2 error (0: none). The
     * rounding error of a sum scales with its terms, not with its result:
     * where an activation clips all but a few outputs of a tiny case, or
     * the terms cancel, ||ref|| is far below the terms' scale and the
     * relative error of correct fp32 arithmetic is no longer small (a
     * 5-output ReLU conv with ||ref|| 2.5e-5 and error 1e-8 once failed
     * under oclgrind). Ops whose data are generated at a known output
     * scale floor it there; the per-element bound is not floored. */
    double rms_floor;
    /* multiply-adds or elements of a case, to pick the small ones for
     * simulators; NULL: the first input's elements */
    double (*work)(const check_case *c);
};

/* A new case at the end of the list (zeroed, op set; NULL when out of
 * memory). */
check_case *check_push(case_list *l, const check_op *op, clbb_dtype dtype);
/* A new uniform array of n floats in [lo, hi) (NULL when out of memory). */
float *check_rand(size_t n, uint64_t *rng, float lo, float hi);
/* The parameters of a conv-like op from the random stream: weights
 * (fan_in x cout, variance ~1/fan_in, so outputs of unit scale), bias in
 * [-0.5, 0.5) if bias, BN-like scale in [0.5, 1.5) and shift in [-0.5,
 * 0.5) if scale; into param[0..3] (weights, bias, scale, shift). */
clbb_status check_conv_params(uint64_t *rng, size_t fan_in, int cout, int bias, int scale,
                              float **param);
/* The parameters of a conv-like op as the device stores them in `dtype`
 * (src/cl/conv2d.c): F16 keeps its weights in half, so the reference of an
 * F16 case gets *wq = float(scale) * w rounded to half (nearest even, as
 * clbb__weights_upload) and *bq = float(scale * bias + shift), to run with
 * no epilogue scale or shift: the weights' rounding is then modelled, not
 * absorbed by the tolerance. F32 (and any other): *wq = *bq = NULL, nothing
 * to model. O x per_out weights; bias, scale, shift may be NULL. */
clbb_status check_conv_stored_params(clbb_dtype dtype, int O, size_t per_out, const float *w,
                                     const float *bias, const float *scale, const float *shift,
                                     float **wq, float **bq);
/* out_shape of ops whose output has the first input's shape. */
clbb_status check_out_same_shape(const check_case *c, clbb_shape *out, char *msg, size_t msg_size);
/* ||y - ref|| / max(||ref||, rms_floor sqrt(n)) (see check_op.rms_floor);
 * *max_abs: max |y - ref| (infinite where one is NaN). */
double check_rel_l2(const float *y, const float *ref, size_t n, double rms_floor, double *max_abs);
/* The tolerance of an op at a precision (see check_op.tol). */
check_tolerance check_op_tolerance(const check_op *op, clbb_precision precision);
/* The math a case's op is created with: its precision's (fp32 -> FP32,
 * tf32x3 -> TF32X3, tf32 -> TF32, fp16 -> FP16); the op falls back to
 * strict products where the device has no matrix units. */
clbb_math check_case_math(const check_case *c);
/* The math an op ran, from its algorithm name: tensor-core kernels append
 * "_" + clbb_math_name() (e.g. igemm_..._tf32); anything else is FP32. */
clbb_math check_ran_math(const char *algorithm);
/* A conv2d case (1x16x6x6, 1x1 to 16 channels) whose weights are 1e5 times
 * the usual, so its outputs (~1e5) exceed half's range: in F16 check_run
 * must fail it as an overflow (tests/test_ops.c). */
void check_conv2d_overflow_case(check_case *c, clbb_dtype dtype);
/* The inputs of a conv-like case (fresh random data): x of the case's
 * input shape in [-1, 1], then a residual of d->out's shape when the case
 * has one, then with gate an N x C x 1 x 1 gate in [0, 1]. */
clbb_status check_conv_inputs(const check_case *c, uint64_t *rng, check_data *d, int gate);
/* Op options of a case. */
void check_op_options(const check_case *c, clbb_op_options *o);

/* The ops, in order (ops.c). */
size_t check_num_ops(void);
const check_op *check_op_at(size_t i);
const check_op *check_op_named(const char *name);

/* The case table of an op for a dtype; *cases is malloc'ed. 0 (and NULL)
 * when the table could not be built whole (out of host memory): every op
 * has cases, so callers count 0 as a failure. */
size_t check_cases(const check_op *op, int quick, clbb_dtype dtype, check_case **cases);
/* Work of a case (see check_op.work). */
double check_case_work(const check_case *c);

typedef struct check_result {
    int ran;            /* 0: skipped (not supported by the device or the op) */
    int pass;
    double rel_l2;      /* ||y - ref|| / ||ref|| */
    double max_abs;
    double worst_ratio; /* max |y - ref| / (atol + rtol |ref|): > 1 fails */
    size_t worst_index; /* the element of worst_ratio (NCHW index into out) */
    clbb_shape out;     /* the output's shape (once ran) */
    size_t over_bound;  /* elements beyond the per-element bound */
    check_tolerance tol;
    size_t nonfinite;   /* NaN/Inf in the output */
    size_t overflow;    /* F16: reference elements beyond CHECK_HALF_MAX (their own
                           failure kind: the value does not exist in half) */
    double max_ref;     /* max |reference| */
    size_t unwritten;   /* output elements still holding the poison */
    size_t guard_damage;/* guard / neighbour / input elements changed */
    double median_ms;   /* bench only: the op, profiling events */
    double ref_ms;      /* the reference, host clock */
    double flops, bytes;
    char algorithm[96];
    char message[512];
} check_result;

/* Runs one case: seeded random inputs (rounded to the dtype), guard bands,
 * poisoned outputs, then NaN/Inf, unwritten and guard checks and the error
 * bounds against the reference. With bench_iters > 0 also times the op
 * (median of profiling events; the context needs profiling). Returns a
 * status for harness failures (device errors); a wrong result is
 * result->pass == 0. */
clbb_status check_run(clbb_context *ctx, const check_case *c, uint64_t seed, int bench_iters,
                      check_result *result);

/* check_run with `warmup` untimed runs before the bench_iters timed ones
 * (check_run: 3). */
clbb_status check_run_timed(clbb_context *ctx, const check_case *c, uint64_t seed, int bench_iters,
                            int warmup, check_result *result);

/* Seed from CLBB_SEED, else from the clock. */
uint64_t check_seed(void);

/* Block and whole-backbone conformance (check_models.c). */
typedef struct check_model_case {
    char name[64];
    const char *json; /* config */
    clbb_shape input;
    int quick;
    double input_scale; /* input uniform in +-input_scale (0: 1) */
} check_model_case;

size_t check_block_cases(const check_model_case **cases);
size_t check_backbone_cases(const check_model_case **cases);

typedef struct check_model_result {
    int pass;
    clbb_precision_info prec; /* what the model's precision ran as */
    double worst_rel_l2, worst_ratio;
    double max_abs;          /* max |y - ref| over every output */
    int worst_output;        /* the output and element of worst_ratio */
    size_t worst_index;
    double forward_ms;       /* timed runs only: median forward, host clock */
    check_tolerance tol;
    int num_outputs;
    /* fp16: the first layer (graph order) whose reference exceeds half's
     * range, and the first whose device output holds NaN/inf (-1: none) */
    int overflow_layer, nonfinite_layer;
    double overflow_max;
    char message[512];
} check_model_result;

/* Builds the model from its config at a precision, random parameters from
 * seed, runs device and reference on seeded random input, compares every
 * output. */
clbb_status check_model_case_run(clbb_context *ctx, const check_model_case *c,
                                 clbb_precision precision, uint64_t seed,
                                 check_model_result *r);

/* check_model_case_run, then (timing_runs > 0) the median of that many
 * more forwards (host clock, to the queue's end) in r->forward_ms. */
clbb_status check_model_case_run_timed(clbb_context *ctx, const check_model_case *c,
                                       clbb_precision precision, uint64_t seed, int timing_runs,
                                       check_model_result *r);

/* The model tolerance per precision (see check_models.c). */
check_tolerance check_model_tolerance(clbb_precision precision);

#endif
