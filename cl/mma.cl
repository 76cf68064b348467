/* Tensor-core primitives of the programs with IG_MMA (conv2d_igemm's tiled
 * GEMM, gen_attention's mma kernel), included by them (tools/embed_kernels.py
 * inlines the #include): NVIDIA's mma.sync through inline PTX (see
 * src/cl/mma.c for the probe that enables it) or, with IG_MMA_EMU, the
 * same products emulated in OpenCL C.
 * IG_MMA: 0 none, 1 TF32 (m16n8k8), 2 FP16 (m16n8k16, f32 accumulation),
 * 3 3xTF32 (m16n8k8, hi/lo operand splits). Fragments follow the PTX ISA:
 * lane 4g + t holds accumulator rows g, g+8, columns 2t, 2t+1; TF32 A
 * (g, t), (g+8, t), (g, t+4), (g+8, t+4), B (k t, n g), (t+4, g); FP16 A
 * pairs (g, 2t..), (g+8, 2t..), (g, 2t+8..), (g+8, 2t+8..), B pairs
 * (k 2t.., n g), (2t+8.., g). */
#ifndef CLBB_MMA_CL
#define CLBB_MMA_CL
#ifndef IG_MMA
#define IG_MMA 0
#endif

/* IG_MMA 1 rounds operands to TF32 as they go into local memory (once per
 * element and slice, not once per fragment use: cvt.rna runs at a quarter
 * of the ALU rate and, per fragment, cost more than the products), with
 * cvt.rna's rule (nearest, ties away) in two integer ops. Infinities stay;
 * a NaN stays a NaN unless its payload is within 2^12 of all ones. */
#if IG_MMA == 1
#define IG_RND(v) as_float((as_uint(v) + 0x1000u) & 0xffffe000u)
#define IG_RND4(v) as_float4((as_uint4(v) + (uint4)0x1000u) & (uint4)0xffffe000u)
#else
#define IG_RND(v) (v)
#define IG_RND4(v) (v)
#endif

#ifndef IG_MMA_EMU
#define IG_MMA_EMU 0
#endif
#if IG_MMA && IG_MMA_EMU
/* Tensor-core emulation (CLBB_MMA=emu, src/cl/mma.c): every mma.sync and
 * cvt of the IG_MMA kernels made in plain OpenCL C as the PTX ISA defines
 * them, so that their fragment layouts, pair-row loaders and epilogues run
 * (and are checked against the reference) on PoCL and oclgrind. A warp's
 * 32 lanes write their fragments to a local scratch of the warp, a barrier,
 * then each lane sums its four accumulators (fma in float, TF32 operands
 * truncated to their 19 bits as the hardware reads them). Only the
 * arithmetic is emulated, not its speed: barriers twice per product. */
#define IG_EMU_K (IG_MMA == 2 ? 16 : 8)
#define IG_EMU_WARP (16 * IG_EMU_K + IG_EMU_K * 8)
#define IG_EMU_LOCAL __local float ig_emu[NT / 32 * IG_EMU_WARP];
#define IG_EMU_PARAM , __local float *emu
#define IG_EMU_ARG , ig_emu
static inline float ig_emu_h2f(uint bits) {
    const ushort u = (ushort)bits;
    return vload_half(0, (const __private half *)&u);
}
static inline uint ig_emu_f2h(float f) {
    ushort u;
    vstore_half_rte(f, 0, (__private half *)&u);
    return u;
}
static inline float4 ig_mma_emu(__local float *emu, uint a0, uint a1, uint a2, uint a3, uint b0,
                                uint b1, float4 c) {
    const int lane = get_local_id(0) & 31, g = lane >> 2, t = lane & 3;
    __local float *A = emu + (get_local_id(0) >> 5) * IG_EMU_WARP; /* [16][K] */
    __local float *B = A + 16 * IG_EMU_K;                          /* [K][8] */
    barrier(CLK_LOCAL_MEM_FENCE); /* the previous product's reads are done */
#if IG_MMA == 2
    const uint av[4] = {a0, a1, a2, a3};
    for (int q = 0; q < 4; q++) {
        const int r = g + 8 * (q & 1), k = 2 * t + 8 * (q >> 1);
        A[r * 16 + k] = ig_emu_h2f(av[q] & 0xffffu);
        A[r * 16 + k + 1] = ig_emu_h2f(av[q] >> 16);
    }
    B[(2 * t) * 8 + g] = ig_emu_h2f(b0 & 0xffffu);
    B[(2 * t + 1) * 8 + g] = ig_emu_h2f(b0 >> 16);
    B[(2 * t + 8) * 8 + g] = ig_emu_h2f(b1 & 0xffffu);
    B[(2 * t + 9) * 8 + g] = ig_emu_h2f(b1 >> 16);
#else
    A[g * 8 + t] = as_float(a0 & 0xffffe000u);
    A[(g + 8) * 8 + t] = as_float(a1 & 0xffffe000u);
    A[g * 8 + t + 4] = as_float(a2 & 0xffffe000u);
    A[(g + 8) * 8 + t + 4] = as_float(a3 & 0xffffe000u);
    B[t * 8 + g] = as_float(b0 & 0xffffe000u);
    B[(t + 4) * 8 + g] = as_float(b1 & 0xffffe000u);
#endif
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = 0; k < IG_EMU_K; k++) {
        const float x0 = A[g * IG_EMU_K + k], x1 = A[(g + 8) * IG_EMU_K + k];
        const float y0 = B[k * 8 + 2 * t], y1 = B[k * 8 + 2 * t + 1];
        c = (float4)(fma(x0, y0, c.s0), fma(x0, y1, c.s1), fma(x1, y0, c.s2), fma(x1, y1, c.s3));
    }
    return c;
}
/* loops, not straight-line code: PoCL compiles a kernel with a barrier per
 * product fully unrolled for minutes */
#define IG_MMA_UNROLL _Pragma("unroll 1")
#else
#define IG_EMU_LOCAL
#define IG_EMU_PARAM
#define IG_EMU_ARG
#define IG_MMA_UNROLL _Pragma("unroll")
#endif

#if IG_MMA == 2
/* two floats as one f16x2 word, lo in the low half (the lower k) */
static inline uint ig_h2(float lo, float hi) {
#if IG_MMA_EMU
    return ig_emu_f2h(lo) | ig_emu_f2h(hi) << 16;
#else
    uint d;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
#endif
}
#endif

#if IG_MMA
/* a macro, not a function: the accumulators stay registers (no pointer
 * into the private array reaches the asm) */
#if IG_MMA == 2
#define IG_MMA_SHAPE "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
#else
#define IG_MMA_SHAPE "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
#endif
#if IG_MMA_EMU
#define IG_MMA_OP(c0, c1, c2, c3, a, b)                                                       \
    do {                                                                                      \
        const float4 r_ = ig_mma_emu(emu, (a)[0], (a)[1], (a)[2], (a)[3], (b)[0], (b)[1],     \
                                     (float4)((c0), (c1), (c2), (c3)));                       \
        (c0) = r_.s0, (c1) = r_.s1, (c2) = r_.s2, (c3) = r_.s3;                               \
    } while (0)
#else
#define IG_MMA_OP(c0, c1, c2, c3, a, b)                                                       \
    asm volatile(IG_MMA_SHAPE                                                                 \
                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"            \
                 : "+f"(c0), "+f"(c1), "+f"(c2), "+f"(c3)                                     \
                 : "r"((a)[0]), "r"((a)[1]), "r"((a)[2]), "r"((a)[3]), "r"((b)[0]), "r"((b)[1]))
#endif
/* expands IG_C into its four accumulators before IG_MMA_OP counts arguments */
#define IG_MMA_X(...) IG_MMA_OP(__VA_ARGS__)
/* x = hi + lo: hi its TF32 rounding (cvt.rna's rule in integer ops, see
 * IG_RND), lo the exact remainder (|lo| <= 2^-11 |x|), passed whole: the
 * tensor core reads its top 19 bits, an error of at most 2^-22 |x| */
#define IG_SPLIT(x, hi, lo)                                                                   \
    ((hi) = (as_uint(x) + 0x1000u) & 0xffffe000u, (lo) = as_uint((x) - as_float(hi)))
#endif
#endif
