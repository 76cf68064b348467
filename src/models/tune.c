/* The tuner behind `clbb tune`: for every conv layer of a model at an input
 * shape, time each applicable algorithm and kernel-parameter candidate on
 * the device, reject any whose output differs from the direct kernel, and
 * keep the fastest in the context's per-device tuning table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

typedef struct candidate {
    clbb_conv_algo algo;
    const char *tuning;
} candidate;

static const candidate CANDIDATES[] = {
    {CLBB_CONV_ALGO_DIRECT, ""},
    {CLBB_CONV_ALGO_DEPTHWISE, ""},
    {CLBB_CONV_ALGO_DEPTHWISE, "OW_T=1"},
    {CLBB_CONV_ALGO_DEPTHWISE, "OW_T=2"},
    {CLBB_CONV_ALGO_DEPTHWISE, "OW_T=8"},
    {CLBB_CONV_ALGO_GEMM_CLBLAST, ""},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, ""},
    /* partial strings leave the rest (TN, split-K) to the shape policy */
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=128,WM=8"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=64,WM=4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=64,WM=8"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=32,WM=4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TK=8"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "KS=1"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "KS=2"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "KS=4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=128,TN=128,TK=16,WM=8,WN=8"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=128,TN=64,TK=16,WM=8,WN=4"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=64,TN=128,TK=16,WM=4,WN=8"},
    {CLBB_CONV_ALGO_IMPLICIT_GEMM, "TM=64,TN=64,TK=8,WM=8,WN=8"},
    {CLBB_CONV_ALGO_WINOGRAD, ""},
    {CLBB_CONV_ALGO_WINOGRAD, "TM=128,WM=8"},
    {CLBB_CONV_ALGO_WINOGRAD, "TM=64,WM=4"},
    {CLBB_CONV_ALGO_WINOGRAD, "TM=32,WM=4"},
    {CLBB_CONV_ALGO_WINOGRAD, "TM=128,TN=128,TK=16,WM=8,WN=8"},
};

typedef struct scratch {
    clbb_tensor *x, *res, *gate, *y;
    float *ref, *out;
    size_t ny;
} scratch;

static void scratch_free(scratch *s) {
    clbb_tensor_destroy(s->x);
    clbb_tensor_destroy(s->res);
    clbb_tensor_destroy(s->gate);
    clbb_tensor_destroy(s->y);
    free(s->ref);
    free(s->out);
    memset(s, 0, sizeof *s);
}

static double rel_l2(const float *y, const float *ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
    }
    return den > 0 ? sqrt(num / den) : (num > 0 ? INFINITY : 0);
}

static clbb_status random_tensor(clbb_context *ctx, clbb_shape sh, uint64_t seed, clbb_tensor **t) {
    size_t n = clbb_shape_numel(sh);
    float *h = malloc(n * sizeof *h);
    if (!h) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tune: out of host memory");
    for (size_t i = 0; i < n; i++) { /* splitmix64 to [-1, 1) */
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        h[i] = (float)((double)((z ^ (z >> 31)) >> 11) * (2.0 / 9007199254740992.0) - 1.0);
    }
    clbb_status st = clbb_tensor_create(ctx, sh, t);
    if (st == CLBB_OK) st = clbb_tensor_write(ctx, *t, h, n);
    free(h);
    return st;
}

/* Creates, binds and runs one candidate; times it when ms != NULL. */
static clbb_status try_one(clbb_model *m, int node, const candidate *c, scratch *s, int iters,
                           float *out, double *ms, char *algo_name, size_t name_size) {
    clbb_context *ctx = m->ctx;
    clbb_op *op = NULL;
    clbb_status st = clbb__node_conv_create(m, node, c->algo, c->tuning, &op);
    if (st != CLBB_OK) goto done;
    clbb_shape o;
    if ((st = clbb_op_reshape(op, clbb_tensor_shape(s->x), &o)) != CLBB_OK) goto done;
    const clbb_tensor *ins[3] = {s->x};
    size_t nin = 1;
    if (s->res) ins[nin++] = s->res;
    if (s->gate) ins[nin++] = s->gate;
    if ((st = clbb_op_setup(op, ins, nin, s->y)) != CLBB_OK) goto done;
    clbb_op_info info;
    clbb_op_get_info(op, &info);
    if (algo_name) clbb__strlcpy(algo_name, info.algorithm, name_size);
    if ((st = clbb_op_run(op)) != CLBB_OK) goto done;
    if ((st = clbb_tensor_read(ctx, s->y, out, s->ny)) != CLBB_OK) goto done;
    if (ms) {
        double *t = malloc((size_t)iters * sizeof *t);
        if (!t) {
            st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tune: out of host memory");
            goto done;
        }
        for (int i = 0; i < 2 && st == CLBB_OK; i++) st = clbb_op_run(op);
        for (int i = 0; i < iters && st == CLBB_OK; i++) {
            st = clbb__profile_begin(ctx);
            if (st == CLBB_OK) st = clbb_op_run(op);
            clbb_status st2 = clbb__profile_end(ctx, &t[i], 1);
            if (st == CLBB_OK) st = st2;
        }
        for (int i = 1; i < iters; i++) /* median */
            for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
                double tmp = t[j];
                t[j] = t[j - 1];
                t[j - 1] = tmp;
            }
        *ms = t[iters / 2];
        free(t);
    }
done:
    clbb_op_destroy(op);
    return st;
}

clbb_status clbb_model_tune(clbb_model *m, clbb_shape input, int iters, const char *path, FILE *log) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = m->ctx;
    if (iters < 1) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "tune: iters = %d", iters);
    if (!ctx->profiling)
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "tune needs a context created with profiling on");
    CLBB_CHECK(clbb_model_plan(m, input));
    const graph *g = &m->g;
    char done_keys[512][160];
    int num_done = 0;
    clbb_status st = CLBB_OK;
    for (int i = 0; i < g->num_nodes && st == CLBB_OK; i++) {
        const graph_node *n = &g->nodes[i];
        if (n->kind != NODE_CONV) continue;
        char key[160];
        clbb__conv_key(g, n, key, sizeof key);
        int seen = 0;
        for (int k = 0; k < num_done; k++) seen |= !strcmp(done_keys[k], key);
        if (seen) continue;
        if (num_done < 512) clbb__strlcpy(done_keys[num_done++], key, sizeof key);
        scratch s = {0};
        clbb_shape in = g->values[n->in.value].shape;
        in.c = graph_tref_channels(g, n->in);
        clbb_shape out;
        char msg[256];
        st = clbb_conv2d_output_shape(&n->conv, in, &out, msg, sizeof msg);
        if (st == CLBB_OK) st = random_tensor(ctx, in, 1, &s.x);
        if (st == CLBB_OK && n->residual.value >= 0 && n->norm.kind != NORM_GN)
            st = random_tensor(ctx, out, 2, &s.res);
        if (st == CLBB_OK && n->gate.value >= 0)
            st = random_tensor(ctx, (clbb_shape){in.n, in.c, 1, 1}, 3, &s.gate);
        if (st == CLBB_OK) st = clbb_tensor_create(ctx, out, &s.y);
        s.ny = clbb_shape_numel(out);
        s.ref = malloc(s.ny * sizeof(float));
        s.out = malloc(s.ny * sizeof(float));
        if (st == CLBB_OK && (!s.ref || !s.out)) st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tune: out of host memory");
        if (st == CLBB_OK) st = try_one(m, i, &CANDIDATES[0], &s, iters, s.ref, NULL, NULL, 0);
        clbb_tuning_entry best;
        memset(&best, 0, sizeof best);
        best.ms = -1;
        char best_name[96] = "";
        double auto_ms = -1;
        for (size_t c = 0; st == CLBB_OK && c < CLBB_ARRAY_SIZE(CANDIDATES); c++) {
            double ms;
            char name[96];
            clbb_status cs = try_one(m, i, &CANDIDATES[c], &s, iters, s.out, &ms, name, sizeof name);
            if (cs == CLBB_ERR_UNSUPPORTED || cs == CLBB_ERR_INVALID_ARGUMENT) {
                if (log && getenv("CLBB_TUNE_VERBOSE"))
                    fprintf(log, "  skip %s %s: %s\n", clbb_conv_algo_name(CANDIDATES[c].algo),
                            CANDIDATES[c].tuning, clbb_last_error(ctx));
                continue;
            }
            if (log && getenv("CLBB_TUNE_VERBOSE"))
                fprintf(log, "  %s %s: %s %.4f ms\n", clbb_conv_algo_name(CANDIDATES[c].algo),
                        CANDIDATES[c].tuning, name, ms);
            if (cs != CLBB_OK) {
                st = cs;
                break;
            }
            double err = rel_l2(s.out, s.ref, s.ny);
            if (!(err <= 1e-5)) {
                if (log) fprintf(log, "  %s: candidate %s rejected: rel_l2 %.3g vs direct\n", key, name, err);
                continue;
            }
            if (CANDIDATES[c].algo == CLBB_CONV_ALGO_IMPLICIT_GEMM && !CANDIDATES[c].tuning[0]) auto_ms = ms;
            if (best.ms < 0 || ms < best.ms) {
                best.ms = ms;
                best.algo = CANDIDATES[c].algo;
                clbb__strlcpy(best.tuning, CANDIDATES[c].tuning, sizeof best.tuning);
                clbb__strlcpy(best_name, name, sizeof best_name);
            }
        }
        if (st == CLBB_OK && best.ms >= 0) {
            clbb__strlcpy(best.key, key, sizeof best.key);
            st = clbb__tuning_put(ctx, &best);
            if (log) {
                fprintf(log, "%-40.40s %-60s -> %-32s %8.4f ms", n->name, key, best_name, best.ms);
                if (auto_ms > 0) fprintf(log, "  (igemm default %.4f ms)", auto_ms);
                fprintf(log, "\n");
            }
        }
        scratch_free(&s);
    }
    if (st != CLBB_OK) return st;
    char def[1200];
    if (!path) {
        clbb__tuning_default_path(ctx, def, sizeof def);
        if (!def[0]) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "tune: no path and no cache directory");
        path = def;
    }
    CLBB_CHECK(clbb__tuning_save(ctx, path));
    clbb__plan_free(m); /* the next forward plans with the tuned kernels */
    return CLBB_OK;
}
