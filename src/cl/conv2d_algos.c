/* The list of convolution algorithms: the only place that names them all.
 * The launcher, clbb_conv2d_supports(), the tuner and the check harness
 * reach every algorithm through this table. */
#include <string.h>

#include "conv2d_internal.h"
#include "conv2d_registry.h"

static const conv_algo_desc *const ALGOS[CLBB_CONV_ALGO_COUNT] = {
    [CLBB_CONV_ALGO_DIRECT] = &clbb__conv_direct,
    [CLBB_CONV_ALGO_IMPLICIT_GEMM] = &clbb__conv_igemm,
    [CLBB_CONV_ALGO_DEPTHWISE] = &clbb__conv_depthwise,
    [CLBB_CONV_ALGO_GEMM_CLBLAST] = &clbb__conv_gemm_clblast,
    [CLBB_CONV_ALGO_WINOGRAD] = &clbb__conv_winograd,
};

const conv_algo_desc *clbb__conv_algo(clbb_conv_algo algo) {
    if ((int)algo <= 0 || (int)algo >= CLBB_CONV_ALGO_COUNT) return NULL;
    return ALGOS[algo];
}

const char *clbb_conv_algo_name(clbb_conv_algo algo) {
    if (algo == CLBB_CONV_ALGO_AUTO) return "auto";
    const conv_algo_desc *a = clbb__conv_algo(algo);
    return a ? a->name : NULL;
}

unsigned clbb__conv_algo_families(const conv_algo_desc *a) {
    unsigned m = 0;
    for (int f = CLBB_KERNEL_FAMILY_GPU; f <= CLBB_KERNEL_FAMILY_CPU; f++)
        if (a->family[f].present) m |= CLBB_FAMILY_BIT(f);
    return m;
}

unsigned clbb__conv_needs(const clbb_conv2d_options *o) {
    return o && o->output_add ? CONV_TAKES_OUTPUT_ADD : 0u;
}

/* AUTO: the supported algorithm with the highest score. The scores live
 * with each algorithm (its auto_score says when it is worth it); ties go
 * to the lower enum value. */
const conv_algo_desc *clbb__conv_pick(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                      clbb_dtype dtype, clbb_kernel_family family, int mma,
                                      unsigned needs) {
    const conv_algo_desc *best = NULL;
    int best_score = 0;
    for (int a = 1; a < CLBB_CONV_ALGO_COUNT; a++) {
        const conv_algo_desc *al = ALGOS[a];
        if ((al->takes & needs) != needs || al->unsupported(ctx, d, dtype)) continue;
        int score = al->auto_score(ctx, d, family, mma);
        if (score > best_score) {
            best = al;
            best_score = score;
        }
    }
    return best;
}

const char *clbb__conv_default_params(const clbb_context *ctx, const conv_default *table) {
    if (!table) return NULL;
    const clbb_vendor v = clbb__context_vendor(ctx);
    for (const conv_default *r = table;; r++) {
        if (r->vendor == v || r->vendor == CLBB_VENDOR_OTHER) return r->params;
    }
}

unsigned clbb__conv_families(clbb_conv_algo algo) {
    const conv_algo_desc *a = clbb__conv_algo(algo);
    return a ? clbb__conv_algo_families(a) : 0;
}

const char *const *clbb__conv_candidates(clbb_conv_algo algo, clbb_kernel_family family) {
    const conv_algo_desc *a = clbb__conv_algo(algo);
    if (!a || (int)family < CLBB_KERNEL_FAMILY_GPU || family > CLBB_KERNEL_FAMILY_CPU ||
        !a->family[family].present)
        return NULL;
    /* a family without tunables is tried once, with its defaults */
    static const char *const DEFAULTS_ONLY[] = {"", NULL};
    return a->family[family].candidates ? a->family[family].candidates : DEFAULTS_ONLY;
}

const char *clbb__conv_unsupported(clbb_conv_algo algo, const clbb_conv2d_desc *d,
                                   clbb_dtype dtype) {
    const conv_algo_desc *a = clbb__conv_algo(algo);
    return a ? a->unsupported(NULL, d, dtype) : "no such algorithm";
}

int clbb__conv_takes_output_add(clbb_conv_algo algo) {
    const conv_algo_desc *a = clbb__conv_algo(algo);
    return a && (a->takes & CONV_TAKES_OUTPUT_ADD);
}

clbb_conv_algo clbb__conv_auto_algo_for(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                        clbb_dtype dtype, int output_add) {
    /* the strict pick: the tuner times the tensor-core kernels as candidates */
    const conv_algo_desc *a = clbb__conv_pick(ctx, d, dtype, clbb__default_family(ctx), 0,
                                              output_add ? CONV_TAKES_OUTPUT_ADD : 0u);
    for (int k = 1; a && k < CLBB_CONV_ALGO_COUNT; k++)
        if (ALGOS[k] == a) return (clbb_conv_algo)k;
    return CLBB_CONV_ALGO_AUTO;
}

clbb_conv_algo clbb__conv_auto_algo(const clbb_context *ctx, const clbb_conv2d_desc *d,
                                    clbb_dtype dtype) {
    return clbb__conv_auto_algo_for(ctx, d, dtype, 0);
}
