/* Per-(sample, channel) affine with a residual and the activation, one
 * pass: y = act(x * mul[n,c] + add[n,c] [+ res]) (ContextBlock's fusion
 * terms, the block's shortcut and ReLU). mul and add are N x C x 1 x 1
 * activations (st_t, (pointer, offset, batch stride)); x, res, y dense
 * images. Each element is read before it is written by the same item, so
 * y may be x or res (in place).
 *
 * channel_affine (GPU family): work-item = CA_VEC consecutive positions p0..
 *   of plane (n, c); global size (ceil(HW / CA_VEC) rounded up, N*C). A
 *   whole vector is one vloadn / vstoren (scalar alignment is all they
 *   need); the plane's tail is scalar.
 * channel_affine_cpu: one work-item (local size 1) per CH positions of a
 *   plane, global (ceil(HW / CH), N*C): a plain loop with the per-plane
 *   terms hoisted, which LLVM vectorizes.
 * Macros: HAS_MUL, HAS_ADD, HAS_RES, ACT, DTYPE. */
#define CA_VEC 4
#define CA_VT CLBB_CAT(float, CA_VEC)

#define CA_PLANE                                                                   \
    const int n = nc / C, c = nc - n * C;                                          \
    float mv = 1.0f, av = 0.0f;                                                    \
    if (HAS_MUL) mv = LD(mul, m_off + n * m_bs + c);                               \
    if (HAS_ADD) av = LD(add, a_off + n * a_bs + c);                               \
    const __global st_t *xp = x + x_off + n * x_bs + c * HW;                       \
    const __global st_t *rp = res + r_off + n * r_bs + c * HW;                     \
    __global st_t *yp = y + y_off + n * y_bs + c * HW

#define CA_ARGS                                                                    \
    __global const st_t *x, int x_off, int x_bs, __global const st_t *mul, int m_off, \
        int m_bs, __global const st_t *add, int a_off, int a_bs, __global const st_t *res, \
        int r_off, int r_bs, __global st_t *y, int y_off, int y_bs, int C, int HW

__kernel void channel_affine(CA_ARGS) {
    const int p0 = get_global_id(0) * CA_VEC, nc = get_global_id(1);
    if (p0 >= HW) return;
    CA_PLANE;
    if (p0 + CA_VEC <= HW) {
        CA_VT v = LDN(CA_VEC, 0, xp + p0) * mv + av;
#if HAS_RES
        v += LDN(CA_VEC, 0, rp + p0);
#endif
        float a[CA_VEC];
        vstore4(v, 0, a);
        for (int j = 0; j < CA_VEC; j++) a[j] = clbb_act(a[j]);
        STN(CA_VEC, vload4(0, a), 0, yp + p0);
        return;
    }
    for (int p = p0; p < HW; p++) {
        float v = LD(xp, p) * mv + av;
#if HAS_RES
        v += LD(rp, p);
#endif
        ST(yp, p, clbb_act(v));
    }
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void channel_affine_cpu(CA_ARGS, int CH) {
    const int p0 = get_global_id(0) * CH, nc = get_global_id(1);
    const int p1 = min(p0 + CH, HW);
    CA_PLANE;
    for (int p = p0; p < p1; p++) {
        float v = LD(xp, p) * mv + av;
#if HAS_RES
        v += LD(rp, p);
#endif
        ST(yp, p, clbb_act(v));
    }
}
