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

#if DTYPE == 1
typedef half st_t;
#define LD(p, i) vload_half((i), (p))
#define ST(p, i, v) vstore_half_rte((v), (i), (p))
#define LDN(n, o, p) CLBB_CAT(vload_half, n)((o), (p))
#define STN(n, v, o, p) CLBB_CAT(CLBB_CAT(vstore_half, n), _rte)((v), (o), (p))
#else
typedef float st_t;
#define LD(p, i) ((p)[i])
#define ST(p, i, v) ((p)[i] = (v))
#define LDN(n, o, p) CLBB_CAT(vload, n)((o), (p))
#define STN(n, v, o, p) CLBB_CAT(vstore, n)((v), (o), (p))
#endif

#if WDTYPE == 1
typedef half wt_t;
#define WLD(p, i) vload_half((i), (p))
#define WLDN(n, o, p) CLBB_CAT(vload_half, n)((o), (p))
#define WLDA(n, o, p) CLBB_CAT(vloada_half, n)((o), (p))
#else
typedef float wt_t;
#define WLD(p, i) ((p)[i])
#define WLDN(n, o, p) CLBB_CAT(vload, n)((o), (p))
#define WLDA(n, o, p) (((const __global CLBB_CAT(float, n) *)(p))[o])
#endif

#if DTYPE == 1
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
                vstore8(vload_half8(0, (p) + o_), 0, (t) + o_);                       \
            }                                                                         \
        } else if ((n) >= 4) {                                                        \
            vstore4(vload_half4(0, (p)), 0, (t));                                     \
            vstore4(vload_half4(0, (p) + (n) - 4), 0, (t) + (n) - 4);                 \
        } else {                                                                      \
            _Pragma("unroll") for (int i_ = 0; i_ < (n); i_++) (t)[i_] = vload_half(i_, (p)); \
        }                                                                             \
    } while (0)
#endif

inline float clbb_act(float v) {
#if ACT == 1
    return fmax(v, 0.0f);
#elif ACT == 2
    return fmin(fmax(v, 0.0f), 6.0f);
#elif ACT == 3
    return fmin(fmax(v + 3.0f, 0.0f), 6.0f) / 6.0f;
#elif ACT == 4
    return 1.0f / (1.0f + exp(-v));
#else
    return v;
#endif
}

/* Work-group tree reductions: each of the n items (n a power of two, the
 * work-group's size) passes its v through red (n local floats) and every
 * item gets the result; the closing barrier lets red be reused at once. */
inline float clbb_wg_sum(__local float *red, int t, int n, float v) {
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

inline float clbb_wg_max(__local float *red, int t, int n, float v) {
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
