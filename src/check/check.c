/* Conformance runner: device op vs reference on one case. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/internal.h"

#define GUARD 256 /* floats of guard band on each side of a device tensor */
#define POISON_BITS 0x7fc0beefu
#define SENTINEL_IN_BITS 0x7fc0dead /* NaN in unused input channels: reading it shows */

static const char *const OP_NAMES[CLBB_CHECK_OP_COUNT] = {
    "conv2d", "batch_norm", "group_norm", "add", "mul", "max_pool2d", "avg_pool2d",
    "global_avg_pool"};

const char *clbb_check_op_name(clbb_check_op op) {
    return (int)op >= 0 && op < CLBB_CHECK_OP_COUNT ? OP_NAMES[op] : "?";
}

uint64_t clbb_check_seed(void) {
    const char *env = getenv("CLBB_SEED");
    if (env && env[0]) return strtoull(env, NULL, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void clbb_check_fill(float *x, size_t n, uint64_t *state, float lo, float hi) {
    for (size_t i = 0; i < n; i++) {
        double u = (double)(splitmix(state) >> 11) * (1.0 / 9007199254740992.0);
        x[i] = (float)(lo + (hi - lo) * u);
    }
}

double clbb_check_rel_l2(const float *y, const float *ref, size_t n, double *max_abs) {
    double num = 0, den = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
        if (fabs(d) > mx || isnan(d)) mx = isnan(d) ? INFINITY : fabs(d);
    }
    if (max_abs) *max_abs = mx;
    if (den == 0) return num == 0 ? 0 : INFINITY;
    return sqrt(num / den);
}

double clbb_check_case_work(const clbb_check_case *c) {
    clbb_shape o;
    if (c->op != CLBB_CHECK_CONV2D) return (double)clbb_shape_numel(c->in);
    if (clbb_conv2d_output_shape(&c->conv, c->in, &o, NULL, 0) != CLBB_OK) return 0;
    return (double)clbb_shape_numel(o) * (c->conv.in_channels / c->conv.groups) * c->conv.kernel_h *
           c->conv.kernel_w;
}

double clbb_check_tolerance(const clbb_check_case *c) {
    switch (c->op) {
    /* fp32 accumulation over K terms: measured worst ~8e-7 (direct, igemm,
     * winograd, CLBlast) on PoCL and an H200 */
    case CLBB_CHECK_CONV2D: return 1e-5;
    case CLBB_CHECK_GROUP_NORM: return 1e-5;
    /* BN runs folded, x * a + (b - m * a): when an output lands near zero
     * the cancellation costs a few ulps relative to it (seen: 1.9e-6 on a
     * one-element case under oclgrind) */
    case CLBB_CHECK_BATCH_NORM: return 1e-5;
    case CLBB_CHECK_GLOBAL_AVG_POOL: return 1e-6;
    case CLBB_CHECK_MAX_POOL2D: return 0;
    default: return 1e-6;
    }
}

/* A device tensor inside a guarded buffer, possibly a channel view of a
 * wider parent. */
typedef struct gtensor {
    clbb_shape shape, parent;
    int c0;
    size_t total; /* floats in the buffer */
    cl_mem mem;
    clbb_tensor *whole, *view;
    float *host;  /* host image of the whole buffer */
} gtensor;

static size_t gidx(const gtensor *g, int n, int c, size_t p) {
    size_t hw = (size_t)g->shape.h * g->shape.w;
    return GUARD + ((size_t)n * g->parent.c + g->c0 + c) * hw + p;
}

static void gfree(gtensor *g) {
    clbb_tensor_destroy(g->view);
    clbb_tensor_destroy(g->whole);
    if (g->mem) clReleaseMemObject(g->mem);
    free(g->host);
    memset(g, 0, sizeof *g);
}

static void fill_bits(float *p, size_t n, uint32_t bits) {
    for (size_t i = 0; i < n; i++) memcpy(&p[i], &bits, 4);
}

/* Creates the buffer; dense = values to place in the view (NULL: poison). */
static clbb_status galloc(clbb_context *ctx, gtensor *g, clbb_shape s, int views, int extra_lo,
                          int extra_hi, const float *dense, uint32_t fill) {
    memset(g, 0, sizeof *g);
    g->shape = s;
    g->parent = s;
    if (views) {
        g->c0 = extra_lo;
        g->parent.c = s.c + extra_lo + extra_hi;
    }
    g->total = clbb_shape_numel(g->parent) + 2 * GUARD;
    g->host = malloc(g->total * sizeof(float));
    if (!g->host) return CLBB_ERR_OUT_OF_MEMORY;
    fill_bits(g->host, g->total, fill);
    size_t hw = (size_t)s.h * s.w;
    if (dense)
        for (int n = 0; n < s.n; n++)
            for (int c = 0; c < s.c; c++)
                memcpy(&g->host[gidx(g, n, c, 0)], &dense[((size_t)n * s.c + c) * hw],
                       hw * sizeof(float));
    cl_int err;
    g->mem = clCreateBuffer(clbb_context_cl_context(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                            g->total * sizeof(float), g->host, &err);
    if (!g->mem) return clbb__cl_fail(ctx, err, "check: clCreateBuffer");
    CLBB_CHECK(clbb_tensor_wrap(ctx, g->mem, GUARD, g->parent, 0, &g->whole));
    return clbb_tensor_view_channels(ctx, g->whole, g->c0, s.c, &g->view);
}

static clbb_status gread(clbb_context *ctx, gtensor *g) {
    cl_int err = clEnqueueReadBuffer(clbb_context_cl_queue(ctx), g->mem, CL_TRUE, 0,
                                     g->total * sizeof(float), g->host, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "check: clEnqueueReadBuffer");
    return CLBB_OK;
}

/* Re-poisons the output buffer between runs. */
static clbb_status gpoison(clbb_context *ctx, gtensor *g) {
    fill_bits(g->host, g->total, POISON_BITS);
    cl_int err = clEnqueueWriteBuffer(clbb_context_cl_queue(ctx), g->mem, CL_TRUE, 0,
                                      g->total * sizeof(float), g->host, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clbb__cl_fail(ctx, err, "check: clEnqueueWriteBuffer");
    return CLBB_OK;
}

typedef struct case_data {
    float *x, *w, *bias, *scale, *shift, *res, *gate, *mean, *var, *y, *ref;
    size_t nx, ny;
} case_data;

static void case_data_free(case_data *d) {
    free(d->x); free(d->w); free(d->bias); free(d->scale); free(d->shift); free(d->res);
    free(d->gate); free(d->mean); free(d->var); free(d->y); free(d->ref);
}

static float *rand_array(size_t n, uint64_t *st, float lo, float hi) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (p) clbb_check_fill(p, n, st, lo, hi);
    return p;
}

static clbb_status out_shape_of(const clbb_check_case *c, clbb_shape *o, char *msg, size_t ms) {
    switch (c->op) {
    case CLBB_CHECK_CONV2D: return clbb_conv2d_output_shape(&c->conv, c->in, o, msg, ms);
    case CLBB_CHECK_MAX_POOL2D:
    case CLBB_CHECK_AVG_POOL2D: return clbb_pool2d_output_shape(&c->pool, c->in, o, msg, ms);
    case CLBB_CHECK_GLOBAL_AVG_POOL: *o = c->in; o->h = o->w = 1; return CLBB_OK;
    default: *o = c->in; return CLBB_OK;
    }
}

static clbb_status create_op(clbb_context *ctx, const clbb_check_case *c, case_data *d,
                             clbb_op **op) {
    int C = c->in.c;
    switch (c->op) {
    case CLBB_CHECK_CONV2D: {
        clbb_epilogue e = {d->scale, d->shift, c->residual, c->act};
        clbb_conv2d_options o;
        clbb_conv2d_options_init(&o);
        o.algo = c->algo;
        o.input_gate = c->gate;
        return clbb_conv2d_create(ctx, &c->conv, d->w, d->bias, &e, &o, op);
    }
    case CLBB_CHECK_BATCH_NORM:
        return clbb_batch_norm_create(ctx, C, d->mean, d->var, d->scale, d->shift, 1e-5f,
                                      c->residual, c->act, op);
    case CLBB_CHECK_GROUP_NORM:
        return clbb_group_norm_create(ctx, C, c->groups, d->scale, d->shift, 1e-5f, c->residual,
                                      c->act, op);
    case CLBB_CHECK_ADD: return clbb_add_create(ctx, c->act, op);
    case CLBB_CHECK_MUL: return clbb_mul_create(ctx, op);
    case CLBB_CHECK_MAX_POOL2D: return clbb_max_pool2d_create(ctx, &c->pool, op);
    case CLBB_CHECK_AVG_POOL2D: return clbb_avg_pool2d_create(ctx, &c->pool, op);
    case CLBB_CHECK_GLOBAL_AVG_POOL: return clbb_global_avg_pool_create(ctx, op);
    default: return CLBB_ERR_INVALID_ARGUMENT;
    }
}

static void reference(const clbb_check_case *c, case_data *d, clbb_shape o) {
    clbb_shape in = c->in;
    switch (c->op) {
    case CLBB_CHECK_CONV2D: {
        clbb_epilogue e = {d->scale, d->shift, c->residual, c->act};
        clbb_ref_conv2d(&c->conv, in, d->x, d->w, d->bias, &e, d->res, d->gate, d->ref);
        break;
    }
    case CLBB_CHECK_BATCH_NORM:
        clbb_ref_batch_norm(in, d->x, d->mean, d->var, d->scale, d->shift, 1e-5f, d->res, c->act,
                            d->ref);
        break;
    case CLBB_CHECK_GROUP_NORM:
        clbb_ref_group_norm(in, c->groups, d->x, d->scale, d->shift, 1e-5f, d->res, c->act, d->ref);
        break;
    case CLBB_CHECK_ADD: clbb_ref_add(in, d->x, d->res, c->act, d->ref); break;
    case CLBB_CHECK_MUL: clbb_ref_mul(in, d->x, d->gate, d->ref); break;
    case CLBB_CHECK_MAX_POOL2D: clbb_ref_max_pool2d(&c->pool, in, d->x, d->ref); break;
    case CLBB_CHECK_AVG_POOL2D: clbb_ref_avg_pool2d(&c->pool, in, d->x, d->ref); break;
    case CLBB_CHECK_GLOBAL_AVG_POOL: clbb_ref_global_avg_pool(in, d->x, d->ref); break;
    default: break;
    }
    (void)o;
}

static clbb_status make_data(const clbb_check_case *c, clbb_shape o, uint64_t seed, case_data *d) {
    uint64_t st = seed;
    int C = c->in.c;
    d->nx = clbb_shape_numel(c->in);
    d->ny = clbb_shape_numel(o);
    /* A plane mean of U(-1, 1) data is ~0: its relative error measures the
     * cancellation, not the kernel (a 1.4e-6 flake under oclgrind, with
     * 1.4e-9 absolute). Averages get data of mean 0.5, signs mixed. */
    const int mean_op = c->op == CLBB_CHECK_GLOBAL_AVG_POOL;
    d->x = rand_array(d->nx, &st, mean_op ? -0.5f : -1, mean_op ? 1.5f : 1);
    d->y = malloc(d->ny * sizeof(float));
    d->ref = malloc(d->ny * sizeof(float));
    if (!d->x || !d->y || !d->ref) return CLBB_ERR_OUT_OF_MEMORY;
    int need_res = c->residual || c->op == CLBB_CHECK_ADD;
    if (need_res && !(d->res = rand_array(d->ny, &st, -1, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    if (c->op == CLBB_CHECK_CONV2D) {
        const clbb_conv2d_desc *k = &c->conv;
        size_t fan_in = (size_t)(k->in_channels / k->groups) * k->kernel_h * k->kernel_w;
        float a = (float)(1.7 / sqrt((double)fan_in));
        d->w = rand_array(fan_in * k->out_channels, &st, -a, a);
        if (!d->w) return CLBB_ERR_OUT_OF_MEMORY;
        if (c->bias && !(d->bias = rand_array(k->out_channels, &st, -0.5f, 0.5f))) return CLBB_ERR_OUT_OF_MEMORY;
        if (c->scale && (!(d->scale = rand_array(k->out_channels, &st, 0.5f, 1.5f)) ||
                         !(d->shift = rand_array(k->out_channels, &st, -0.5f, 0.5f))))
            return CLBB_ERR_OUT_OF_MEMORY;
        if (c->gate && !(d->gate = rand_array((size_t)c->in.n * C, &st, 0, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    } else if (c->op == CLBB_CHECK_BATCH_NORM || c->op == CLBB_CHECK_GROUP_NORM) {
        d->scale = rand_array(C, &st, 0.5f, 1.5f);
        d->shift = rand_array(C, &st, -0.5f, 0.5f);
        if (!d->scale || !d->shift) return CLBB_ERR_OUT_OF_MEMORY;
        if (c->op == CLBB_CHECK_BATCH_NORM) {
            d->mean = rand_array(C, &st, -0.5f, 0.5f);
            d->var = rand_array(C, &st, 0.25f, 2.0f);
            if (!d->mean || !d->var) return CLBB_ERR_OUT_OF_MEMORY;
        }
    } else if (c->op == CLBB_CHECK_MUL) {
        if (!(d->gate = rand_array((size_t)c->in.n * C, &st, 0, 1))) return CLBB_ERR_OUT_OF_MEMORY;
    }
    return CLBB_OK;
}

/* Compares the output buffer with the reference; counts damage outside. */
static void evaluate(const gtensor *g, case_data *d, clbb_shape o, clbb_check_result *r) {
    size_t hw = (size_t)o.h * o.w;
    char *inside = calloc(g->total, 1);
    for (int n = 0; n < o.n; n++)
        for (int c = 0; c < o.c; c++)
            for (size_t p = 0; p < hw; p++) {
                size_t i = gidx(g, n, c, p);
                float v = g->host[i];
                uint32_t bits;
                memcpy(&bits, &v, 4);
                if (bits == POISON_BITS) r->unwritten++;
                else if (!isfinite(v)) r->nonfinite++;
                d->y[((size_t)n * o.c + c) * hw + p] = v;
                if (inside) inside[i] = 1;
            }
    for (size_t i = 0; inside && i < g->total; i++) {
        uint32_t bits;
        memcpy(&bits, &g->host[i], 4);
        if (!inside[i] && bits != POISON_BITS) r->guard_damage++;
    }
    free(inside);
    r->rel_l2 = clbb_check_rel_l2(d->y, d->ref, d->ny, &r->max_abs);
    r->pass = r->unwritten == 0 && r->nonfinite == 0 && r->guard_damage == 0 &&
              r->rel_l2 <= r->tolerance;
    if (!r->pass)
        snprintf(r->message, sizeof r->message,
                 "rel_l2 %.3g (tol %.1g), max_abs %.3g, unwritten %zu, nonfinite %zu, "
                 "guard/neighbour damage %zu",
                 r->rel_l2, r->tolerance, r->max_abs, r->unwritten, r->nonfinite, r->guard_damage);
}

static double median(double *v, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : 0;
}

static clbb_status bench(clbb_context *ctx, clbb_op *op, int iters, clbb_check_result *r) {
    double *t = malloc((size_t)iters * sizeof *t);
    if (!t) return CLBB_ERR_OUT_OF_MEMORY;
    clbb_status st = CLBB_OK;
    for (int i = 0; i < 3 && st == CLBB_OK; i++) st = clbb_op_run(op);
    if (st == CLBB_OK) st = clbb_context_finish(ctx);
    for (int i = 0; i < iters && st == CLBB_OK; i++) {
        st = clbb__profile_begin(ctx);
        if (st == CLBB_OK) st = clbb_op_run(op);
        double ms = 0;
        clbb_status st2 = clbb__profile_end(ctx, &ms, 1);
        if (st == CLBB_OK) st = st2;
        t[i] = ms;
    }
    if (st == CLBB_OK) r->median_ms = median(t, iters);
    free(t);
    return st;
}

clbb_status clbb_check_run(clbb_context *ctx, const clbb_check_case *c, uint64_t seed,
                           int bench_iters, clbb_check_result *r) {
    memset(r, 0, sizeof *r);
    r->tolerance = clbb_check_tolerance(c);
    clbb_shape o;
    clbb_status st = out_shape_of(c, &o, r->message, sizeof r->message);
    if (st != CLBB_OK) return st;
    case_data d = {0};
    gtensor gx = {0}, gy = {0}, gr = {0}, gg = {0};
    clbb_op *op = NULL;
    st = make_data(c, o, seed, &d);
    if (st == CLBB_OK) st = create_op(ctx, c, &d, &op);
    if (st == CLBB_ERR_UNSUPPORTED) {
        snprintf(r->message, sizeof r->message, "skipped: %s", clbb_last_error(ctx));
        st = CLBB_OK;
        goto done;
    }
    if (st != CLBB_OK) goto fail;
    clbb_shape got;
    if ((st = clbb_op_reshape(op, c->in, &got)) != CLBB_OK) goto fail;
    clbb_op_info info;
    clbb_op_get_info(op, &info);
    clbb__strlcpy(r->algorithm, info.algorithm, sizeof r->algorithm);
    r->flops = info.flops;
    r->bytes = info.bytes;
    if ((st = galloc(ctx, &gx, c->in, c->views, 1, 2, d.x, SENTINEL_IN_BITS)) != CLBB_OK) goto fail;
    if ((st = galloc(ctx, &gy, o, c->views, 2, 3, NULL, POISON_BITS)) != CLBB_OK) goto fail;
    const clbb_tensor *ins[4] = {gx.view};
    size_t nin = 1;
    if (d.res) {
        if ((st = galloc(ctx, &gr, o, 0, 0, 0, d.res, SENTINEL_IN_BITS)) != CLBB_OK) goto fail;
        ins[nin++] = gr.view;
    }
    if (d.gate) {
        clbb_shape gs = {c->in.n, c->in.c, 1, 1};
        if ((st = galloc(ctx, &gg, gs, 0, 0, 0, d.gate, SENTINEL_IN_BITS)) != CLBB_OK) goto fail;
        ins[nin++] = gg.view;
    }
    if ((st = clbb_op_setup(op, ins, nin, gy.view)) != CLBB_OK) goto fail;
    if ((st = clbb_op_run(op)) != CLBB_OK) goto fail;
    if ((st = gread(ctx, &gy)) != CLBB_OK) goto fail;
    reference(c, &d, o);
    r->ran = 1;
    evaluate(&gy, &d, o, r);
    if (bench_iters > 0) {
        if ((st = bench(ctx, op, bench_iters, r)) != CLBB_OK) goto fail;
        if ((st = gpoison(ctx, &gy)) != CLBB_OK) goto fail;
    }
    goto done;
fail:
    snprintf(r->message, sizeof r->message, "%s: %s", clbb_status_string(st), clbb_last_error(ctx));
done:
    clbb_op_destroy(op);
    gfree(&gx);
    gfree(&gy);
    gfree(&gr);
    gfree(&gg);
    case_data_free(&d);
    return st;
}
