/* Prepended to every clbb program. Shared activation and indexing helpers.
 *
 * Build macros read here:
 *   ACT  activation of the program's epilogues: 0 none, 1 ReLU, 2 ReLU6,
 *        3 hard-sigmoid relu6(x + 3) / 6 (defaults to 0).
 *
 * Tensors are passed as (pointer, offset, batch_stride) in floats; element
 * (n, c, h, w) of a tensor with spatial size HxW is
 *   p[off + n * bs + (c * H + h) * W + w]. */
#ifndef ACT
#define ACT 0
#endif

inline float clbb_act(float v) {
#if ACT == 1
    return fmax(v, 0.0f);
#elif ACT == 2
    return fmin(fmax(v, 0.0f), 6.0f);
#elif ACT == 3
    return fmin(fmax(v + 3.0f, 0.0f), 6.0f) / 6.0f;
#else
    return v;
#endif
}
