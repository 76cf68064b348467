/* The tuner behind `clbb tune`: for every conv layer of a model at an input
 * shape, time each applicable algorithm and its family's candidate tuning
 * texts (from the algorithm descriptors) on the device, reject any whose
 * output differs from the direct kernel, and keep the fastest in the
 * context's tuning table under the layer's shape-class key. Deformable
 * conv layers the same way with deform_conv2d's candidates, checked
 * against its default kernel (there is no second algorithm; `clbb check`
 * holds that one to the C reference). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl/conv2d_registry.h"
#include "cl/deform_conv2d_registry.h"
#include "model_internal.h"

typedef struct scratch {
    clbb_tensor *x, *res, *gate, *off, *mask, *y;
    float *ref, *out;
    size_t ny;
} scratch;

static void scratch_free(scratch *s) {
    clbb_tensor_destroy(s->x);
    clbb_tensor_destroy(s->res);
    clbb_tensor_destroy(s->gate);
    clbb_tensor_destroy(s->off);
    clbb_tensor_destroy(s->mask);
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
    const int deform = m->g.nodes[node].kind == NODE_DEFORM_CONV;
    clbb_status st = deform ? clbb__node_deform_create(m, node, c->family, c->tuning, &op)
                            : clbb__node_conv_create(m, node, c->algo, c->family, c->tuning, &op);
    if (st != CLBB_OK) goto done;
    if ((st = clbb_op_reshape(op, clbb_tensor_shape(s->x), NULL)) != CLBB_OK) goto done;
    const clbb_tensor *ins[5] = {s->x};
    size_t nin = 1;
    if (s->off) ins[nin++] = s->off;
    if (s->mask) ins[nin++] = s->mask;
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

/* The candidates of a layer: every algorithm the registry has that
 * supports it, in the context's own kernel family (the device type, a
 * device profile or CLBB_CPU_KERNELS decides it) with that family's tuning
 * texts from the descriptor; an algorithm without that family is tried
 * once, with its defaults, in the family it has (correct, but shaped for
 * the other kind of device: on PoCL the GPU tiles run 3-15x slower, so
 * timing their whole list would only spend the budget). */
static size_t layer_candidates(clbb_model *m, const graph_node *n, candidate *out, size_t cap) {
    size_t k = 0;
    const clbb_kernel_family own = clbb__default_family(m->ctx);
    if (n->kind == NODE_DEFORM_CONV) {
        for (const char *const *c = clbb__deform_candidates(own); c && *c && k < cap; c++)
            out[k++] = (candidate){CLBB_CONV_ALGO_AUTO, own, *c};
        return k;
    }
    for (int a = 1; a < CLBB_CONV_ALGO_COUNT; a++) {
        clbb_conv2d_options o;
        clbb_conv2d_options_init(&o);
        o.algo = (clbb_conv_algo)a;
        o.dtype = m->dtype;
        o.input_gate = n->in[NODE_GATE].value >= 0;
        if (clbb_conv2d_supports(m->ctx, &n->conv, &o, NULL) != CLBB_OK) continue;
        const unsigned fams = clbb__conv_families(o.algo);
        if ((fams >> own) & 1u) {
            for (const char *const *c = clbb__conv_candidates(o.algo, own); c && *c && k < cap; c++)
                out[k++] = (candidate){o.algo, own, *c};
        } else if (fams && k < cap) {
            const clbb_kernel_family f = (fams >> CLBB_KERNEL_FAMILY_GPU) & 1u
                                             ? CLBB_KERNEL_FAMILY_GPU
                                             : CLBB_KERNEL_FAMILY_CPU;
            out[k++] = (candidate){o.algo, f, ""};
        }
    }
    return k;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* The whole tune: candidates timed so far (progress, estimates, budget). */
typedef struct tune_state {
    const clbb_tune_options *o;
    clbb_tune_result *r;
    double t0, cand_t0;   /* start of the tune / of the first candidate (ms) */
    uint64_t done, total; /* candidates */
    int layer;            /* distinct layers started */
} tune_state;

/* Seconds per candidate so far (the layers' reference runs included). */
static double per_candidate_s(const tune_state *t) {
    return t->done ? (now_ms() - t->cand_t0) / 1e3 / (double)t->done : 0;
}

/* Whether `runs` more candidates, at the average so far, would end past
 * the budget. */
static int over_budget(const tune_state *t, int runs) {
    return t->o->budget_s > 0 &&
           (now_ms() - t->t0) / 1e3 + runs * per_candidate_s(t) > t->o->budget_s;
}

static void choose(clbb_tuning_choice *c, const candidate *cd, double ms) {
    memset(c, 0, sizeof *c);
    c->ms = ms;
    clbb__strlcpy(c->algo, clbb_conv_algo_name(cd->algo), sizeof c->algo);
    clbb__strlcpy(c->family, clbb_kernel_family_name(cd->family), sizeof c->family);
    clbb__strlcpy(c->params, cd->tuning, sizeof c->params);
}

static clbb_status tune_layer(clbb_model *m, int i, tune_state *t) {
    clbb_context *ctx = m->ctx;
    const graph *g = &m->g;
    const graph_node *n = &g->nodes[i];
    const int iters = t->o->iters;
    FILE *log = t->o->log;
    char key[192];
    clbb__conv_key(m, i, key, sizeof key);
    scratch s = {0};
    clbb_shape in = graph_tref_shape(g, n->in[NODE_IN]), out;
    char msg[256];
    clbb_status st = clbb_conv2d_output_shape(&n->conv, in, &out, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    t->layer++;
    const int deform = n->kind == NODE_DEFORM_CONV;
    st = random_tensor(m, in, 1, &s.x);
    if (st == CLBB_OK && n->in[NODE_RES].value >= 0 && n->norm.kind != NORM_GN)
        st = random_tensor(m, out, 2, &s.res);
    if (st == CLBB_OK && !deform && n->in[NODE_GATE].value >= 0)
        st = random_tensor(m, (clbb_shape){in.n, in.c, 1, 1}, 3, &s.gate);
    /* offsets within a pixel or so and mask logits in [-1, 1]: fractional
     * samples, some across the border (the timing does not depend on them) */
    const int taps = deform ? n->deform_groups * n->conv.kernel_h * n->conv.kernel_w : 0;
    if (st == CLBB_OK && deform)
        st = random_tensor(m, (clbb_shape){out.n, 2 * taps, out.h, out.w}, 4, &s.off);
    if (st == CLBB_OK && deform && n->modulated)
        st = random_tensor(m, (clbb_shape){out.n, taps, out.h, out.w}, 5, &s.mask);
    if (st == CLBB_OK) st = clbb_tensor_create(ctx, out, m->dtype, &s.y);
    s.ny = clbb_shape_numel(out);
    s.ref = malloc(s.ny * sizeof(float));
    s.out = malloc(s.ny * sizeof(float));
    if (st == CLBB_OK && (!s.ref || !s.out))
        st = clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "tune: out of host memory");
    const candidate direct = {CLBB_CONV_ALGO_DIRECT, CLBB_KERNEL_FAMILY_AUTO, ""};
    if (st == CLBB_OK && !deform) st = try_one(m, i, &direct, &s, iters, s.ref, NULL, NULL, 0);
    /* what the layer runs untuned: the bar a candidate has to beat (and a
     * deformable conv's reference) */
    const candidate dflt = {CLBB_CONV_ALGO_AUTO, CLBB_KERNEL_FAMILY_AUTO, ""};
    double default_ms = -1;
    char default_name[96] = "";
    if (st == CLBB_OK) {
        clbb_status ds = try_one(m, i, &dflt, &s, iters, deform ? s.ref : s.out, &default_ms,
                                 default_name, sizeof default_name);
        if (ds == CLBB_ERR_OUT_OF_MEMORY || (deform && ds != CLBB_OK)) st = ds;
        else if (ds != CLBB_OK) default_ms = -1;
    }
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
    clbb_tuning_choice best, same;
    best.ms = same.ms = -1;
    char best_name[96] = "";
    const int verbose = log && getenv("CLBB_TUNE_VERBOSE");
    size_t c = 0;
    for (; st == CLBB_OK && c < nc; c++) {
        if (over_budget(t, 1)) {
            t->r->budget_reached = 1;
            break;
        }
        double ms = 0;
        char name[96] = "";
        const candidate *cd = &cands[c];
        clbb_status cs = try_one(m, i, cd, &s, iters, s.out, &ms, name, sizeof name);
        t->r->candidates_tried++;
        clbb__progress(ctx, CLBB_PROGRESS_TUNE, ++t->done, t->total, n->name);
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
        if (best.ms < 0 || ms < best.ms) {
            choose(&best, cd, ms);
            clbb__strlcpy(best_name, name, sizeof best_name);
        }
        /* the default's own kernel, as an explicit choice */
        if (same.ms < 0 && !strcmp(name, default_name)) choose(&same, cd, ms);
    }
    if (st == CLBB_OK && c == nc) t->r->layers_tuned++;
    /* a candidate replaces the default only when faster; else the layer
     * keeps the default's kernel (stored explicitly when a candidate is it) */
    const int better = best.ms >= 0 && (default_ms < 0 || best.ms < default_ms);
    if (!better && same.ms < 0 && default_ms > 0 && deform) choose(&same, &dflt, default_ms);
    if (!better && same.ms < 0 && default_ms > 0 && !deform) {
        /* no candidate is the default's kernel: its algorithm with its own
         * defaults and the automatic family is */
        const clbb_conv_algo a = clbb__conv_auto_algo(ctx, &n->conv, m->dtype);
        const candidate cd = {a, CLBB_KERNEL_FAMILY_AUTO, ""};
        if (a != CLBB_CONV_ALGO_AUTO) choose(&same, &cd, default_ms);
    }
    const clbb_tuning_choice *keep = better ? &best : same.ms >= 0 ? &same : NULL;
    /* the kernel's name carries its compiled tile, not the runtime super-
     * block SB: a chosen SB is a change under the same name */
    const int changed = better && (strcmp(best_name, default_name) || strstr(best.params, "SB="));
    if (st == CLBB_OK && keep) st = clbb__tuning_put(ctx, key, keep);
    if (st == CLBB_OK) {
        t->r->layers_changed += changed;
        if (default_ms > 0) {
            t->r->default_ms += default_ms;
            t->r->tuned_ms += better ? best.ms : default_ms;
        }
    }
    if (st == CLBB_OK && log) {
        fprintf(log, "[%d/%d] %-28.28s %-44.44s -> %-28s", t->layer, t->r->layers, n->name, key,
                better ? best_name : default_name[0] ? default_name : "(default)");
        if (better) fprintf(log, " %8.4f ms", best.ms);
        if (default_ms > 0)
            fprintf(log, " (default %s %.4f ms%s)", default_name, default_ms,
                    better ? "" : ", kept");
        if (c < nc) fprintf(log, " [budget: %zu of %zu candidates]", c, nc);
        fprintf(log, "  est. remaining %.0fs\n",
                per_candidate_s(t) * (double)(t->total > t->done ? t->total - t->done : 0));
        fflush(log);
    }
    scratch_free(&s);
    return st;
}

void clbb_tune_options_init(clbb_tune_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->iters = 10;
}

/* Whether node i is a conv or deformable conv layer (what the tuner
 * times). */
static int tunable(const graph_node *n) {
    return n->kind == NODE_CONV || n->kind == NODE_DEFORM_CONV;
}

/* Whether conv node i's key is the key of an earlier conv node (tuned
 * once). */
static int seen_before(clbb_model *m, int i) {
    char key[192];
    clbb__conv_key(m, i, key, sizeof key);
    for (int j = 0; j < i; j++)
        if (tunable(&m->g.nodes[j])) {
            char other[192];
            clbb__conv_key(m, j, other, sizeof other);
            if (!strcmp(other, key)) return 1;
        }
    return 0;
}

clbb_status clbb_model_tune_with(clbb_model *m, clbb_shape input, const clbb_tune_options *options,
                                 clbb_tune_result *result) {
    clbb_tune_result dummy;
    clbb_tune_result *r = result ? result : &dummy;
    memset(r, 0, sizeof *r);
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_context *ctx = m->ctx;
    clbb_tune_options o;
    clbb_tune_options_init(&o);
    if (options) o = *options;
    if (o.iters < 1) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "tune: iters = %d", o.iters);
    if (!(o.budget_s >= 0) || !isfinite(o.budget_s))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "tune: budget_s = %g", o.budget_s);
    if (!clbb__context_profiling(ctx))
        return clbb__fail(ctx, CLBB_ERR_INVALID_STATE, "tune needs a context created with profiling on");
    tune_state t = {&o, r, now_ms(), 0, 0, 0, 0};
    CLBB_CHECK(clbb_model_plan(m, input));
    clbb_status st = CLBB_OK;
    const graph *g = &m->g;
    for (int i = 0; i < g->num_nodes; i++) {
        if (!tunable(&g->nodes[i]) || seen_before(m, i)) continue;
        candidate cands[96];
        t.total += layer_candidates(m, &g->nodes[i], cands, CLBB_ARRAY_SIZE(cands));
        r->layers++;
    }
    r->candidates_total = (int)t.total;
    t.cand_t0 = now_ms();
    for (int i = 0; i < g->num_nodes && st == CLBB_OK && !r->budget_reached; i++) {
        if (!tunable(&g->nodes[i]) || seen_before(m, i)) continue;
        /* a layer starts with the direct reference and the default, each
         * about a candidate's time: worth it only with one candidate more */
        if (over_budget(&t, 3)) {
            r->budget_reached = 1;
            break;
        }
        st = tune_layer(m, i, &t);
    }
    r->seconds = (now_ms() - t.t0) / 1e3;
    if (st != CLBB_OK) return st;
    if (o.log) {
        if (r->budget_reached)
            fprintf(o.log,
                    "budget of %gs reached after %.1fs: %d of %d layers tuned, the best so far "
                    "kept, the others keep their defaults\n",
                    o.budget_s, r->seconds, r->layers_tuned, r->layers);
        fprintf(o.log, "tuned %d of %d layers in %.1fs: %d changed; convolutions %.3f -> %.3f ms",
                r->layers_tuned, r->layers, r->seconds, r->layers_changed, r->default_ms,
                r->tuned_ms);
        if (r->tuned_ms > 0) fprintf(o.log, " (%.2fx)", r->default_ms / r->tuned_ms);
        fprintf(o.log, "\n");
    }
    const char *path = o.path;
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

clbb_status clbb_model_tune(clbb_model *m, clbb_shape input, int iters, const char *path, FILE *log) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_tune_options o;
    clbb_tune_options_init(&o);
    o.iters = iters;
    o.path = path;
    o.log = log;
    return clbb_model_tune_with(m, input, &o, NULL);
}
