/* matmul op (cl/matmul.cl): batched GEMM of two strided views, a
 * local-memory tiled kernel (GPU family) and a register-blocked
 * micro-kernel (CPU family, B packed P-contiguous when it is not). */
#include <math.h>
#include <stdio.h>

#include "op_internal.h"

/* GPU tile: 64 x 64 outputs, K slices of 16, 16 x 16 items of 4 x 4 */
#define MM_TM 64
#define MM_TP 64
#define MM_TK 16
#define MM_TD 16
/* CPU block: MR rows x 16 columns; super-blocks sized for this A panel */
#define MM_MR 4
#define MM_PANEL_BYTES (256 * 1024)

typedef struct mm_state {
    int32_t cols;
    float alpha;
    clbb_activation act;
    int a_mc, b_kc, packed, sb; /* of the kernel built */
    size_t pack_bytes;
    cl_kernel k, k_pack;
} mm_state;

static clbb_status mm_reshape(clbb_op *op, clbb_shape in) {
    mm_state *s = op->impl;
    op->out_shape = (clbb_shape){in.n, in.c, in.h, s->cols};
    const double z = (double)in.n * in.c, M = in.h, K = in.w, P = s->cols;
    op->info.flops = 2.0 * z * M * K * P;
    op->info.bytes = (double)clbb_dtype_size(op->dtype) * z * (M * K + K * P + M * P);
    const int cpu = op->family == CLBB_KERNEL_FAMILY_CPU;
    if (cpu)
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "matmul_cpu_%dx16", MM_MR);
    else
        snprintf(op->info.algorithm, sizeof op->info.algorithm, "matmul_tiled_t%dx%dx%d", MM_TM,
                 MM_TP, MM_TK);
    /* the CPU kernel packs a B that is not P-contiguous (known at setup) */
    s->pack_bytes = cpu ? (size_t)z * (size_t)K * (size_t)P * sizeof(float) : 0;
    if (s->pack_bytes) CLBB_CHECK(clbb__scratch_reserve(op->ctx, s->pack_bytes, "matmul packed B"));
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
    const int packed = cpu && B->stride[3] != 1 && s->cols > 1;
    int sb = 1;
    if (cpu) {
        const size_t panel = (size_t)MM_MR * (size_t)a.w * clbb_dtype_size(op->dtype);
        const int nmb = (a.h + MM_MR - 1) / MM_MR;
        sb = panel >= MM_PANEL_BYTES ? 1 : (int)(MM_PANEL_BYTES / panel);
        if (sb > nmb) sb = nmb;
    }
    if (s->k && s->a_mc == a_mc && s->b_kc == b_kc && s->packed == packed && s->sb == sb)
        return CLBB_OK;
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->k_pack);
    char opts[256];
    clbb__opt_dtype(opts, sizeof opts, op->dtype);
    clbb__opt_int(opts, sizeof opts, "ACT", s->act);
    if (cpu) {
        clbb__opt_int(opts, sizeof opts, "MR", MM_MR);
        clbb__opt_int(opts, sizeof opts, "SB", sb);
        clbb__opt_int(opts, sizeof opts, "B_PACKED", packed);
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
    if (packed) CLBB_CHECK(clbb__kernel_create(op->ctx, prog, "matmul_pack_b", &s->k_pack));
    s->a_mc = a_mc;
    s->b_kc = b_kc;
    s->packed = packed;
    s->sb = sb;
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
    cl_mem bm = B->mem;
    int64_t boff = (int64_t)B->offset, bsn = B->stride[0], bsc = B->stride[1], bsk = B->stride[2];
    if (s->packed) {
        bm = clbb__scratch(op->ctx);
        CLBB_CHECK(clbb__kernel_args(op->ctx, s->k_pack, "matmul_pack_b", sizeof(cl_mem), &B->mem,
                                     MM_INT(B->offset), MM_INT(B->stride[0]), MM_INT(B->stride[1]),
                                     MM_INT(B->stride[2]), MM_INT(B->stride[3]), sizeof(cl_mem),
                                     &bm, MM_INT(C), MM_INT(K), MM_INT(P), CLBB_ARGS_END));
        size_t gws[3] = {(size_t)P, (size_t)K, z};
        CLBB_CHECK(clbb__enqueue(op->ctx, s->k_pack, 3, gws, NULL, "matmul_pack_b"));
        boff = 0;
        bsk = P;
        bsc = (int64_t)K * P;
        bsn = bsc * C;
    }
    CLBB_CHECK(clbb__kernel_args(
        op->ctx, s->k, "matmul_cpu", sizeof(cl_mem), &A->mem, MM_INT(A->offset),
        MM_INT(A->stride[0]), MM_INT(A->stride[1]), MM_INT(A->stride[2]), MM_INT(A->stride[3]),
        sizeof(cl_mem), &bm, MM_INT(boff), MM_INT(bsn), MM_INT(bsc), MM_INT(bsk),
        CLBB_TENSOR_ARGS(y), MM_INT(C), MM_INT(M), MM_INT(K), MM_INT(P), sizeof(cl_float),
        &s->alpha, CLBB_ARGS_END));
    const size_t blocks = (size_t)((M + MM_MR - 1) / MM_MR) * (size_t)((P + 15) / 16);
    size_t gws[3] = {blocks, 1, z}, lws[3] = {1, 1, 1};
    return clbb__enqueue(op->ctx, s->k, 3, gws, lws, "matmul_cpu");
}

static void mm_destroy(clbb_op *op) {
    mm_state *s = op->impl;
    clbb__kernel_release(&s->k);
    clbb__kernel_release(&s->k_pack);
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
