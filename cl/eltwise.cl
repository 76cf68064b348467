/* Element-wise kernels over NCHW tensors with (offset, batch stride).
 *
 * channel_affine_act: y = act(x * scale[c] + shift[c] [+ res]) — inference
 *   batch norm, and the epilogue of the CLBlast GEMM convolution (in place).
 * add_act:            y = act(a + b)
 * mul_channel:        y = x * gate[n, c]        (SE gate)
 *
 * Within one image the C x HW elements of a tensor (or of a channel view)
 * are one contiguous span, so the grid is flat over that span:
 * work-item: VEC consecutive elements i0 .. i0+VEC-1 of image n; global
 * size (ceil(C * HW / VEC) rounded up by the launcher, N). The channel of
 * the first element is divided out once, then carried along. Each element
 * is read before it is written, so y may be x or res (in place).
 * Macros: ACT, HAS_SCALE, HAS_SHIFT, HAS_RES, VEC, DTYPE (x, res, y; the
 * CLBlast epilogue reads a float x: it is built with DTYPE 0). */
#ifndef VEC
#define VEC 4
#endif

__kernel void channel_affine_act(__global const st_t *x, int x_off, int x_bs,
                                 __global const float *restrict scale,
                                 __global const float *restrict shift,
                                 __global const st_t *res, int r_off, int r_bs,
                                 __global st_t *y, int y_off, int y_bs, int C, int HW) {
    const int i0 = get_global_id(0) * VEC, n = get_global_id(1);
    const int chw = C * HW;
    if (i0 >= chw) return;
    int c = i0 / HW, p = i0 - c * HW;
    for (int j = 0; j < VEC; j++) {
        const int i = i0 + j;
        if (i >= chw) return;
        acc_t v = LD(x, x_off + n * x_bs + i);
        /* one rounding (fma): x * scale + shift rounded twice lost more of
         * a result that cancels (a one-element batch-norm case on PoCL's
         * CPU kernel: rel L2 3.9e-5 with two roundings, 1.0e-5 with one) */
#if HAS_SCALE && HAS_SHIFT
        v = fma((float)v, scale[c], shift[c]);
#elif HAS_SCALE
        v *= scale[c];
#elif HAS_SHIFT
        v += shift[c];
#endif
#if HAS_RES
        v += LD(res, r_off + n * r_bs + i);
#endif
        ST(y, y_off + n * y_bs + i, clbb_act(v));
        if (++p == HW) {
            p = 0;
            c++;
        }
    }
}

/* channel_affine_act_cpu: the same for CPU devices, where the flat kernel
 * above runs as scalar code with a branch per element. One work-item (local
 * size 1): elements [p0, p0 + CH) of channel c of image n, a plain loop
 * that LLVM vectorizes; global size (ceil(HW / CH), C, N). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
channel_affine_act_cpu(__global const st_t *x, int x_off, int x_bs,
                       __global const float *restrict scale, __global const float *restrict shift,
                       __global const st_t *res, int r_off, int r_bs, __global st_t *y,
                       int y_off, int y_bs, int C, int HW, int CH) {
    const int p0 = get_global_id(0) * CH, c = get_global_id(1), n = get_global_id(2);
    const int p1 = min(p0 + CH, HW);
#if HAS_SCALE
    const float sc = scale[c];
#endif
#if HAS_SHIFT
    const float sh = shift[c];
#endif
    __global const st_t *xp = x + x_off + n * x_bs + c * HW;
    __global const st_t *rp = res + r_off + n * r_bs + c * HW;
    __global st_t *yp = y + y_off + n * y_bs + c * HW;
    for (int p = p0; p < p1; p++) {
        acc_t v = LD(xp, p);
#if HAS_SCALE && HAS_SHIFT
        v = fma((float)v, sc, sh); /* one rounding: see channel_affine_act */
#elif HAS_SCALE
        v *= sc;
#elif HAS_SHIFT
        v += sh;
#endif
#if HAS_RES
        v += LD(rp, p);
#endif
        ST(yp, p, clbb_act(v));
    }
}

#if DTYPE == 1
typedef CLBB_CAT(float, VEC) vec_t;
static inline vec_t act_vec(vec_t v) { return CLBB_ACT(vec_t, v); }
#endif

__kernel void add_act(__global const st_t *a, int a_off, int a_bs,
                      __global const st_t *b, int b_off, int b_bs,
                      __global st_t *y, int y_off, int y_bs, int C, int HW) {
    const int i0 = get_global_id(0) * VEC, n = get_global_id(1);
    const int chw = C * HW;
#if DTYPE == 1
    /* half: a whole run as one VEC-vector (one F16C conversion per 4 or 8
     * on PoCL, where the scalar conversions below made add 3-6x slower
     * than fp32; the launcher picks VEC 8); all of a and b is read before
     * y is written, so y may alias either */
    if (i0 + VEC <= chw) {
        const vec_t v = LDN(VEC, 0, a + a_off + n * a_bs + i0) + LDN(VEC, 0, b + b_off + n * b_bs + i0);
        STN(VEC, act_vec(v), 0, y + y_off + n * y_bs + i0);
        return;
    }
#endif
    for (int j = 0; j < VEC; j++) {
        const int i = i0 + j;
        if (i >= chw) return;
        ST(y, y_off + n * y_bs + i,
           clbb_act(LD(a, a_off + n * a_bs + i) + LD(b, b_off + n * b_bs + i)));
    }
}

__kernel void mul_channel(__global const st_t *x, int x_off, int x_bs,
                          __global const st_t *restrict gate, int g_off, int g_bs,
                          __global st_t *y, int y_off, int y_bs, int C, int HW) {
    const int i0 = get_global_id(0) * VEC, n = get_global_id(1);
    const int chw = C * HW;
    if (i0 >= chw) return;
    int c = i0 / HW, p = i0 - c * HW;
    for (int j = 0; j < VEC; j++) {
        const int i = i0 + j;
        if (i >= chw) return;
        ST(y, y_off + n * y_bs + i,
           MULM(LDM(x, x_off + n * x_bs + i), LDM(gate, g_off + n * g_bs + c)));
        if (++p == HW) {
            p = 0;
            c++;
        }
    }
}
