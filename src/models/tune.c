/* The tuner behind `clbb tune`: for every conv layer of a model at an input
 * shape, time each applicable algorithm and its family's candidate tuning
 * texts (from the algorithm descriptors) on the device, reject any whose
 * output differs from the direct kernel, and keep the fastest in the
 * context's tuning table under the layer's shape-class key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/conv2d_registry.h"
#include "model_internal.h"

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

static clbb_status random_tensor(clbb_model *m, clbb_shape sh, uint64_t seed, clbb_tensor **t) {
    size_t n = clbb_shape_numel(sh);
    float *h = malloc(n * sizeof *h);
    if (!h) return clbb__fail(m->ctx, CLBB_ERR_OUT_OF_MEMORY, "tune: out of host memory");
    clbb__fill_uniform(h, n, &seed, -1, 1);
    clbb_status st = clbb_tensor_create(m->ctx, sh, m->dtype, t);
    if (st == CLBB_OK) st = clbb_tensor_write_f32(m->ctx, *t, h, n);
    free(h);
    return st;
}

typedef struct candidate {
    clbb_conv_algo algo;
    clbb_kernel_family family;
    const char *tuning;
} candidate;

/* Creates, binds and runs one candidate; times it when ms != NULL. */
static clbb_status try_one(clbb_model *m, int node, const candidate *c, scratch *s, int iters,
                           float *out, double *ms, char *algo_name, size_t name_size) {
    clbb_context *ctx = m->ctx;
    clbb_op *op = NULL;
    double *t = NULL;
    clbb_status st = clbb__node_conv_create(m, node, c->algo, c->family, c->tuning, &op);
    if (st != CLBB_OK) goto done;
    if ((st = clbb_op_reshape(op, clbb_tensor_shape(s->x), NULL)) != CLBB_OK) goto done;
    const clbb_tensor *ins[3] = {s->x};
    size_t nin = 1;
    if (s->res) ins[nin++] = s->res;
    if (s->gate) ins[nin++] = s->gate;
    if ((st = clbb_op_setup(op, ins, nin, s->y)) != CLBB_OK) goto done;
    clbb_op_info info;
    clbb_op_get_info(op, &info);
    if (algo_name) clbb__strlcpy(algo_name, info.algorithm, name_size);
    if ((st = clbb_op_run(op)) != CLBB_OK) goto done;
    if ((st = clbb_tensor_read_f32(ctx, s->y, out, s->ny)) != CLBB_OK) goto done;
    if (!ms) goto done;
    if (!(t = malloc((size_t)iters * sizeof *t))) {
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
    if (st == CLBB_OK) *ms = clbb__median(t, (size_t)iters);
done:
    free(t);
    clbb_op_destroy(op);
    return st;
}

/* The candidates of a layer: every algorithm the registry has, in the
 * device's own kernel family where the algorithm has it (the other family
 * is correct but shaped for the other kind of device), each with its
 * family's tuning texts. */
static size_t layer_candidates(clbb_model *m, const graph_node *n, candidate *out, size_t cap) {
    size_t k = 0;
    clbb_device_info info;
    clbb_context_device_info(m->ctx, &info);
    for (int a = 1; a < CLBB_CONV_ALGO_COUNT; a++) {
        clbb_conv2d_options o;
        clbb_conv2d_options_init(&o);
        o.algo = (clbb_conv_algo)a;
        o.dtype = m->dtype;
        o.input_gate = n->in[NODE_GATE].value >= 0;
        if (clbb_conv2d_supports(m->ctx, &n->conv, &o, NULL) != CLBB_OK) continue;
        unsigned fams = clbb__conv_families(o.algo);
        clbb_kernel_family own = clbb__default_family(m->ctx);
        clbb_kernel_family f = (fams >> own) & 1u ? own
                               : (fams >> CLBB_KERNEL_FAMILY_GPU) & 1u ? CLBB_KERNEL_FAMILY_GPU
                                                                       : CLBB_KERNEL_FAMILY_CPU;
        for (const char *const *c = clbb__conv_candidates(o.algo, f); c && *c && k < cap; c++)
            out[k++] = (candidate){o.algo, f, *c};
    }
    return k;
}

/* Candidates timed over the whole tune, for progress reports. */
typedef struct tune_progress {
    uint64_t done, total;
} tune_progress;

static clbb_status tune_layer(clbb_model *m, int i, int iters, FILE *log, tune_progress *p) {
    clbb_context *ctx = m->ctx;
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    char key[192];
    clbb__conv_key(m, i, key, sizeof key);
    scratch s = {0};
    clbb_shape in = graph_tref_shape(g, n->in[NODE_IN]), out;
    char msg[256];
    clbb_status st = clbb_conv2d_output_shape(&n->conv, in, &out, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    st = random_tensor(m, in, 1, &s.x);
    if (st == CLBB_OK && n->in[NODE_RES].value >= 0 && n->norm.kind != NORM_GN)
        st = random_tensor(m, out, 2, &s.res);
    if (st == CLBB_OK && n->in[NODE_GATE].value >= 0)
        st = random_tensor(m, (clbb_shape){in.n, in.c, 1, 1}, 3, &s.gate);
    if (st == CLBB_OK) st = clbb_tensor_create(ctx, out, m->dtype, &s.y);
    s.ny = clbb_shape_numel(out);
    s.ref = malloc(s.ny * sizeof(float));
    s.out = malloc(s.ny * sizeof(float));
    if (st == CLBB_OK && (!s.ref || !s.out))
        st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tune: out of host memory");
    const candidate direct = {CLBB_CONV_ALGO_DIRECT, CLBB_KERNEL_FAMILY_AUTO, ""};
    if (st == CLBB_OK) st = try_one(m, i, &direct, &s, iters, s.ref, NULL, NULL, 0);
    candidate cands[96];
    const size_t nc = st == CLBB_OK ? layer_candidates(m, n, cands, CLBB_ARRAY_SIZE(cands)) : 0;
    /* every kernel stores in the layer's dtype: half storage rounds each
     * output to 2^-11 relative, the rest is fp32 accumulation order. TF32
     * and fp16 products round each operand to 2^-11 relative (about 4e-4
     * rms per product against the strict direct kernel), 3xTF32 stays at
     * fp32 level. */
    const double tol =
        m->dtype == CLBB_DTYPE_F16 || m->prec.math == CLBB_MATH_TF32 || m->prec.math == CLBB_MATH_FP16
            ? 2e-3
            : 1e-5;
    clbb_tuning_choice best;
    memset(&best, 0, sizeof best);
    best.ms = -1;
    char best_name[96] = "";
    double auto_ms = -1;
    const int verbose = log && getenv("CLBB_TUNE_VERBOSE");
    for (size_t c = 0; st == CLBB_OK && c < nc; c++) {
        double ms = 0;
        char name[96] = "";
        const candidate *cd = &cands[c];
        clbb_status cs = try_one(m, i, cd, &s, iters, s.out, &ms, name, sizeof name);
        clbb__progress(ctx, CLBB_PROGRESS_TUNE, ++p->done, p->total, n->name);
        /* a candidate that does not apply, does not build or does not run
         * (a tile beyond the device's resources) is skipped; running out of
         * host memory ends the tuning */
        if (cs != CLBB_OK && cs != CLBB_ERR_OUT_OF_MEMORY) {
            if (verbose)
                fprintf(log, "  skip %s %s %s: %s\n", clbb_conv_algo_name(cd->algo),
                        clbb_kernel_family_name(cd->family), cd->tuning, clbb_last_error(ctx));
            continue;
        }
        if (cs != CLBB_OK) {
            st = cs;
            break;
        }
        if (verbose)
            fprintf(log, "  %s %s %s: %s %.4f ms\n", clbb_conv_algo_name(cd->algo),
                    clbb_kernel_family_name(cd->family), cd->tuning, name, ms);
        double err = clbb__rel_l2(s.out, s.ref, s.ny, NULL);
        if (!(err <= tol)) {
            if (log) fprintf(log, "  %s: candidate %s rejected: rel_l2 %.3g vs direct\n", key, name, err);
            continue;
        }
        if (cd->algo == CLBB_CONV_ALGO_IMPLICIT_GEMM && !cd->tuning[0]) auto_ms = ms;
        if (best.ms < 0 || ms < best.ms) {
            best.ms = ms;
            clbb__strlcpy(best.algo, clbb_conv_algo_name(cd->algo), sizeof best.algo);
            clbb__strlcpy(best.family, clbb_kernel_family_name(cd->family), sizeof best.family);
            clbb__strlcpy(best.params, cd->tuning, sizeof best.params);
            clbb__strlcpy(best_name, name, sizeof best_name);
        }
    }
    if (st == CLBB_OK && best.ms >= 0) {
        st = clbb__tuning_put(ctx, key, &best);
        if (log) {
            fprintf(log, "%-40.40s %-72s -> %-32s %8.4f ms", n->name, key, best_name, best.ms);
            if (auto_ms > 0) fprintf(log, "  (igemm default %.4f ms)", auto_ms);
            fprintf(log, "\n");
        }
    }
    scratch_free(&s);
    return st;
}

clbb_status clbb_model_tune(clbb_model *m, clbb_shape input, int iters, const char *path, FILE *log) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = m->ctx;
    if (iters < 1) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "tune: iters = %d", iters);
    if (!clbb__context_profiling(ctx))
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "tune needs a context created with profiling on");
    CLBB_CHECK(clbb_model_plan(m, input));
    clbb_status st = CLBB_OK;
    const graph *g = &m->g;
    tune_progress p = {0, 0};
    /* pass 0 counts the candidates (only when someone watches), pass 1 tunes */
    for (int pass = clbb__progress_on(ctx) ? 0 : 1; pass < 2; pass++) {
        for (int i = 0; i < g->num_nodes && st == CLBB_OK; i++) {
            if (g->nodes[i].kind != NODE_CONV) continue;
            char key[192];
            clbb__conv_key(m, i, key, sizeof key);
            int seen = 0;
            for (int j = 0; j < i && !seen; j++)
                if (g->nodes[j].kind == NODE_CONV) {
                    char other[192];
                    clbb__conv_key(m, j, other, sizeof other);
                    seen = !strcmp(other, key);
                }
            if (seen) continue;
            if (pass == 0) {
                candidate cands[96];
                p.total += layer_candidates(m, &g->nodes[i], cands, CLBB_ARRAY_SIZE(cands));
            } else {
                st = tune_layer(m, i, iters, log, &p);
            }
        }
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
    return clbb__done(ctx, CLBB_OK);
}
