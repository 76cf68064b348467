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
 *          Parameters (weights, shifts, norm statistics) stay float.
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

typedef float acc_t;

#define CLBB_CAT_(a, b) a##b
#define CLBB_CAT(a, b) CLBB_CAT_(a, b)

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
#define LD(p, i) vload_half((i), (p))
#define ST(p, i, v) vstore_half_rte((v), (i), (p))
#define LDN(n, o, p) CLBB_CAT(vload_half, n)((o), (p))
#define STN(n, v, o, p) CLBB_CAT(CLBB_CAT(vstore_half, n), _rte)((v), (o), (p))
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

/* Helpers are static inline: a plain C99 inline definition has no external
 * one, so a driver that does not inline (-cl-opt-disable) fails to link the
 * program (the clc test's -O0 pass finds such calls). */
static inline float clbb_act(float v) {
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
