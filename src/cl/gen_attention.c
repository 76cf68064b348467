/* gen_attention op: GeneralizedAttention's energy, masked softmax and value
 * sum (cl/gen_attention.cl). The position features depend only on the
 * weights and the grids: reshape computes them on the host in double
 * (with geom_bias . features, the bias-position term) and uploads them;
 * run makes each query's position table (geom kernel), then the fused
 * attention kernel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_igemm_internal.h" /* clbb__cpu_native_width */
#include "op_internal.h"

/* the CPU kernel's reads past the end of the position table: GA_SEG *
 * GA_VW floats at most */
#define GA_CPU_TAIL 64

typedef struct ga_state {
    clbb_gen_attention_desc d;
    float *ab, *gb, *fcx, *fcy; /* host copies (NULL where unused) */
    cl_mem ab_mem, px, py, gx, gy, geo, part, kb;
    cl_kernel k_geom, k_attn, k_merge, k_bcast;
    int nsplit, split_rows; /* the mma kernel's key splits */
    int cw, r, kbias; /* its tiles' key columns and rows; appr_bias . k made by the geom kernel */
    int pf;           /* its next tile prefetched into registers */
    int ld1;          /* its loaders' layout: one slot per item (GA_LD1) */
    int hq, wq, hk, wk;
    clbb_math math;
    int kernel; /* GA_CPU, GA_ROWS, GA_MMA */
    int ks;     /* the rows kernel's key splits */
    int vw, qb, seg; /* the CPU kernel's vector width, queries per item, vectors per segment */
} ga_state;

enum { GA_CPU, GA_ROWS, GA_MMA };
static const char *const GA_KERNEL[] = {"gen_attention_cpu", "gen_attention_rows",
                                        "gen_attention_mma"};

static void release(clbb_op *op) {
    ga_state *s = op->impl;
    clbb__kernel_release(&s->k_geom);
    clbb__kernel_release(&s->k_attn);
    clbb__kernel_release(&s->k_merge);
    clbb__kernel_release(&s->k_bcast);
    cl_mem *m[] = {&s->px, &s->py, &s->gx, &s->gy, &s->geo, &s->part, &s->kb};
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(m); i++) {
        clbb__buffer_release(op->ctx, *m[i]);
        *m[i] = NULL;
    }
}

/* Features of one axis (double on the host) and geom_bias . features, as
 * [m][q][k][d] and [m][q][k], or transposed ([m][k][d][q], [m][k][q]: the
 * geom kernel's work-items, consecutive queries, then read consecutive
 * floats; the other way each read a row of its own). */
static clbb_status upload_axis(clbb_op *op, const float *fc, int nq, int nk, int transposed,
                               cl_mem *feat, cl_mem *bias_term) {
    ga_state *s = op->impl;
    const clbb_gen_attention_desc *d = &s->d;
    const size_t nf = (size_t)d->num_heads * nq * nk * d->qk_dim, nb = nf / d->qk_dim;
    double *f = malloc(nf * sizeof *f);
    float *ff = malloc(nf * sizeof *ff), *fb = malloc(nb * sizeof *fb);
    clbb_status st = CLBB_OK;
    if (!f || !ff || !fb) {
        st = clbb__fail(op->ctx, CLBB_ERR_OUT_OF_MEMORY, "gen_attention: out of host memory");
        goto done;
    }
    clbb__ga_position_features(fc, d->num_heads, d->qk_dim, d->position_embedding_dim,
                               d->position_magnitude, nq, d->q_stride, nk, d->kv_stride, f);
    const int D = d->qk_dim;
    for (size_t i = 0; i < nb; i++) {
        /* i = (m*nq + q)*nk + k; its transposed place (m*nk + k)*nq + q */
        const int m = (int)(i / ((size_t)nq * nk)), q = (int)(i / nk % nq), k = (int)(i % nk);
        const size_t it = ((size_t)m * nk + k) * nq + q;
        double b = 0;
        for (int c = 0; c < D; c++) {
            const size_t to = transposed ? (((size_t)m * nk + k) * D + c) * nq + q : i * D + c;
            ff[to] = (float)f[i * D + c];
            if (d->attention_type & CLBB_GEN_ATTENTION_BIAS_POS)
                b += (double)s->gb[m * D + c] * f[i * D + c];
        }
        fb[transposed ? it : i] = (float)b;
    }
    st = clbb__buffer_from_host(op->ctx, ff, nf * sizeof *ff, "gen_attention features", feat);
    if (st == CLBB_OK)
        st = clbb__buffer_from_host(op->ctx, fb, nb * sizeof *fb, "gen_attention bias term",
                                    bias_term);
done:
    free(f);
    free(ff);
    free(fb);
    return st;
}

/* Floats of the rows kernel's local memory: the K and V tiles ([dim][key],
 * ks*sj keys), reused for the splits' merge (ks-1 rows of max, sum, DV). */
static size_t rows_lds(int dk, int dv, int ks, int sj) {
    const size_t tiles = (size_t)(dk + dv) * ks * sj, merge = (size_t)(128 / ks) * (ks - 1) * (dv + 2);
    return tiles > merge ? tiles : merge;
}

/* an environment switch "0" or "1" (timings), else dflt */
static int env_bit(const char *name, int dflt) {
    const char *v = getenv(name);
    return v && (*v == '0' || *v == '1') && !v[1] ? *v == '1' : dflt;
}

static clbb_status ga_reshape(clbb_op *op, clbb_shape in) {
    ga_state *s = op->impl;
    const clbb_gen_attention_desc *d = &s->d;
    const uint32_t t = d->attention_type;
    release(op);
    clbb__ga_grids(d, in, &s->hq, &s->wq, &s->hk, &s->wk);
    if (clbb__ga_transposed(t) && s->hq != s->wq)
        return clbb__fail(op->ctx, CLBB_ERR_SHAPE,
                          "gen_attention: attention_type with the appr-position term and no "
                          "bias-position term needs a square query map (mmcv reads the query at "
                          "the transposed position); this one is %dx%d",
                          s->hq, s->wq);
    const int Lq = s->hq * s->wq, Lk = s->hk * s->wk, M = d->num_heads;
    const int D = d->qk_dim, DV = d->v_dim;
    op->out_shape = (clbb_shape){in.n, M * DV, s->hq, s->wq};
    /* '0010' computes one query's row (the rest is a copy: see ga_run) */
    const double pairs = (double)in.n * M * (t == CLBB_GEN_ATTENTION_BIAS_APPR ? 1 : Lq) * Lk;
    op->info.flops = pairs * 2.0 * ((clbb__ga_has_key(t) ? D : 0) + DV + 4);
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * in.n *
                     ((double)M * DV * (Lk + Lq) + (clbb__ga_has_key(t) ? (double)M * D * Lk : 0) +
                      (clbb__ga_has_query(t) ? (double)M * D * Lq : 0));
    /* + GA_CPU_TAIL: the CPU kernel's vector reads of a row's ex past its end */
    const size_t geo =
        clbb__ga_has_position(t) ? (size_t)in.n * M * Lq * (s->wk + s->hk) + GA_CPU_TAIL : 1;
    op->info.workspace_bytes = geo * sizeof(float);
    CLBB_CHECK(clbb__buffer_create(op->ctx, geo * sizeof(float), CL_MEM_READ_WRITE, NULL,
                                   "gen_attention position tables", &s->geo));
    const int has_k = clbb__ga_has_key(t);
    clbb_device_info dev;
    if (clbb_context_device_info(op->ctx, &dev) != CLBB_OK) memset(&dev, 0, sizeof dev);
    const int wg_ok = !dev.max_work_group_size || dev.max_work_group_size >= 128;
    /* the rows kernel: 16 keys per split per tile past 32 head channels
     * (registers: qa, the output and the scores), and as many splits (1, 2,
     * 4) as it takes to give the device ~256 items per compute unit (H200,
     * attn1111: c4 two, c5 four, each the fastest of 1, 2, 4) while
     * each split still sees two tiles' worth of keys and its local memory
     * fits; CLBB_GA_KS=1|2|4 forces a split count (tests, timings) */
    const int sj = D > 32 || DV > 32 ? 16 : 32;
    const double items = (double)in.n * M * Lq;
    const double want = 256.0 * (dev.compute_units ? dev.compute_units : 16);
    const char *fks = getenv("CLBB_GA_KS");
    const int forced = fks && (!strcmp(fks, "1") || !strcmp(fks, "2") || !strcmp(fks, "4"))
                           ? atoi(fks) : 0;
    s->ks = 0;
    for (int ks = 1; ks <= 4; ks *= 2) {
        if (dev.local_mem_bytes && sizeof(float) * rows_lds(has_k ? D : 0, DV, ks, sj) >
                                       dev.local_mem_bytes)
            break;
        if (forced ? ks > forced : ks > 1 && (items * (ks / 2) >= want || Lk < 2 * ks * sj))
            break;
        s->ks = ks;
    }
    s->kernel = op->family == CLBB_KERNEL_FAMILY_GPU && D <= 64 && DV <= 64 && wg_ok && s->ks
                    ? GA_ROWS
                    : GA_CPU;
    /* the tensor-core kernel: TF32 or FP16 math on a device that runs it,
     * its K and V tiles within local memory. A tile is r whole key rows
     * padded to cw columns (a multiple of 8, of 16 in FP16 where r * cw
     * would not be) up to 64 slots, else chunks of 64 columns of a row. */
    const int mma = s->math == CLBB_MATH_TF32 ? 1 : s->math == CLBB_MATH_FP16 ? 2 : 0;
    if (mma && s->kernel != GA_CPU && clbb_context_has_math(op->ctx, s->math)) {
        int cw = (s->wk + 7) / 8 * 8, r;
        if (cw > 64) cw = 64;
        r = 64 / cw;
        if (mma == 2 && r * cw % 16) {
            if (r > 1 && (r - 1) * cw % 16 == 0) r--;
            else cw = (cw + 15) / 16 * 16, r = 64 / cw;
        }
        const int tk = r * cw, kstep = mma == 2 ? 16 : 8, dp = (D + kstep - 1) / kstep * kstep;
        const int dvp = (DV + 7) / 8 * 8, kcols = tk + (tk % 16 ? 16 : 8);
        const int has_q = (t & 1) != 0; /* the QK products (appr_bias . k is per key) */
        const size_t lm = mma == 2 ? 4u * ((has_q ? (size_t)dp / 2 * kcols : 0) + (size_t)dvp * (tk / 2 + 4) + tk)
                                   : 4u * ((has_q ? (size_t)dp * kcols : 0) + (size_t)dvp * (tk + 8) + tk);
        if (!dev.local_mem_bytes || lm + 4096 <= dev.local_mem_bytes) {
            s->kernel = GA_MMA;
            s->cw = cw, s->r = r;
            /* the prefetch's registers where the head is small, and there the
             * element-strided loaders; else one slot per item (measured:
             * cl/gen_attention.cl, GA_LD1). CLBB_GA_PF=0|1 and CLBB_GA_LD1=0|1
             * force them (timings) */
            const int small = D <= 32 && DV <= 32;
            s->pf = env_bit("CLBB_GA_PF", small);
            s->ld1 = env_bit("CLBB_GA_LD1", !small);
        }
    }
    /* the mma kernel's key splits (by rows of keys): where its query tiles
     * are fewer than the compute units, split each tile's keys (at least
     * one key tile per split), up to 8 ways. Not at four groups per unit:
     * on the H200 attn1111's c5 (136 groups) took 0.114 ms in 4 splits,
     * 0.067 in one */
    s->nsplit = 1;
    s->split_rows = s->hk;
    s->kbias = s->kernel == GA_MMA && (t & 4);
    if (s->kernel == GA_MMA) {
        const long groups = (long)in.n * M * ((Lq + 63) / 64), tiles = (s->hk + s->r - 1) / s->r;
        const long wgs = dev.compute_units ? dev.compute_units : 16;
        long ns = groups >= wgs ? 1 : (wgs + groups - 1) / groups;
        if (ns > 8) ns = 8;
        if (ns > tiles) ns = tiles;
        const char *fs = getenv("CLBB_GA_SPLITS"); /* tests and timings */
        if (fs && atoi(fs) >= 1 && atoi(fs) <= 8) ns = atoi(fs) < tiles ? atoi(fs) : tiles;
        const long per = (tiles + ns - 1) / ns;
        s->nsplit = (int)((tiles + per - 1) / per);
        s->split_rows = (int)(per * s->r);
    }
    if (s->kernel == GA_MMA)
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "gen_attention_mma_%s_q64k%dx%ds%d",
                 clbb_math_name(s->math), s->r, s->cw, s->nsplit);
    else if (s->kernel == GA_ROWS)
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "gen_attention_rows_k%dx%d",
                 s->ks, sj);
    /* the CPU kernel: GA_QB queries x GA_SEG vectors of scores in registers,
     * 24 of AVX-512's 32 (8 x 3 x 16: attn1111 c4 at 800 x 1344 on a 2-core
     * AVX-512 PoCL, 118 ms against 128 for 4 x 3, 142 for 4 x 4, 143 for
     * 8 x 2, 134 for 2 x 4), 8 of 16 with 8-wide vectors */
    s->vw = op->family == CLBB_KERNEL_FAMILY_CPU && clbb__cpu_native_width(op->ctx) >= 16 ? 16 : 8;
    /* on a GPU (heads past the tiles' limit) a query per item: its private
     * outputs, 8 x DV floats per query, are registers there */
    s->qb = op->family != CLBB_KERNEL_FAMILY_CPU ? 1 : s->vw == 16 ? 8 : 4;
    s->seg = s->vw == 16 ? 3 : 2;
    /* its GA_QB x DV output vectors live in private memory (the thread's
     * stack on PoCL): at most 64 KiB of them, fewer queries per item past
     * that (a single head of 512 value channels: 1 query, 32 KiB) */
    while (s->qb > 1 && (size_t)s->qb * DV * s->vw * sizeof(float) > 65536) s->qb /= 2;
    while (s->vw > 8 && (size_t)s->qb * DV * s->vw * sizeof(float) > 65536) s->vw /= 2;
    if (s->kernel == GA_CPU)
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "gen_attention_cpu_q%dx%dv%d",
                 s->qb, s->seg, s->vw);
    char opts[512];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    clbb__opt_int(opts, sizeof opts, "D", D);
    clbb__opt_int(opts, sizeof opts, "DV", DV);
    clbb__opt_int(opts, sizeof opts, "M", M);
    clbb__opt_int(opts, sizeof opts, "HAS_Q0", (t & 1) != 0);
    clbb__opt_int(opts, sizeof opts, "HAS_Q1", (t & 2) != 0);
    clbb__opt_int(opts, sizeof opts, "HAS_AB", (t & 4) != 0);
    clbb__opt_int(opts, sizeof opts, "HAS_K", clbb__ga_has_key(t));
    clbb__opt_int(opts, sizeof opts, "HAS_POS", clbb__ga_has_position(t));
    clbb__opt_int(opts, sizeof opts, "TRANSPOSED", clbb__ga_transposed(t));
    clbb__opt_int(opts, sizeof opts, "SHORTCUT", t == CLBB_GEN_ATTENTION_BIAS_APPR);
    clbb__opt_int(opts, sizeof opts, "MASK", d->spatial_range >= 0);
    clbb__opt_int(opts, sizeof opts, "SR", d->spatial_range);
    clbb__opt_int(opts, sizeof opts, "KVS", d->kv_stride);
    clbb__opt_int(opts, sizeof opts, "GEO_T", s->kernel == GA_ROWS || s->kernel == GA_MMA);
    clbb__opt_int(opts, sizeof opts, "GA_KB", s->kbias);
    if (s->kernel == GA_MMA) {
        clbb__opt_int(opts, sizeof opts, "IG_MMA", mma);
        clbb__opt_int(opts, sizeof opts, "GA_CW", s->cw);
        clbb__opt_int(opts, sizeof opts, "GA_R", s->r);
        clbb__opt_int(opts, sizeof opts, "GA_EXC", s->wk <= s->cw);
        clbb__opt_int(opts, sizeof opts, "GA_PF", s->pf);
        clbb__opt_int(opts, sizeof opts, "GA_LD1", s->ld1);
        if (clbb__mma_emulated(op->ctx)) clbb__opt_int(opts, sizeof opts, "IG_MMA_EMU", 1);
    }
    if (s->kernel == GA_CPU) {
        clbb__opt_int(opts, sizeof opts, "GA_VW", s->vw);
        clbb__opt_int(opts, sizeof opts, "GA_QB", s->qb);
        clbb__opt_int(opts, sizeof opts, "GA_SEG", s->seg);
    }
    if (s->kernel == GA_ROWS) {
        clbb__opt_int(opts, sizeof opts, "GA_KS", s->ks);
        clbb__opt_int(opts, sizeof opts, "GA_SJ", sj);
        clbb__opt_int(opts, sizeof opts, "GA_LDS", (int)rows_lds(has_k ? D : 0, DV, s->ks, sj));
    }
    if (clbb__ga_has_position(t)) {
        const int tr = s->kernel == GA_ROWS || s->kernel == GA_MMA;
        CLBB_CHECK(upload_axis(op, s->fcx, s->wq, s->wk, tr, &s->px, &s->gx));
        CLBB_CHECK(upload_axis(op, s->fcy, s->hq, s->hk, tr, &s->py, &s->gy));
    }
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "gen_attention", opts, &prog));
    if (clbb__ga_has_position(t) || s->kbias)
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "gen_attention_geom", &s->k_geom));
    const size_t kb = s->kbias ? (size_t)in.n * M * Lk : 1;
    CLBB_CHECK(clbb__buffer_create(op->ctx, kb * sizeof(float), CL_MEM_READ_WRITE, NULL,
                                   "gen_attention appr-bias terms", &s->kb));
    op->info.workspace_bytes += kb * sizeof(float);
    const size_t part = s->nsplit > 1 ? (size_t)in.n * M * s->nsplit * (DV + 2) * Lq : 1;
    CLBB_CHECK(clbb__buffer_create(op->ctx, part * sizeof(float), CL_MEM_READ_WRITE, NULL,
                                   "gen_attention split partials", &s->part));
    op->info.workspace_bytes += part * sizeof(float);
    if (s->nsplit > 1)
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "gen_attention_merge", &s->k_merge));
    if (t == CLBB_GEN_ATTENTION_BIAS_APPR)
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "gen_attention_broadcast", &s->k_bcast));
    return clbb__kernel_create(op->ctx, prog, GA_KERNEL[s->kernel], &s->k_attn);
}

static clbb_status ga_setup(clbb_op *op) {
    ga_state *s = op->impl;
    const clbb_gen_attention_desc *d = &s->d;
    const int n = op->in_shape.n, M = d->num_heads;
    int k = 1;
    CLBB_CHECK(clbb__op_expect_shape(op, k++, (clbb_shape){n, M * d->v_dim, s->hk, s->wk},
                                     "value"));
    if (clbb__ga_has_key(d->attention_type))
        CLBB_CHECK(clbb__op_expect_shape(op, k++, (clbb_shape){n, M * d->qk_dim, s->hk, s->wk},
                                         "key"));
    if (clbb__ga_has_query(d->attention_type))
        CLBB_CHECK(clbb__op_expect_shape(op, k++, (clbb_shape){n, M * d->qk_dim, s->hq, s->wq},
                                         "query"));
    return CLBB_OK;
}

static clbb_status ga_run(clbb_op *op) {
    ga_state *s = op->impl;
    const clbb_gen_attention_desc *d = &s->d;
    const uint32_t t = d->attention_type;
    const int N = op->in_shape.n, M = d->num_heads;
    const clbb_tensor *v = &op->in[1];
    int k = 2;
    const clbb_tensor *kt = clbb__ga_has_key(t) ? &op->in[k++] : v;
    const clbb_tensor *qt = clbb__ga_has_query(t) ? &op->in[k++] : v;
    cl_int Hq = s->hq, Wq = s->wq, Hk = s->hk, Wk = s->wk, Lq = Hq * Wq;
    cl_mem ab = s->ab_mem;
    if (s->k_geom) {
        /* the position tables, then (for the mma kernel) the keys' appr-bias terms */
        CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_geom, "gen_attention_geom", CLBB_TENSOR_ARGS(qt),
                                     sizeof(cl_mem), &s->px, sizeof(cl_mem), &s->py,
                                     sizeof(cl_mem), &s->gx, sizeof(cl_mem), &s->gy,
                                     sizeof(cl_mem), &s->geo, sizeof(cl_int), &Hq, sizeof(cl_int),
                                     &Wq, sizeof(cl_int), &Hk, sizeof(cl_int), &Wk,
                                     CLBB_TENSOR_ARGS(kt), sizeof(cl_mem), &ab, sizeof(cl_mem),
                                     &s->kb, CLBB_ARGS_END));
        const size_t items = (clbb__ga_has_position(t) ? (size_t)Lq * (Wk + Hk) : 0) +
                             (s->kbias ? (size_t)Wk * Hk : 0);
        size_t gws[2] = {clbb__round_up(items, 64), (size_t)N * M};
        size_t lws[2] = {64, 1};
        CLBB_CHECK(clbb__enqueue(op->ctx, s->k_geom, 2, gws, lws, "gen_attention_geom"));
    }
    const char *name = GA_KERNEL[s->kernel];
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_attn, name, CLBB_TENSOR_ARGS(v),
                                 CLBB_TENSOR_ARGS(kt), CLBB_TENSOR_ARGS(qt), sizeof(cl_mem), &ab,
                                 sizeof(cl_mem), &s->geo, CLBB_TENSOR_ARGS(&op->out),
                                 sizeof(cl_int), &Wq, sizeof(cl_int), &Lq, sizeof(cl_int), &Wk,
                                 sizeof(cl_int), &Hk, CLBB_ARGS_END));
    /* '0010' (SHORTCUT): every query's row is query 0's (the energy does
     * not depend on the query; mmcv computes one row and broadcasts it), so
     * the kernels make the first group's queries only and a copy kernel
     * the rest (a 1x3x800x1344 attn0010 c4 block on PoCL: 115 -> 0.7 ms) */
    const size_t rows = s->k_bcast ? 1 : (size_t)Lq;
    if (s->kernel == GA_MMA) {
        cl_int ns = s->nsplit, sr = s->split_rows;
        CLBB_CHECK(clbb__kernel_args_from(op->ctx, s->k_attn, name, 18, sizeof(cl_int), &ns,
                                          sizeof(cl_int), &sr, sizeof(cl_mem), &s->part,
                                          sizeof(cl_mem), &s->kb, CLBB_ARGS_END));
        size_t gws[2] = {(rows + 63) / 64 * ns * 128, (size_t)N * M}, lws[2] = {128, 1};
        CLBB_CHECK(clbb__enqueue(op->ctx, s->k_attn, 2, gws, lws, name));
        if (ns > 1) {
            CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_merge, "gen_attention_merge",
                                         sizeof(cl_mem), &s->part, sizeof(cl_int), &ns,
                                         CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &Lq,
                                         CLBB_ARGS_END));
            size_t mg[2] = {clbb__round_up(rows, 64), (size_t)N * M}, ml[2] = {64, 1};
            CLBB_CHECK(clbb__enqueue(op->ctx, s->k_merge, 2, mg, ml, "gen_attention_merge"));
        }
    } else if (s->kernel != GA_CPU) {
        const size_t qb = (size_t)(128 / s->ks);
        size_t gws[2] = {(rows + qb - 1) / qb * 128, (size_t)N * M}, lws[2] = {128, 1};
        CLBB_CHECK(clbb__enqueue(op->ctx, s->k_attn, 2, gws, lws, name));
    } else {
        /* on a GPU (head dims beyond the tiles' limit) a warp's worth of items */
        const size_t l0 = op->family == CLBB_KERNEL_FAMILY_GPU ? 64 : 1;
        size_t gws[2] = {clbb__round_up((rows + s->qb - 1) / s->qb, l0), (size_t)N * M},
               lws[2] = {l0, 1};
        CLBB_CHECK(clbb__enqueue(op->ctx, s->k_attn, 2, gws, lws, name));
    }
    if (!s->k_bcast || Lq == 1) return CLBB_OK;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_bcast, "gen_attention_broadcast",
                                 CLBB_TENSOR_ARGS(&op->out), sizeof(cl_int), &Lq, CLBB_ARGS_END));
    size_t bg[2] = {clbb__round_up((size_t)Lq, 64), (size_t)N * M * d->v_dim}, bl[2] = {64, 1};
    return clbb__enqueue(op->ctx, s->k_bcast, 2, bg, bl, "gen_attention_broadcast");
}

static void ga_destroy(clbb_op *op) {
    ga_state *s = op->impl;
    release(op);
    clbb__buffer_release(op->ctx, s->ab_mem);
    free(s->ab);
    free(s->gb);
    free(s->fcx);
    free(s->fcy);
}

static const clbb_op_vtable GA_VT = {"gen_attention", CLBB_FAMILIES_BOTH, ga_reshape, ga_setup,
                                     ga_run, ga_destroy};

/* A finite copy of n floats, or an error naming the array. */
static clbb_status copy_param(clbb_context *ctx, const float *src, size_t n, const char *what,
                              float **dst) {
    if (!src)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "gen_attention: %s is NULL", what);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(src[i]))
            return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT,
                              "gen_attention: %s[%zu] is not finite", what, i);
    *dst = malloc(n * sizeof **dst);
    if (!*dst) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "gen_attention: out of host memory");
    memcpy(*dst, src, n * sizeof **dst);
    return CLBB_OK;
}

clbb_status clbb_gen_attention_create(clbb_context *ctx, const clbb_gen_attention_desc *desc,
                                      const float *appr_bias, const float *geom_bias,
                                      const float *fc_x, const float *fc_y,
                                      const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "gen_attention: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!desc) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "gen_attention: desc is NULL");
    char msg[256];
    if (clbb__ga_desc_error(desc, msg, sizeof msg))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "%s", msg);
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, GA_VT.families, "gen_attention", &dtype, &family));
    const clbb_math math = options ? options->math : CLBB_MATH_FP32;
    const uint32_t t = desc->attention_type;
    const int inputs = 2 + clbb__ga_has_key(t) + clbb__ga_has_query(t);
    clbb_op *op = NULL;
    CLBB_CHECK(clbb__op_new(ctx, &GA_VT, sizeof(ga_state), inputs, dtype, family, &op));
    ga_state *s = op->impl;
    s->d = *desc;
    s->math = math;
    const size_t od = (size_t)desc->num_heads * desc->qk_dim;
    const size_t fcn = od * (size_t)(desc->position_embedding_dim / 2);
    clbb_status st = CLBB_OK;
    if (t & CLBB_GEN_ATTENTION_BIAS_APPR) st = copy_param(ctx, appr_bias, od, "appr_bias", &s->ab);
    if (st == CLBB_OK && (t & CLBB_GEN_ATTENTION_BIAS_POS))
        st = copy_param(ctx, geom_bias, od, "geom_bias", &s->gb);
    if (st == CLBB_OK && clbb__ga_has_position(t)) {
        st = copy_param(ctx, fc_x, fcn, "appr_geom_fc_x", &s->fcx);
        if (st == CLBB_OK) st = copy_param(ctx, fc_y, fcn, "appr_geom_fc_y", &s->fcy);
    }
    if (st == CLBB_OK) {
        float zero = 0;
        st = s->ab ? clbb__buffer_from_host(ctx, s->ab, od * sizeof(float), "gen_attention appr_bias",
                                            &s->ab_mem)
                   : clbb__buffer_from_host(ctx, &zero, sizeof zero, "gen_attention appr_bias",
                                            &s->ab_mem);
    }
    if (st != CLBB_OK) {
        clbb_op_destroy(op);
        return st;
    }
    *out = op;
    return clbb__done(ctx, CLBB_OK);
}
