/* matmul op (cl/matmul.cl): batched GEMM of two strided views, a
 * local-memory tiled kernel (GPU family) and a register-blocked
 * micro-kernel over float panels of A and B (CPU family). */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

/* GPU tile: 64 x 64 outputs, K slices of 16, 16 x 16 items of 4 x 4 */
#define MM_TM 64
#define MM_TP 64
#define MM_TK 16
#define MM_TD 16
/* CPU block: MR rows x NV vectors of VW columns (8 x 1 x 8: 8 AVX2
 * accumulators; on PoCL, 2-core EPYC, it beat 4x2, 6x2, 6x1, 12x1, 3x4 and
 * 2x4 by 1.2-2x on the NonLocal2d and GeneralizedAttention shapes);
 * super-blocks sized for this A panel */
#define MM_MR 8
#define MM_NV 1
#define MM_VW 8
#define MM_PW (MM_NV * MM_VW)
#define MM_PANEL_BYTES (256 * 1024)
#define MM_BCHUNK_BYTES (128 * 1024)

typedef struct mm_state {
    int32_t cols;
    float alpha;
    clbb_activation act;
    int a_mc, b_kc, sb, cb; /* of the kernel built */
    size_t pack_bytes, a_pack; /* CPU: scratch bytes; elements of A's panels */
    cl_kernel k, k_pack_a, k_pack_b;
} mm_state;

static clbb_status mm_reshape(clbb_op *op, clbb_shape in) {
    mm_state *s = op->impl;
    op->out_shape = (clbb_shape){in.n, in.c, in.h, s->cols};
    const double z = (double)in.n * in.c, M = in.h, K = in.w, P = s->cols;
    op->info.flops = 2.0 * z * M * K * P;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * z * (M * K + K * P + M * P);
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    if (cpu)
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "matmul_cpu_%dx%d", MM_MR, MM_PW);
    else
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "matmul_tiled_t%dx%dx%d", MM_TM,
                 MM_TP, MM_TK);
    /* the CPU kernel's float panels of A and B in the context's scratch */
    s->pack_bytes = 0;
    if (cpu) {
        const double a_el = z * ((in.h + MM_MR - 1) / MM_MR) * MM_MR * K;
        const double b_el = z * ((s->cols + MM_PW - 1) / MM_PW) * MM_PW * K;
        if (a_el > INT32_MAX || b_el > INT32_MAX)
            return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                              "matmul: the CPU kernel's panels exceed 2^31-1 elements");
        s->a_pack = (size_t)a_el;
        s->pack_bytes = ((size_t)a_el + (size_t)b_el) * sizeof(float);
        CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->pack_bytes, "matmul panels"));
    }
    op->info.workspace_bytes = s->pack_bytes;
    return CLBB_OK;
}

static int int_extent(const clbb_tensor *t) {
    return t->offset + clbb__tensor_extent(t) <= (size_t)INT32_MAX;
}

/* The kernel depends on which axes of A and B are contiguous. */
static clbb_status mm_setup(clbb_op *op) {
    mm_state *s = op->impl;
    const clbb_shape a = op->in_shape;
    CLBB_CHECK(clbb__op_expect_shape(op, 1, (clbb_shape){a.n, a.c, a.w, s->cols}, "B"));
    const clbb_tensor *A = &op->in[0], *B = &op->in[1];
    if (!int_extent(A) || !int_extent(B))
        return clbb__fail(op->ctx, CLBB_ERR_UNSUPPORTED,
                          "matmul: an input view reaches beyond element 2^31-1");
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    const int a_mc = !cpu && A->stride[2] == 1 && A->stride[3] != 1 && a.w > 1;
    const int b_kc = !cpu && B->stride[2] == 1 && B->stride[3] != 1 && s->cols > 1;
    int sb = 1, cb = 1;
    if (cpu) {
        const size_t panel = (size_t)MM_MR * (size_t)a.w * sizeof(float);
        const int nmb = (a.h + MM_MR - 1) / MM_MR;
        sb = panel >= MM_PANEL_BYTES ? 1 : (int)(MM_PANEL_BYTES / panel);
        if (sb > nmb) sb = nmb;
        const size_t bpanel = (size_t)MM_PW * (size_t)a.w * sizeof(float);
        const int npb = (s->cols + MM_PW - 1) / MM_PW;
        cb = bpanel >= MM_BCHUNK_BYTES ? 1 : (int)(MM_BCHUNK_BYTES / bpanel);
        if (cb > npb) cb = npb;
    }
    if (s->k && s->a_mc == a_mc && s->b_kc == b_kc && s->sb == sb && s->cb == cb) return CLBB_OK;
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->k_pack_a);
    clbb__kernel_release(&s->k_pack_b);
    char opts[256];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    clbb__opt_int(opts, sizeof opts, "ACT", s->act);
    if (cpu) {
        clbb__opt_int(opts, sizeof opts, "MR", MM_MR);
        clbb__opt_int(opts, sizeof opts, "NV", MM_NV);
        clbb__opt_int(opts, sizeof opts, "VW", MM_VW);
        clbb__opt_int(opts, sizeof opts, "SB", sb);
        clbb__opt_int(opts, sizeof opts, "CB", cb);
    } else {
        clbb__opt_int(opts, sizeof opts, "TM", MM_TM);
        clbb__opt_int(opts, sizeof opts, "TP", MM_TP);
        clbb__opt_int(opts, sizeof opts, "TK", MM_TK);
        clbb__opt_int(opts, sizeof opts, "TDM", MM_TD);
        clbb__opt_int(opts, sizeof opts, "TDP", MM_TD);
        clbb__opt_int(opts, sizeof opts, "A_MC", a_mc);
        clbb__opt_int(opts, sizeof opts, "B_KC", b_kc);
    }
    cl_program prog;
    CLBB_CHECK(clbb__program_get(op->ctx, "matmul", opts, &prog));
    CLBB_CHECK(clbb__kernel_create(op->ctx, prog, cpu ? "matmul_cpu" : "matmul_tiled", &s->k));
    if (cpu) {
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "matmul_pack_a", &s->k_pack_a));
        CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "matmul_pack_b", &s->k_pack_b));
    }
    s->a_mc = a_mc;
    s->b_kc = b_kc;
    s->sb = sb;
    s->cb = cb;
    return CLBB_OK;
}

#define MM_INT(v) sizeof(cl_int), &(cl_int){(cl_int)(v)}

static clbb_status mm_run(clbb_op *op) {
    mm_state *s = op->impl;
    const clbb_shape sh = op->in_shape;
    const clbb_tensor *A = &op->in[0], *B = &op->in[1], *y = &op->out;
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    const cl_int C = sh.c, M = sh.h, K = sh.w, P = s->cols;
    const size_t z = (size_t)sh.n * sh.c;
    if (!cpu) {
        CLBB_CHECK(clbb__kernel_args(
            op->ctx, s->k, "matmul_tiled", sizeof(cl_mem), &A->mem, MM_INT(A->offset),
            MM_INT(A->stride[0]), MM_INT(A->stride[1]), MM_INT(A->stride[2]), MM_INT(A->stride[3]),
            sizeof(cl_mem), &B->mem, MM_INT(B->offset), MM_INT(B->stride[0]), MM_INT(B->stride[1]),
            MM_INT(B->stride[2]), MM_INT(B->stride[3]), CLBB_TENSOR_ARGS(y), MM_INT(C), MM_INT(M),
            MM_INT(K), MM_INT(P), sizeof(cl_float), &s->alpha, CLBB_ARGS_END));
        size_t gws[3] = {(size_t)(P + MM_TP - 1) / MM_TP * MM_TD * MM_TD,
                         (size_t)(M + MM_TM - 1) / MM_TM, z};
        size_t lws[3] = {MM_TD * MM_TD, 1, 1};
        return clbb__enqueue(op->ctx, s->k, 3, gws, lws, "matmul_tiled");
    }
    /* A's panels, then B's, in the scratch (sub-buffers would need the
     * device's alignment: the kernels take one buffer and offsets) */
    cl_mem ws = clbb__scratch(op->ctx);
    const cl_int nmb = (M + MM_MR - 1) / MM_MR, npb = (P + MM_PW - 1) / MM_PW;
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_pack_a, "matmul_pack_a", sizeof(cl_mem), &A->mem,
                                 MM_INT(A->offset), MM_INT(A->stride[0]), MM_INT(A->stride[1]),
                                 MM_INT(A->stride[2]), MM_INT(A->stride[3]), sizeof(cl_mem), &ws,
                                 MM_INT(C), MM_INT(M), MM_INT(K), CLBB_ARGS_END));
    size_t ga[3] = {(size_t)K, (size_t)nmb, z};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_pack_a, 3, ga, NULL, "matmul_pack_a"));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_pack_b, "matmul_pack_b", sizeof(cl_mem), &B->mem,
                                 MM_INT(B->offset), MM_INT(B->stride[0]), MM_INT(B->stride[1]),
                                 MM_INT(B->stride[2]), MM_INT(B->stride[3]), sizeof(cl_mem), &ws,
                                 MM_INT(s->a_pack), MM_INT(C), MM_INT(K), MM_INT(P), CLBB_ARGS_END));
    size_t gb[3] = {(size_t)K, (size_t)npb, z};
    CLBB_CHECK(clbb__enqueue(op->ctx, s->k_pack_b, 3, gb, NULL, "matmul_pack_b"));
    CLBB_CHECK(clbb__kernel_args(op->ctx, s->k, "matmul_cpu", sizeof(cl_mem), &ws,
                                 MM_INT(s->a_pack), CLBB_TENSOR_ARGS(y), MM_INT(C), MM_INT(M), MM_INT(K),
                                 MM_INT(P), sizeof(cl_float), &s->alpha, CLBB_ARGS_END));
    const size_t blocks = (size_t)nmb * (size_t)((npb + s->cb - 1) / s->cb);
    size_t gws[3] = {blocks, 1, z}, lws[3] = {1, 1, 1};
    return clbb__enqueue(op->ctx, s->k, 3, gws, lws, "matmul_cpu");
}

static void mm_destroy(clbb_op *op) {
    mm_state *s = op->impl;
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->k_pack_a);
    clbb__kernel_release(&s->k_pack_b);
}

static const clbb_op_vtable MM_VT = {"matmul", CLBB_FAMILIES_BOTH, mm_reshape, mm_setup, mm_run,
                                     mm_destroy};

clbb_status clbb_matmul_create(clbb_context *ctx, int32_t cols, float alpha, clbb_activation act,
                               const clbb_op_options *options, clbb_op **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "matmul: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    clbb_dtype dtype;
    clbb_kernel_family family;
    CLBB_CHECK(clbb__op_options(ctx, options, MM_VT.families, "matmul", &dtype, &family));
    if (cols < 1)
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "matmul: cols = %d (B's columns, >= 1)",
                          cols);
    if (!isfinite(alpha))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "matmul: alpha = %g (must be finite)",
                          (double)alpha);
    CLBB_CHECK(clbb__activation_check(ctx, act, "matmul"));
    CLBB_CHECK(clbb__op_new(ctx, &MM_VT, sizeof(mm_state), 2, dtype, family, out));
    mm_state *s = (*out)->impl;
    s->cols = cols;
    s->alpha = alpha;
    s->act = act;
    (*out)->in_flags[0] |= CLBB_IN_ANY_LAYOUT;
    (*out)->in_flags[1] |= CLBB_IN_ANY_LAYOUT;
    return clbb__done(ctx, CLBB_OK);
}
