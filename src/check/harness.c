/* The generic conformance runner: any op's case against its reference, in
 * guarded device buffers (poisoned outputs, NaN sentinels in unused input
 * channels, guard bands around every buffer), with both error bounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define GUARD 256 /* elements of guard band on each side of a device tensor */

/* Output poison and input sentinels, NaNs in each dtype: a kernel that
 * leaves an output unwritten shows the poison, one that reads an input it
 * should not (a neighbour channel of a view) spreads the sentinel. */
static const uint32_t POISON[CLBB_DTYPE_COUNT] = {0x7fc0beefu, 0x7ebeu};
static const uint32_t SENTINEL[CLBB_DTYPE_COUNT] = {0x7fc0deadu, 0x7eadu};

uint64_t check_seed(void) {
    const char *env = getenv("CLBB_SEED");
    if (env && env[0]) return strtoull(env, NULL, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec;
}

float *check_rand(size_t n, uint64_t *rng, float lo, float hi) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (p) clbb__fill_uniform(p, n, rng, lo, hi);
    return p;
}

clbb_status check_conv_params(uint64_t *rng, size_t fan_in, int cout, int bias, int scale,
                              float **param) {
    const float a = (float)(1.7 / sqrt((double)fan_in));
    if (!(param[0] = check_rand(fan_in * cout, rng, -a, a))) return CLBB_ERR_OUT_OF_MEMORY;
    if (bias && !(param[1] = check_rand(cout, rng, -0.5f, 0.5f))) return CLBB_ERR_OUT_OF_MEMORY;
    if (scale && (!(param[2] = check_rand(cout, rng, 0.5f, 1.5f)) ||
                  !(param[3] = check_rand(cout, rng, -0.5f, 0.5f))))
        return CLBB_ERR_OUT_OF_MEMORY;
    return CLBB_OK;
}

clbb_status check_conv_stored_params(clbb_dtype dtype, int O, size_t per_out, const float *w,
                                     const float *bias, const float *scale, const float *shift,
                                     float **wq, float **bq) {
    *wq = *bq = NULL;
    if (dtype != CLBB_DTYPE_F16) return CLBB_OK;
    const size_t n = per_out * (size_t)O;
    float *q = malloc((n ? n : 1) * sizeof *q);
    float *b = malloc((size_t)(O ? O : 1) * sizeof *b);
    if (!q || !b) {
        free(q);
        free(b);
        return CLBB_ERR_OUT_OF_MEMORY;
    }
    /* the same arithmetic as clbb__conv_fold: scale times weight in float,
     * the shift in double rounded once */
    for (int o = 0; o < O; o++) {
        const double sc = scale ? scale[o] : 1.0;
        b[o] = (float)(sc * (bias ? bias[o] : 0.0) + (shift ? shift[o] : 0.0));
        const float scf = (float)sc;
        for (size_t k = 0; k < per_out; k++) q[(size_t)o * per_out + k] = scf * w[(size_t)o * per_out + k];
    }
    clbb_ref_quantize(CLBB_DTYPE_F16, q, n);
    *wq = q;
    *bq = b;
    return CLBB_OK;
}

check_case *check_push(case_list *l, const check_op *op, clbb_dtype dtype) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        check_case *p = realloc(l->v, cap * sizeof *p);
        if (!p) {
            l->oom = 1;
            return NULL;
        }
        l->v = p;
        l->cap = cap;
    }
    check_case *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    c->op = op;
    c->dtype = dtype;
    c->precision = dtype == CLBB_DTYPE_F16 ? CLBB_PRECISION_FP16 : CLBB_PRECISION_FP32;
    return c;
}

check_tolerance check_op_tolerance(const check_op *op, clbb_precision p) {
    if (!op->math && p != CLBB_PRECISION_FP16) p = CLBB_PRECISION_FP32;
    return op->tol[p];
}

clbb_math check_case_math(const check_case *c) {
    switch (c->precision) {
    case CLBB_PRECISION_TF32X3: return CLBB_MATH_TF32X3;
    case CLBB_PRECISION_TF32: return CLBB_MATH_TF32;
    case CLBB_PRECISION_FP16: return CLBB_MATH_FP16;
    default: return CLBB_MATH_FP32;
    }
}

clbb_math check_ran_math(const char *algorithm) {
    /* tf32x3 before tf32: "_tf32" is a prefix of "_tf32x3" */
    static const clbb_math order[] = {CLBB_MATH_TF32X3, CLBB_MATH_TF32, CLBB_MATH_FP16};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(order); i++) {
        char w[16];
        snprintf(w, sizeof w, "_%s", clbb_math_name(order[i]));
        for (const char *p = strstr(algorithm, w); p; p = strstr(p + 1, w)) {
            const char next = p[strlen(w)];
            if (!(next >= 'a' && next <= 'z') && !(next >= '0' && next <= '9'))
                return order[i];
        }
    }
    return CLBB_MATH_FP32;
}

clbb_status check_conv_inputs(const check_case *c, uint64_t *rng, check_data *d, int gate) {
    d->shape[0] = c->in;
    d->num_inputs = 1;
    if (!(d->in[0] = check_rand(clbb_shape_numel(c->in), rng, -1, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    if (c->residual) {
        d->shape[d->num_inputs] = d->out;
        if (!(d->in[d->num_inputs++] = check_rand(clbb_shape_numel(d->out), rng, -1, 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    }
    if (gate) {
        /* gates are sigmoid-like: in [0, 1] */
        d->shape[d->num_inputs] = (clbb_shape){c->in.n, c->in.c, 1, 1};
        if (!(d->in[d->num_inputs++] = check_rand((size_t)c->in.n * c->in.c, rng, 0, 1)))
            return CLBB_ERR_OUT_OF_MEMORY;
    }
    return CLBB_OK;
}

clbb_status check_out_same_shape(const check_case *c, clbb_shape *o, char *msg, size_t ms) {
    (void)msg;
    (void)ms;
    *o = c->in;
    return CLBB_OK;
}

void check_op_options(const check_case *c, clbb_op_options *o) {
    clbb_op_options_init(o);
    o->dtype = c->dtype;
    o->family = c->family;
    o->math = check_case_math(c); /* read by the ops with tensor-core kernels */
}

size_t check_cases(const check_op *op, int quick, clbb_dtype dtype, check_case **cases) {
    case_list l = {0};
    op->cases(&l, quick, dtype);
    if (l.oom) {
        free(l.v);
        *cases = NULL;
        return 0;
    }
    *cases = l.v;
    return l.n;
}

double check_case_work(const check_case *c) {
    return c->op->work ? c->op->work(c) : (double)clbb_shape_numel(c->in);
}

/* A device tensor inside a guarded buffer: a channel view of a wider
 * parent, or a permuted view of a dense one, or the whole thing. */
typedef struct gtensor {
    clbb_dtype dtype;
    clbb_shape shape, parent;
    int c0;
    size_t total, esz; /* elements in the buffer, bytes per element */
    cl_mem mem;
    clbb_tensor *whole, *view;
    unsigned char *host;  /* host image of the whole buffer */
    unsigned char *orig;  /* inputs: the image uploaded, to find writes */
} gtensor;

static size_t gidx(const gtensor *g, int n, int c, size_t p) {
    size_t hw = (size_t)g->parent.h * g->parent.w;
    return GUARD + ((size_t)n * g->parent.c + g->c0 + c) * hw + p;
}

static void gfree(gtensor *g) {
    clbb_tensor_destroy(g->view);
    clbb_tensor_destroy(g->whole);
    if (g->mem) clReleaseMemObject(g->mem);
    free(g->host);
    free(g->orig);
    memset(g, 0, sizeof *g);
}

static void put_bits(gtensor *g, size_t i, uint32_t bits) {
    if (g->esz == 4) memcpy(g->host + 4 * i, &bits, 4);
    else {
        uint16_t h = (uint16_t)bits;
        memcpy(g->host + 2 * i, &h, 2);
    }
}

static uint32_t get_bits(const unsigned char *img, size_t esz, size_t i) {
    if (esz == 4) {
        uint32_t b;
        memcpy(&b, img + 4 * i, 4);
        return b;
    }
    uint16_t h;
    memcpy(&h, img + 2 * i, 2);
    return h;
}

static float get_value(const gtensor *g, size_t i) {
    uint32_t b = get_bits(g->host, g->esz, i);
    if (g->esz == 2) return clbb__half_to_float((uint16_t)b);
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static void put_value(gtensor *g, size_t i, float v) {
    if (g->esz == 2) put_bits(g, i, clbb__float_to_half(v));
    else memcpy(g->host + 4 * i, &v, 4);
}

/* Creates the buffer: extra_lo/hi channels around the tensor's when views;
 * dense = values to place in it (NULL: all fill). */
static clbb_status galloc(clbb_context *ctx, gtensor *g, clbb_dtype dtype, clbb_shape s,
                          int views, int extra_lo, int extra_hi, const float *dense,
                          uint32_t fill) {
    memset(g, 0, sizeof *g);
    g->dtype = dtype;
    g->esz = clbb_dtype_size(dtype);
    g->shape = s;
    g->parent = s;
    if (views) {
        g->c0 = extra_lo;
        g->parent.c = s.c + extra_lo + extra_hi;
    }
    g->total = clbb_shape_numel(g->parent) + 2 * GUARD;
    g->host = malloc(g->total * g->esz);
    if (!g->host) return CLBB_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < g->total; i++) put_bits(g, i, fill);
    size_t hw = (size_t)s.h * s.w;
    if (dense)
        for (int n = 0; n < s.n; n++)
            for (int c = 0; c < s.c; c++)
                for (size_t p = 0; p < hw; p++)
                    put_value(g, gidx(g, n, c, p), dense[((size_t)n * s.c + c) * hw + p]);
    if (dense && !(g->orig = malloc(g->total * g->esz))) return CLBB_ERR_OUT_OF_MEMORY;
    if (g->orig) memcpy(g->orig, g->host, g->total * g->esz);
    cl_int err;
    g->mem = clCreateBuffer(clbb_context_cl_context(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                            g->total * g->esz, g->host, &err);
    if (!g->mem) return clbb__cl_fail(ctx, err, "check: clCreateBuffer");
    CLBB_CHECK(clbb_tensor_wrap(ctx, g->mem, GUARD, g->parent, dtype, 0, &g->whole));
    return clbb_tensor_view_channels(ctx, g->whole, g->c0, s.c, &g->view);
}

static clbb_status gread(clbb_context *ctx, gtensor *g) {
    cl_int err = clEnqueueReadBuffer(clbb_context_cl_queue(ctx), g->mem, CL_TRUE, 0,
                                     g->total * g->esz, g->host, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "check: clEnqueueReadBuffer");
    return CLBB_OK;
}

double check_rel_l2(const float *y, const float *ref, size_t n, double rms_floor,
                             double *max_abs) {
    const double rel = clbb__rel_l2(y, ref, n, max_abs), floor2 = rms_floor * rms_floor * (double)n;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        const double e = (double)y[i] - ref[i];
        num += e * e;
        den += (double)ref[i] * ref[i];
    }
    return den >= floor2 || !isfinite(*max_abs) ? rel : sqrt(num / floor2);
}

/* Compares the output buffer with the reference; counts damage outside. */
static void evaluate(const gtensor *g, check_data *d, const check_tolerance *tol,
                     double rms_floor, uint32_t fill, check_result *r) {
    const clbb_shape o = d->out;
    const size_t hw = (size_t)o.h * o.w, ny = clbb_shape_numel(o);
    const uint32_t poison = POISON[g->dtype];
    char *inside = calloc(g->total, 1);
    float *y = malloc(ny * sizeof *y);
    if (!inside || !y) {
        free(inside);
        free(y);
        snprintf(r->message, sizeof r->message, "check: out of host memory");
        return;
    }
    for (int n = 0; n < o.n; n++)
        for (int c = 0; c < o.c; c++)
            for (size_t p = 0; p < hw; p++) {
                size_t i = gidx(g, n, c, p), k = ((size_t)n * o.c + c) * hw + p;
                float v = get_value(g, i);
                if (get_bits(g->host, g->esz, i) == poison) r->unwritten++;
                else if (!isfinite(v)) r->nonfinite++;
                y[k] = v;
                inside[i] = 1;
                double e = fabs((double)v - d->ref[k]);
                /* exact ops have a zero bound: 0/0 is a pass */
                double ratio = e == 0 ? 0 : e / (tol->atol + tol->rtol * fabs((double)d->ref[k]));
                if (!(ratio <= 1)) r->over_bound++;
                if (!(ratio <= r->worst_ratio)) {
                    r->worst_ratio = isnan(ratio) ? INFINITY : ratio;
                    r->worst_index = k;
                }
            }
    for (size_t i = 0; i < g->total; i++)
        if (!inside[i] && get_bits(g->host, g->esz, i) != fill) r->guard_damage++;
    r->rel_l2 = check_rel_l2(y, d->ref, ny, rms_floor, &r->max_abs);
    /* a reference beyond half's range cannot be stored: the device's inf
     * (or clipped value) is the dtype's limit, not a kernel error, and is
     * reported as such */
    for (size_t k = 0; k < ny; k++) {
        const double a = fabs((double)d->ref[k]);
        if (a > r->max_ref) r->max_ref = a;
        if (g->dtype == CLBB_DTYPE_F16 && a > CHECK_HALF_MAX) r->overflow++;
    }
    free(inside);
    free(y);
}

/* Inputs must come back as they went in (but where the op runs in place). */
static size_t input_damage(clbb_context *ctx, gtensor *g) {
    if (!g->mem || !g->orig || gread(ctx, g) != CLBB_OK) return 0;
    size_t bad = 0;
    for (size_t i = 0; i < g->total; i++)
        bad += get_bits(g->host, g->esz, i) != get_bits(g->orig, g->esz, i);
    return bad;
}

static clbb_status bench(clbb_context *ctx, clbb_op *op, int iters, int warmup, check_result *r) {
    double *t = malloc((size_t)iters * sizeof *t);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    clbb_status st = CLBB_OK;
    for (int i = 0; i < warmup && st == CLBB_OK; i++) st = clbb_op_run(op);
    if (st == CLBB_OK) st = clbb_context_finish(ctx);
    for (int i = 0; i < iters && st == CLBB_OK; i++) {
        st = clbb__profile_begin(ctx);
        if (st == CLBB_OK) st = clbb_op_run(op);
        double ms = 0;
        clbb_status st2 = clbb__profile_end(ctx, &ms, 1);
        if (st == CLBB_OK) st = st2;
        t[i] = ms;
    }
    if (st == CLBB_OK) r->median_ms = clbb__median(t, (size_t)iters);
    free(t);
    return st;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static void data_free(check_data *d) {
    for (int k = 0; k < CHECK_MAX_INPUTS; k++) free(d->in[k]);
    for (int k = 0; k < CHECK_MAX_PARAMS; k++) free(d->param[k]);
    free(d->ref);
}

clbb_status check_run(clbb_context *ctx, const check_case *c, uint64_t seed, int bench_iters,
                      check_result *r) {
    return check_run_timed(ctx, c, seed, bench_iters, 3, r);
}

clbb_status check_run_timed(clbb_context *ctx, const check_case *c, uint64_t seed, int bench_iters,
                            int warmup, check_result *r) {
    memset(r, 0, sizeof *r);
    const check_op *op_desc = c->op;
    r->tol = check_op_tolerance(op_desc, c->precision);
    check_data d;
    memset(&d, 0, sizeof d);
    gtensor gin[CHECK_MAX_INPUTS], gy;
    memset(gin, 0, sizeof gin);
    memset(&gy, 0, sizeof gy);
    clbb_tensor *pviews[CHECK_MAX_INPUTS] = {0};
    clbb_op *op = NULL;
    clbb_status st = op_desc->out_shape(c, &d.out, r->message, sizeof r->message);
    if (st != CLBB_OK) return st;
    uint64_t rng = seed;
    st = op_desc->make_data(c, &rng, &d);
    if (st == CLBB_OK && !(d.ref = malloc(clbb_shape_numel(d.out) * sizeof(float))))
        st = CLBB_ERR_OUT_OF_MEMORY;
    if (st != CLBB_OK) goto fail;
    /* the device stores inputs in the case dtype: the reference sees the
     * same rounded values */
    for (int k = 0; k < d.num_inputs; k++)
        clbb_ref_quantize(c->dtype, d.in[k], clbb_shape_numel(d.shape[k]));
    st = op_desc->create(ctx, c, &d, &op);
    if (st == CLBB_ERR_UNSUPPORTED) {
        snprintf(r->message, sizeof r->message, "skipped: %s", clbb_last_error(ctx));
        st = CLBB_OK;
        goto done;
    }
    if (st != CLBB_OK) goto fail;
    const clbb_tensor *ins[CHECK_MAX_INPUTS];
    for (int k = 0; k < d.num_inputs; k++) {
        const int view = (c->views && k == 0) || d.viewed[k];
        if ((st = galloc(ctx, &gin[k], c->dtype, d.shape[k], view, 1, 2, d.in[k],
                         SENTINEL[c->dtype])) != CLBB_OK)
            goto fail;
        ins[k] = gin[k].view;
        if (d.permuted[k]) {
            if ((st = clbb_tensor_view_permute(ctx, gin[k].view, d.perm, &pviews[k])) != CLBB_OK)
                goto fail;
            ins[k] = pviews[k];
        }
    }
    if ((st = clbb_op_reshape(op, clbb_tensor_shape(ins[0]), NULL)) != CLBB_OK) goto fail;
    clbb_op_info info;
    clbb_op_get_info(op, &info);
    clbb__strlcpy(r->algorithm, info.algorithm, sizeof r->algorithm);
    /* an op that fell back to strict products (no matrix units, or an
     * algorithm without a tensor-core variant) is held to the bound of
     * what it ran: a fallback must be as accurate as fp32 */
    if (op_desc->math && check_ran_math(info.algorithm) == CLBB_MATH_FP32 &&
        (c->precision == CLBB_PRECISION_TF32 || c->precision == CLBB_PRECISION_TF32X3))
        r->tol = check_op_tolerance(op_desc, CLBB_PRECISION_FP32);
    r->flops = info.flops;
    r->bytes = info.bytes;
    /* in place: the output is that input's view, read back from its buffer
     * (whose neighbours and guards hold the sentinel) */
    const int ip = c->inplace - 1;
    gtensor *gout = ip >= 0 ? &gin[ip] : &gy;
    if (ip < 0 &&
        (st = galloc(ctx, &gy, c->dtype, d.out, c->views, 2, 3, NULL, POISON[c->dtype])) != CLBB_OK)
        goto fail;
    if ((st = clbb_op_setup(op, ins, (size_t)d.num_inputs, ip >= 0 ? ins[ip] : gy.view)) != CLBB_OK)
        goto fail;
    if ((st = clbb_op_run(op)) != CLBB_OK) goto fail;
    if ((st = gread(ctx, gout)) != CLBB_OK) goto fail;
    double t0 = now_ms();
    op_desc->reference(c, &d);
    r->ref_ms = now_ms() - t0;
    r->ran = 1;
    r->out = d.out;
    evaluate(gout, &d, &r->tol, c->op->rms_floor, ip >= 0 ? SENTINEL[c->dtype] : POISON[c->dtype], r);
    for (int k = 0; k < d.num_inputs; k++)
        if (k != ip) r->guard_damage += input_damage(ctx, &gin[k]);
    const int variant_ok = !c->expect[0] || strstr(r->algorithm, c->expect);
    r->pass = r->unwritten == 0 && r->nonfinite == 0 && r->guard_damage == 0 && r->overflow == 0 &&
              r->over_bound == 0 && r->rel_l2 <= r->tol.rel_l2 && variant_ok;
    if (r->overflow)
        snprintf(r->message, sizeof r->message,
                 "overflow in the output: max |ref| %.3g > %.0f (%zu elements beyond half's "
                 "range; %zu non-finite on the device)",
                 r->max_ref, CHECK_HALF_MAX, r->overflow, r->nonfinite);
    else if (!r->pass)
        snprintf(r->message, sizeof r->message,
                 "rel_l2 %.3g (tol %.1g), max_abs %.3g, %zu elements over %.1g + %.1g|ref| "
                 "(worst %.3gx), unwritten %zu, nonfinite %zu, guard/neighbour/input damage "
                 "%zu%s%s",
                 r->rel_l2, r->tol.rel_l2, r->max_abs, r->over_bound, r->tol.atol, r->tol.rtol,
                 r->worst_ratio, r->unwritten, r->nonfinite, r->guard_damage,
                 variant_ok ? "" : ", kernel variant is not ", variant_ok ? "" : c->expect);
    if (bench_iters > 0 && (st = bench(ctx, op, bench_iters, warmup, r)) != CLBB_OK) goto fail;
    goto done;
fail:
    snprintf(r->message, sizeof r->message, "%s: %s", clbb_status_string(st), clbb_last_error(ctx));
done:
    clbb_op_destroy(op);
    for (int k = 0; k < CHECK_MAX_INPUTS; k++) {
        clbb_tensor_destroy(pviews[k]);
        gfree(&gin[k]);
    }
    gfree(&gy);
    data_free(&d);
    return st;
}
