/* Prepended to every clbb program: the storage and accumulator types, and
 * the activation of epilogues.
 *
 * Build macros read here:
 *   DTYPE  storage type of the program's activation tensors (x, residual,
 *          gate, y): 0 float (default), 1 half. As CLBlast writes its
 *          kernels once over `real` and ggml over T_FLOAT, every kernel is
 *          written once over st_t and acc_t:
 *            st_t      element type of activation buffers (pointer use only:
 *                      half needs no cl_khr_fp16 for vload/vstore_half);
 *            acc_t     the type of arithmetic and accumulation (float);
 *            LD(p, i)  element i of p as an acc_t;
 *            ST(p, i, v) stores acc_t v as element i (round to nearest even);
 *            LDN(n, o, p) / STN(n, v, o, p)  n-wide vectors (n = 2, 4, 8, 16)
 *                      at vector offset o, as vloadn / vstoren take them.
 *          Shifts and norm statistics stay float (the epilogue is fp32).
 *   WDTYPE storage type of the packed conv weights: 0 float (default), 1
 *          half (an F16 op: half the bytes of every weight read; the
 *          products still accumulate in float). Kernels read weights as
 *          wt_t through WLD(p, i) (element i), WLDN(n, o, p) (n-vector o,
 *          any alignment) and WLDA(n, o, p) (n-vector o, p + o*n aligned to
 *          the vector: the packed layouts guarantee it; float keeps the
 *          plain vector dereference, so fp32 code is unchanged).
 *            mul_t, LDM(p, i), MULM(a, b)  a product of two activation
 *                      elements where one is a gate (SE / input gate):
 *                      MULM(LDM(x, i), LDM(g, j)) is LD(x, i) * LD(g, j)
 *                      as an acc_t, in half when CLBB_FP16_NATIVE is set.
 *   CLBB_FP16_NATIVE  1 (with DTYPE 1): the device has cl_khr_fp16; the
 *          host (src/cl/program.c) adds it, no launcher passes it. See the
 *          variant below for what changes and why it stays as accurate.
 *   ACT    activation of the program's epilogues: 0 none, 1 ReLU, 2 ReLU6,
 *          3 hard-sigmoid relu6(x + 3) / 6, 4 sigmoid 1 / (1 + exp(-x))
 *          (defaults to 0).
 *
 * Tensors are passed as (pointer, offset, batch_stride) in elements;
 * element (n, c, h, w) of a tensor with spatial size HxW is
 *   p[off + n * bs + (c * H + h) * W + w]. */
#ifndef DTYPE
#define DTYPE 0
#endif
#ifndef ACT
#define ACT 0
#endif
#ifndef WDTYPE
#define WDTYPE 0
#endif

typedef float acc_t;

#define CLBB_CAT_(a, b) a##b
#define CLBB_CAT(a, b) CLBB_CAT_(a, b)

/* Half <-> float in plain integer arithmetic, for x86 CPU devices (PoCL):
 * there the builtins made fp16 3-20x slower than fp32 (scalar vload_half /
 * vstore_half_rte are out-of-line software routines; a call in a
 * micro-kernel's inner loop spills every accumulator; vload_half8 /
 * vstore_half8_rte assert 16-byte alignment). These inline, vectorize with
 * the loop and are exact: half -> float rebiases the exponent (subnormals
 * through one exact subtraction, inf/NaN kept); float -> half rounds to
 * nearest even (subnormals through one float addition of 0.5, which rounds
 * at 2^-24), overflows to inf and turns NaN into a quiet NaN, bit-exact
 * with clbb__float_to_half but for NaN payloads. GPUs keep the builtins
 * (one conversion instruction). */
#if defined(__x86_64__) && !defined(CLBB_HALF_BUILTINS)
#define CLBB_SOFT_HALF 1
#define CLBB_H2F(T, UT, IT, h)                                                           \
    ({                                                                                   \
        const UT u_ = CLBB_CAT(convert_, UT)(h);                                          \
        const UT m_ = (u_ & 0x7fffu) << 13, e_ = m_ & 0x0f800000u;                         \
        T f_ = CLBB_CAT(as_, T)(m_ + 0x38000000u);                                        \
        f_ = select(f_, CLBB_CAT(as_, T)(m_ + 0x70000000u), CLBB_CAT(as_, IT)(e_ == 0x0f800000u)); \
        f_ = select(f_, CLBB_CAT(as_, T)(m_ + 0x38800000u) - 0x1p-14f, CLBB_CAT(as_, IT)(e_ == 0u)); \
        CLBB_CAT(as_, T)(CLBB_CAT(as_, UT)(f_) | ((u_ & 0x8000u) << 16));                  \
    })
#define CLBB_F2H(T, UT, US, f)                                                           \
    ({                                                                                   \
        const UT x_ = CLBB_CAT(as_, UT)(f), a_ = x_ & 0x7fffffffu;                         \
        UT r_ = (a_ + 0xc8000fffu + ((a_ >> 13) & 1u)) >> 13;                              \
        const UT s_ = CLBB_CAT(as_, UT)(CLBB_CAT(as_, T)(a_) + 0.5f) - 0x3f000000u;        \
        r_ = select(r_, s_, CLBB_CAT(as_, UT)(a_ < 0x38800000u));                          \
        r_ = select(r_, (UT)0x7c00u, CLBB_CAT(as_, UT)(a_ >= 0x47800000u));                \
        r_ = select(r_, (UT)0x7e00u, CLBB_CAT(as_, UT)(a_ > 0x7f800000u));                 \
        CLBB_CAT(convert_, US)(r_ | ((x_ >> 16) & 0x8000u));                               \
    })
#define CLBB_UP(p) ((const __global ushort *)(p))
#define CLBB_UPW(p) ((__global ushort *)(p))
/* Vectors of 4, 8, 16 keep F16C's one-instruction conversion: the bits
 * travel as a ushort vector (whose loads and stores assume no alignment)
 * through an aligned private copy that LLVM folds away, and only the
 * conversion runs the builtin (it asserts 16-byte alignment on global
 * memory). Vectors of 2 and scalars convert in integers. */
/* The bits move as whole vectors through these 2-byte-aligned vector
 * types: PoCL 3.1's vloadn / vstoren of ushort are element-wise (LLVM
 * kept 8 16-bit loads or vpextrd/shift/store sequences per vector: 3x
 * the time of a float store in the depthwise kernel), a dereference of
 * an under-aligned vector pointer is one unaligned vector move. */
typedef ushort2 clbb_us2u __attribute__((aligned(2)));
typedef ushort4 clbb_us4u __attribute__((aligned(2)));
typedef ushort8 clbb_us8u __attribute__((aligned(2)));
typedef ushort16 clbb_us16u __attribute__((aligned(2)));
#define CLBB_USP(n, o, p) ((__global CLBB_CAT(CLBB_CAT(clbb_us, n), u) *)(CLBB_UPW(p) + (o) * (n)))
#define CLBB_USPC(n, o, p)                                                               \
    ((const __global CLBB_CAT(CLBB_CAT(clbb_us, n), u) *)(CLBB_UP(p) + (o) * (n)))
#define CLBB_LDN_HW(n, o, p)                                                             \
    ({                                                                                   \
        __private CLBB_CAT(ushort, n) t_;                                                \
        t_ = *CLBB_USPC(n, o, p);                                                         \
        CLBB_CAT(vload_half, n)(0, (const __private half *)&t_);                         \
    })
#define CLBB_STN_HW(n, v, o, p)                                                          \
    do {                                                                                 \
        __private CLBB_CAT(ushort, n) t_;                                                \
        CLBB_CAT(CLBB_CAT(vstore_half, n), _rte)((v), 0, (__private half *)&t_);          \
        *CLBB_USP(n, o, p) = t_;                                                          \
    } while (0)
#define CLBB_LDN_SOFT(n, o, p)                                                           \
    CLBB_H2F(CLBB_CAT(float, n), CLBB_CAT(uint, n), CLBB_CAT(int, n), *CLBB_USPC(n, o, p))
#define CLBB_LDN_2 CLBB_LDN_SOFT
#define CLBB_LDN_4 CLBB_LDN_HW
#define CLBB_LDN_8 CLBB_LDN_HW
#define CLBB_LDN_16 CLBB_LDN_HW
#define CLBB_STN_SOFT(n, v, o, p)                                                        \
    (*CLBB_USP(n, o, p) = CLBB_F2H(CLBB_CAT(float, n), CLBB_CAT(uint, n), CLBB_CAT(ushort, n), (v)))
#define CLBB_STN_2 CLBB_STN_SOFT
#define CLBB_STN_4 CLBB_STN_HW
#define CLBB_STN_8 CLBB_STN_HW
#define CLBB_STN_16 CLBB_STN_HW
#endif

#ifndef CLBB_FP16_NATIVE
#define CLBB_FP16_NATIVE 0
#endif

#if DTYPE == 1 && CLBB_FP16_NATIVE
/* Native half (cl_khr_fp16): half storage read and written directly, in
 * halfn vectors where LDN / STN are used, instead of through vload_half.
 * Loads convert to float at once and stores round once to nearest even
 * (convert_half_rte), exactly as vload_half / vstore_half_rte do, so the
 * stored values match the portable variant bit for bit; all accumulation,
 * and the BN scale/shift of the epilogues, stay float (no half sums: the
 * error of a long half sum grows with its length, and overflows at 65504).
 * The one thing done in half is MULM, x * gate with both operands half
 * storage: its exact product fits a float, so a correctly rounded half
 * product is the float product rounded once more to half: the rounding a
 * stored result gets anyway (mul_channel stores it; bit for bit the same
 * where the device keeps half denormals), or one extra half rounding of an
 * input element (the igemm and Winograd input gates).
 * The gates clbb's models feed are sigmoid / hard-sigmoid outputs in
 * [0, 1], so |x * gate| <= |x| cannot overflow half. Products with fp32
 * weights stay float: rounding a weight to half would add error for no
 * speed. No device we run on has cl_khr_fp16 (PoCL, oclgrind, NVIDIA):
 * this variant is compiled by clang in CI (the clc test), not run. */
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
typedef half st_t;
typedef half mul_t;
#define LD(p, i) convert_float((p)[i])
#define ST(p, i, v) ((p)[i] = convert_half_rte(v))
#define LDN(n, o, p) CLBB_CAT(convert_float, n)(CLBB_CAT(vload, n)((o), (p)))
#define STN(n, v, o, p) CLBB_CAT(vstore, n)(CLBB_CAT(CLBB_CAT(convert_half, n), _rte)(v), (o), (p))
#define LDM(p, i) ((p)[i])
#define MULM(a, b) convert_float((a) * (b))
#elif DTYPE == 1
/* Portable half: storage only, through vload_half / vstore_half (core in
 * every OpenCL C version, no extension needed); arithmetic in float. */
typedef half st_t;
typedef float mul_t;
#if CLBB_SOFT_HALF
#define LD(p, i) CLBB_H2F(float, uint, int, CLBB_UP(p)[i])
#define ST(p, i, v) (CLBB_UPW(p)[i] = CLBB_F2H(float, uint, ushort, (float)(v)))
#define LDN(n, o, p) CLBB_CAT(CLBB_LDN_, n)(n, o, p)
#define STN(n, v, o, p) CLBB_CAT(CLBB_STN_, n)(n, v, o, p)
#else
#define LD(p, i) vload_half((i), (p))
#define ST(p, i, v) vstore_half_rte((v), (i), (p))
#define LDN(n, o, p) CLBB_CAT(vload_half, n)((o), (p))
#define STN(n, v, o, p) CLBB_CAT(CLBB_CAT(vstore_half, n), _rte)((v), (o), (p))
#endif
#define LDM(p, i) LD(p, i)
#define MULM(a, b) ((a) * (b))
#else
typedef float st_t;
typedef float mul_t;
#define LD(p, i) ((p)[i])
#define ST(p, i, v) ((p)[i] = (v))
#define LDN(n, o, p) CLBB_CAT(vload, n)((o), (p))
#define STN(n, v, o, p) CLBB_CAT(vstore, n)((v), (o), (p))
#define LDM(p, i) LD(p, i)
#define MULM(a, b) ((a) * (b))
#endif

#if WDTYPE == 1
typedef half wt_t;
#if CLBB_SOFT_HALF
#define WLD(p, i) CLBB_H2F(float, uint, int, CLBB_UP(p)[i])
#define WLDN(n, o, p) CLBB_CAT(CLBB_LDN_, n)(n, o, p)
#define WLDA(n, o, p) CLBB_CAT(vloada_half, n)((o), (p))
#else
#define WLD(p, i) vload_half((i), (p))
#define WLDN(n, o, p) CLBB_CAT(vload_half, n)((o), (p))
#define WLDA(n, o, p) CLBB_CAT(vloada_half, n)((o), (p))
#endif
#else
typedef float wt_t;
#define WLD(p, i) ((p)[i])
#define WLDN(n, o, p) CLBB_CAT(vload, n)((o), (p))
#define WLDA(n, o, p) (((const __global CLBB_CAT(float, n) *)(p))[o])
#endif

#if DTYPE == 1
/* 8 halves at any p (2-byte aligned) to floats and back, as one F16C
 * conversion each on x86: PoCL 3.1's vload_half8 / vstore_half8_rte assert
 * 16-byte alignment of p (an unaligned store faults), its ushort vload8 /
 * vstore8 do not; so the bits travel as ushort8 through an aligned private
 * copy, which LLVM folds away. */
#if CLBB_SOFT_HALF
#define clbb_ld8h(p) LDN(8, 0, (p))
#define clbb_ld4h(p) LDN(4, 0, (p))
#define clbb_st8h(v, p) STN(8, (v), 0, (p))
#define clbb_st4h(v, p) STN(4, (v), 0, (p))
#else
static inline float8 clbb_ld8h(const __global half *p) {
    __private ushort t[8] __attribute__((aligned(16)));
    vstore8(vload8(0, (const __global ushort *)p), 0, t);
    return vload_half8(0, (const __private half *)t);
}
static inline float4 clbb_ld4h(const __global half *p) {
    __private ushort t[4] __attribute__((aligned(8)));
    vstore4(vload4(0, (const __global ushort *)p), 0, t);
    return vload_half4(0, (const __private half *)t);
}
static inline void clbb_st4h(float4 v, __global half *p) {
    __private ushort t[4] __attribute__((aligned(8)));
    vstore_half4_rte(v, 0, (__private half *)t);
    vstore4(vload4(0, t), 0, (__global ushort *)p);
}
static inline void clbb_st8h(float8 v, __global half *p) {
    __private ushort t[8] __attribute__((aligned(16)));
    vstore_half8_rte(v, 0, (__private half *)t);
    vstore8(vload8(0, t), 0, (__global ushort *)p);
}
#endif
/* Runs of 1-3 halves (n a compile-time constant): on x86 the n elements
 * travel as the low lanes of one ushort4 (the rest zero, nothing read or
 * written past p + n) through one F16C conversion; 1x1 convs on small maps
 * pick tiles of 1-3 columns, where a per-element conversion cost as much as
 * the tile's FMAs (scalar vload_half: a software routine on PoCL). */
#if CLBB_SOFT_HALF
#define CLBB_LD_SHORT(n, p, t)                                                        \
    do {                                                                              \
        const __global ushort *u_ = CLBB_UP(p);                                       \
        const ushort4 h_ = (ushort4)(u_[0], (n) > 1 ? u_[(n) > 1] : 0,                \
                                     (n) > 2 ? u_[2 * ((n) > 2)] : 0, 0);             \
        __private ushort b_[4] __attribute__((aligned(8)));                           \
        vstore4(h_, 0, b_);                                                           \
        float f_[4];                                                                  \
        vstore4(vload_half4(0, (const __private half *)b_), 0, f_);                   \
        _Pragma("unroll") for (int i_ = 0; i_ < (n); i_++) (t)[i_] = f_[i_];          \
    } while (0)
#define CLBB_ST_SHORT(n, t, p)                                                        \
    do {                                                                              \
        float4 v_ = (float4)0.0f;                                                     \
        _Pragma("unroll") for (int i_ = 0; i_ < (n); i_++) v_[i_] = (t)[i_];          \
        __private ushort b_[4] __attribute__((aligned(8)));                           \
        vstore_half4_rte(v_, 0, (__private half *)b_);                                \
        _Pragma("unroll") for (int i_ = 0; i_ < (n); i_++) CLBB_UPW(p)[i_] = b_[i_];  \
    } while (0)
#else
#define CLBB_LD_SHORT(n, p, t)                                                        \
    _Pragma("unroll") for (int i_ = 0; i_ < (n); i_++) (t)[i_] = vload_half(i_, (p))
#define CLBB_ST_SHORT(n, t, p)                                                        \
    _Pragma("unroll") for (int i_ = 0; i_ < (n); i_++) ST((p), i_, (t)[i_])
#endif
/* n (a compile-time constant) halves from p into t as floats, through 8-
 * and 4-wide conversions only: PoCL's scalar vload_half is a software
 * routine (5x the cost of a float load per element on x86), its vector
 * forms one F16C instruction. Runs not a multiple of the vector end with
 * a vector that overlaps the previous one (never past p + n); runs shorter
 * than 4 stay scalar. */
#define CLBB_LD_RUN(n, p, t)                                                          \
    do {                                                                              \
        if ((n) >= 8) {                                                               \
            _Pragma("unroll") for (int i_ = 0; i_ < ((n) + 7) / 8; i_++) {            \
                const int o_ = min(8 * i_, (n) - 8);                                  \
                vstore8(clbb_ld8h((p) + o_), 0, (t) + o_);                             \
            }                                                                         \
        } else if ((n) >= 4) {                                                        \
            vstore4(clbb_ld4h(p), 0, (t));                                            \
            vstore4(clbb_ld4h((p) + (n) - 4), 0, (t) + (n) - 4);                      \
        } else {                                                                      \
            CLBB_LD_SHORT(n, p, t);                                                   \
        }                                                                             \
    } while (0)
#endif

#if DTYPE == 1
/* The converse: n floats of t stored as halves at p (round to nearest
 * even), overlapping vectors rewriting identical values. */
#define CLBB_ST_RUN(n, t, p)                                                          \
    do {                                                                              \
        if ((n) >= 8) {                                                               \
            _Pragma("unroll") for (int i_ = 0; i_ < ((n) + 7) / 8; i_++) {            \
                const int o_ = min(8 * i_, (n) - 8);                                  \
                clbb_st8h(vload8(0, (t) + o_), (p) + o_);                              \
            }                                                                         \
        } else if ((n) >= 4) {                                                        \
            clbb_st4h(vload4(0, (t)), (p));                                           \
            clbb_st4h(vload4(0, (t) + (n) - 4), (p) + (n) - 4);                       \
        } else {                                                                      \
            CLBB_ST_SHORT(n, t, p);                                                   \
        }                                                                             \
    } while (0)
#endif

/* Helpers are static inline: a plain C99 inline definition has no external
 * one, so a driver that does not inline (-cl-opt-disable) fails to link the
 * program (the clc test's -O0 pass finds such calls). */
/* The activation ACT on v of float type T (a scalar or any vector) */
#if ACT == 1
#define CLBB_ACT(T, v) fmax((v), (T)0.0f)
#elif ACT == 2
#define CLBB_ACT(T, v) fmin(fmax((v), (T)0.0f), (T)6.0f)
#elif ACT == 3
#define CLBB_ACT(T, v) (fmin(fmax((v) + (T)3.0f, (T)0.0f), (T)6.0f) / (T)6.0f)
#elif ACT == 4
#define CLBB_ACT(T, v) ((T)1.0f / ((T)1.0f + exp(-(v))))
#else
#define CLBB_ACT(T, v) (v)
#endif
static inline float clbb_act(float v) { return CLBB_ACT(float, v); }

/* Work-group tree reductions: each of the n items (n a power of two, the
 * work-group's size) passes its v through red (n local floats) and every
 * item gets the result; the closing barrier lets red be reused at once. */
static inline float clbb_wg_sum(__local float *red, int t, int n, float v) {
    red[t] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = n / 2; k > 0; k >>= 1) {
        if (t < k) red[t] += red[t + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

static inline float clbb_wg_max(__local float *red, int t, int n, float v) {
    red[t] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = n / 2; k > 0; k >>= 1) {
        if (t < k) red[t] = fmax(red[t], red[t + k]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
