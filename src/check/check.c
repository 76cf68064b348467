/* clbb_check: the op tables, blocks and backbones on a device, with a
 * report; what `clbb check` prints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"

void clbb_check_options_init(clbb_check_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->precision = CLBB_PRECISION_FP32;
    o->report_runs = 3;
}

static clbb_dtype dtype_of(clbb_precision p) {
    return p == CLBB_PRECISION_FP16 ? CLBB_DTYPE_F16 : CLBB_DTYPE_F32;
}

/* Whether `name` contains one of the comma-separated words of `only`. */
static int selected(const char *only, const char *name) {
    if (!only || !only[0]) return 1;
    for (const char *w = only; *w;) {
        const char *end = strchr(w, ',');
        const size_t len = end ? (size_t)(end - w) : strlen(w);
        for (const char *p = name; len && *p; p++)
            if (!strncmp(p, w, len)) return 1;
        if (!end) break;
        w = end + 1;
    }
    return 0;
}

/* Cases run over the whole check, for progress reports; the math modes
 * the ops with one ran (bits of clbb_math, from their algorithm names): a
 * tensor-core precision none of whose ops ran its math is a fallback; the
 * report's recorder (NULL: none) and its timed runs per case. */
typedef struct check_progress {
    uint64_t done, total;
    unsigned math_ran;
    check_report *report;
    int op_runs, model_runs;
} check_progress;

/* "fp32", "tf32+fp32", ...: the math modes of a bit set. */
static void math_list(unsigned bits, char *buf, size_t size) {
    buf[0] = 0;
    for (int m = CLBB_MATH_COUNT - 1; m >= 0; m--)
        if (bits >> m & 1u) {
            const size_t len = strlen(buf);
            snprintf(buf + len, size - len, "%s%s", len ? "+" : "", clbb_math_name((clbb_math)m));
        }
}

static int model_case_selected(const check_model_case *c, const clbb_check_options *o) {
    return !(o->quick && !c->quick) && selected(o->only, c->name);
}

/* The number of cases a check runs (only counted when someone watches). */
static uint64_t count_cases(const clbb_check_options *o) {
    uint64_t total = 0;
    for (size_t i = 0; o->ops && i < check_num_ops(); i++) {
        if (!selected(o->only, check_op_at(i)->name)) continue;
        check_case *cases = NULL;
        total += check_cases(check_op_at(i), o->quick, dtype_of(o->precision), &cases);
        free(cases);
    }
    const check_model_case *mc;
    size_t n = o->blocks ? check_block_cases(&mc) : 0;
    for (size_t i = 0; i < n; i++) total += model_case_selected(&mc[i], o);
    n = o->models ? check_backbone_cases(&mc) : 0;
    for (size_t i = 0; i < n; i++) total += model_case_selected(&mc[i], o);
    return total;
}

/* One op family's table: a summary line, and a line per failing case. */
static int check_op_table(clbb_context *ctx, const check_op *op, const clbb_check_options *o,
                          uint64_t seed, FILE *out, check_progress *p) {
    check_case *cases = NULL;
    size_t n = check_cases(op, o->quick, dtype_of(o->precision), &cases);
    size_t ran = 0, skipped = 0, bad = 0;
    if (!n) {
        fprintf(out, "  FAIL %s: no case table (out of host memory)\n", op->name);
        if (p->report) check_report_table_error(p->report, op->name, "no case table (out of host memory)");
        bad++;
    }
    double worst = 0, worst_ratio = 0;
    char worst_name[96] = "-";
    check_tolerance tol = check_op_tolerance(op, o->precision);
    unsigned math_ran = 0;
    for (size_t i = 0; i < n; i++) {
        check_case *c = &cases[i];
        c->precision = o->precision; /* its tolerance row and its op's math */
        clbb__progress(ctx, CLBB_PROGRESS_CHECK, p->done++, p->total, op->name);
        /* small: our kernels only (CLBlast's are not ours), small work;
         * under a device profile only what it plans differently: not the
         * CPU family (work-groups of one item) nor direct convolution
         * (fixed 16x4 work-groups, no local memory), and cases of less
         * work (CI runs every profile under oclgrind: 4e5 halves that) */
        const double small_work = clbb_context_profile(ctx) ? 4e5 : 1e6;
        if (o->small && (check_case_work(c) > small_work || strstr(c->name, "/clblast") ||
                         (clbb_context_profile(ctx) && (c->family == CLBB_KERNEL_FAMILY_CPU ||
                                                        strstr(c->name, "/direct"))))) {
            skipped++;
            if (p->report) {
                check_result r = {.tol = op->tol[c->dtype]};
                clbb__strlcpy(r.message, "skipped: --small (large work or not clbb's kernel)",
                              sizeof r.message);
                check_report_op_case(p->report, c, CLBB_OK, &r);
            }
            continue;
        }
        check_result r;
        /* the check's run builds and warms the op: one more untimed run */
        clbb_status st = check_run_timed(ctx, c, seed + i, p->op_runs, 1, &r);
        if (p->report) check_report_op_case(p->report, c, st, &r);
        if (st != CLBB_OK) {
            bad++;
            fprintf(out, "  FAIL %s %s: %s\n", op->name, c->name, r.message);
            continue;
        }
        if (!r.ran) {
            skipped++;
            if (o->verbose) fprintf(out, "  skip %s %-44s %s\n", op->name, c->name, r.message);
            continue;
        }
        ran++;
        math_ran |= 1u << check_ran_math(r.algorithm);
        if (!(r.rel_l2 <= worst)) {
            worst = r.rel_l2;
            clbb__strlcpy(worst_name, c->name, sizeof worst_name);
        }
        if (!(r.worst_ratio <= worst_ratio)) worst_ratio = r.worst_ratio;
        if (!r.pass) {
            bad++;
            fprintf(out, "  FAIL %s %s [%s]: %s\n", op->name, c->name, r.algorithm, r.message);
        } else if (o->verbose) {
            fprintf(out, "  ok   %s %-44s %-34s rel_l2 %.2e max_abs %.2e (%.2f of bound)\n",
                    op->name, c->name, r.algorithm, r.rel_l2, r.max_abs, r.worst_ratio);
        }
    }
    /* every case fell back to strict products: held to fp32's bound
     * (check_run) */
    if (op->math && math_ran == 1u << CLBB_MATH_FP32 &&
        (o->precision == CLBB_PRECISION_TF32 || o->precision == CLBB_PRECISION_TF32X3))
        tol = check_op_tolerance(op, CLBB_PRECISION_FP32);
    /* which math the ops ran: only where the precision asks for one */
    char maths[64] = "";
    if (op->math && o->precision != CLBB_PRECISION_FP32 && math_ran) {
        math_list(math_ran, maths, sizeof maths);
        p->math_ran |= math_ran;
    }
    fprintf(out, "%-16s %6zu %6zu %7zu %11.3e %9.1e %10.3f %8.1e+%.1e  %-36.36s %s%s%s\n",
            op->name, n, ran, skipped, worst, tol.rel_l2, worst_ratio, tol.atol, tol.rtol,
            worst_name, bad ? "FAIL" : "pass", maths[0] ? "  math " : "", maths);
    free(cases);
    return (int)bad;
}

static int check_model_table(clbb_context *ctx, const char *title, const check_model_case *cases,
                             size_t n, const clbb_check_options *o, uint64_t seed, FILE *out,
                             check_progress *p) {
    int failed = 0;
    clbb_precision_info pi;
    clbb_precision_resolve(ctx, o->precision, &pi);
    const check_tolerance t = check_model_tolerance(pi.effective);
    fprintf(out, "%-28s %7s %11s %9s %10s  %s   (bound: %.1g rms + %.1g|ref|)\n", title,
            "outputs", "max_rel_l2", "tolerance", "of_bound", "result", t.atol, t.rtol);
    for (size_t i = 0; i < n; i++) {
        if (!model_case_selected(&cases[i], o)) continue;
        clbb__progress(ctx, CLBB_PROGRESS_CHECK, p->done++, p->total, cases[i].name);
        check_model_result r;
        clbb_status st =
            check_model_case_run_timed(ctx, &cases[i], o->precision, seed + i, p->model_runs, &r);
        if (p->report) check_report_model_case(p->report, title, &cases[i], st, &r);
        int ok = st == CLBB_OK && r.pass;
        failed += !ok;
        if (st == CLBB_OK) p->math_ran |= 1u << r.prec.math;
        fprintf(out, "%-28s %7d %11.3e %9.1e %10.3f  %s%s%s\n", cases[i].name, r.num_outputs,
                r.worst_rel_l2, r.tol.rel_l2, r.worst_ratio, ok ? "pass" : "FAIL", ok ? "" : ": ",
                ok ? "" : r.message);
    }
    return failed;
}

clbb_status clbb_check(clbb_context *ctx, const clbb_check_options *options, int *failures) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!failures) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "check: failures is NULL");
    clbb_check_options o;
    clbb_check_options_init(&o);
    if (options) o = *options;
    if (!clbb_precision_name(o.precision))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "check: precision = %d",
                          (int)o.precision);
    if (o.report_runs < 0)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "check: report_runs = %d",
                          o.report_runs);
    if (!o.ops && !o.blocks && !o.models) {
        o.ops = 1;
        o.blocks = o.models = !o.small;
    }
    FILE *out = o.out ? o.out : stdout;
    const uint64_t seed = o.seed ? o.seed : check_seed();
    clbb_device_info info;
    clbb_context_device_info(ctx, &info);
    clbb_precision_info pi;
    clbb_precision_resolve(ctx, o.precision, &pi);
    fprintf(out, "device: %s (%s, driver %s)\nprecision: %s", info.device_name,
            info.platform_name, info.driver_version, clbb_precision_name(o.precision));
    if (pi.fallback)
        fprintf(out, " -> %s (%s)", clbb_precision_name(pi.effective), pi.note);
    fprintf(out, "\nseed: %llu (CLBB_SEED=%llu reproduces)\n", (unsigned long long)seed,
            (unsigned long long)seed);
    const clbb_device_profile *prof = clbb_context_profile(ctx);
    if (prof) fprintf(out, "profile: %s (planned as on %s)\n", prof->name, prof->description);
    int failed = 0;
    check_progress p = {0, clbb__progress_on(ctx) ? count_cases(&o) : 0, 0, NULL, 0, 0};
    if (o.report_path && o.report_path[0]) {
        if (!(p.report = check_report_create(ctx, &o, seed)))
            return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "check --report: out of host memory");
        p.op_runs = clbb__context_profiling(ctx) ? o.report_runs : 0;
        p.model_runs = o.report_runs;
    }
    if (o.ops) {
        fprintf(out, "%-16s %6s %6s %7s %11s %9s %10s %17s  %-36s %s\n", "op", "cases", "ran",
                "skipped", "max_rel_l2", "tolerance", "of_bound", "bound(atol+rtol)",
                "worst case", "result");
        for (size_t i = 0; i < check_num_ops(); i++)
            if (selected(o.only, check_op_at(i)->name))
                failed += check_op_table(ctx, check_op_at(i), &o, seed, out, &p);
    }
    const check_model_case *cases;
    size_t n;
    if (o.blocks) {
        n = check_block_cases(&cases);
        failed += check_model_table(ctx, "block", cases, n, &o, seed, out, &p);
    }
    if (o.models) {
        n = check_backbone_cases(&cases);
        failed += check_model_table(ctx, "backbone", cases, n, &o, seed, out, &p);
    }
    clbb__progress(ctx, CLBB_PROGRESS_CHECK, p.done, p.total, "done");
    /* a tensor-core precision whose ops all ran strict products checked
     * the fallback, not the tensor cores: the summary says so */
    const clbb_math want = check_case_math(&(check_case){.precision = o.precision});
    const int fellback = want != CLBB_MATH_FP32 && !(p.math_ran >> want & 1u);
    char maths[64];
    math_list(p.math_ran, maths, sizeof maths);
    fprintf(out, "%s", failed ? "check: FAILED" : "check: all passed");
    if (fellback)
        fprintf(out, " (precision %s: fallback, every op ran %s products)",
                clbb_precision_name(o.precision), maths[0] ? maths : "fp32");
    fprintf(out, "\n");
    *failures = failed;
    clbb_status st = p.report ? check_report_write(p.report, ctx) : CLBB_OK;
    check_report_destroy(p.report);
    return clbb__done(ctx, st);
}
