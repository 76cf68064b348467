/* Element-wise kernels over NCHW tensors with (offset, batch stride).
 *
 * channel_affine_act: y = act(x * scale[c] + shift[c] [+ res]) — inference
 *   batch norm, and the epilogue of the CLBlast GEMM convolution (in place).
 * add_act:            y = act(a + b)
 * mul_channel:        y = x * gate[n, c]        (SE gate)
 *
 * Work-item: VEC consecutive elements of one (n, c) plane; global size
 * (ceil(HW / VEC), C, N) rounded up by the launcher.
 * Macros: ACT, HAS_SCALE, HAS_SHIFT, HAS_RES, VEC. */
#ifndef VEC
#define VEC 4
#endif

__kernel void channel_affine_act(__global const float *x, int x_off, int x_bs,
                                 __global const float *restrict scale,
                                 __global const float *restrict shift,
                                 __global const float *restrict res, int r_off, int r_bs,
                                 __global float *y, int y_off, int y_bs, int C, int HW) {
    const int p0 = get_global_id(0) * VEC, c = get_global_id(1), n = get_global_id(2);
    if (c >= C) return;
#if HAS_SCALE
    const float a = scale[c];
#endif
#if HAS_SHIFT
    const float b = shift[c];
#endif
    for (int j = 0; j < VEC; j++) {
        const int p = p0 + j;
        if (p >= HW) return;
        float v = x[x_off + n * x_bs + c * HW + p];
#if HAS_SCALE
        v *= a;
#endif
#if HAS_SHIFT
        v += b;
#endif
#if HAS_RES
        v += res[r_off + n * r_bs + c * HW + p];
#endif
        y[y_off + n * y_bs + c * HW + p] = clbb_act(v);
    }
}

__kernel void add_act(__global const float *a, int a_off, int a_bs,
                      __global const float *b, int b_off, int b_bs,
                      __global float *y, int y_off, int y_bs, int C, int HW) {
    const int p0 = get_global_id(0) * VEC, c = get_global_id(1), n = get_global_id(2);
    if (c >= C) return;
    for (int j = 0; j < VEC; j++) {
        const int p = p0 + j;
        if (p >= HW) return;
        const int i = c * HW + p;
        y[y_off + n * y_bs + i] = clbb_act(a[a_off + n * a_bs + i] + b[b_off + n * b_bs + i]);
    }
}

__kernel void mul_channel(__global const float *x, int x_off, int x_bs,
                          __global const float *restrict gate, int g_off, int g_bs,
                          __global float *y, int y_off, int y_bs, int C, int HW) {
    const int p0 = get_global_id(0) * VEC, c = get_global_id(1), n = get_global_id(2);
    if (c >= C) return;
    const float g = gate[g_off + n * g_bs + c];
    for (int j = 0; j < VEC; j++) {
        const int p = p0 + j;
        if (p >= HW) return;
        const int i = c * HW + p;
        y[y_off + n * y_bs + i] = x[x_off + n * x_bs + i] * g;
    }
}
