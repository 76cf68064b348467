/* cv2.resize(INTER_LINEAR) on 8-bit interleaved images, reproduced step by
 * step from OpenCV 4's resize.cpp (hal::resize, resizeGeneric_,
 * HResizeLinear, the 8-bit VResizeLinear) so that the result is the same
 * bytes, not just close:
 *   - scale = 1 / (dst / src) in double, source position
 *     (float)((d + 0.5) * scale - 0.5), floor, fraction in float;
 *   - 11-bit weights rounded half to even (saturate_cast<short>);
 *   - columns clamped (weights 1, 0 outside), rows clamped but their
 *     weights kept;
 *   - horizontal pass exact in int, vertical pass as OpenCV's 8-bit one:
 *     ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16), + 2, >> 2;
 *   - an exact halving of both sides takes OpenCV's INTER_AREA shortcut
 *     (a 2x2 mean, rounded up at .5 except for 2 channels, half to even). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

#define COEF_BITS 11
#define COEF_SCALE (1 << COEF_BITS)

static int round_half_even(float v) { return (int)lrintf(v); }

static void halve(const uint8_t *src, int32_t sw, int32_t cn, uint8_t *dst, int32_t dw,
                  int32_t dh) {
    size_t sstride = (size_t)sw * (size_t)cn;
    for (int32_t y = 0; y < dh; y++) {
        const uint8_t *s0 = src + (size_t)(2 * y) * sstride, *s1 = s0 + sstride;
        uint8_t *d = dst + (size_t)y * (size_t)dw * (size_t)cn;
        for (int32_t x = 0; x < dw; x++)
            for (int32_t k = 0; k < cn; k++) {
                size_t i = (size_t)(2 * x) * (size_t)cn + (size_t)k;
                int sum = s0[i] + s0[i + (size_t)cn] + s1[i] + s1[i + (size_t)cn];
                d[(size_t)x * (size_t)cn + (size_t)k] =
                    (uint8_t)(cn == 2 ? round_half_even((float)sum * 0.25f) : (sum + 2) >> 2);
            }
    }
}

/* Source index and 11-bit weights of one output coordinate. */
static void coord(int32_t d, double scale, int32_t *s, int16_t w[2]) {
    float f = (float)((d + 0.5) * scale - 0.5);
    int32_t i = (int32_t)floorf(f);
    f -= (float)i;
    *s = i;
    w[0] = (int16_t)round_half_even((1.f - f) * COEF_SCALE);
    w[1] = (int16_t)round_half_even(f * COEF_SCALE);
}

typedef struct hrow {
    int32_t src_row; /* -1: empty */
    int32_t *v;
} hrow;

static void hresize(const uint8_t *s, int32_t cn, int32_t dw, const int32_t *xofs,
                    const int16_t *alpha, int32_t xmax, int32_t *out) {
    for (int32_t x = 0; x < dw; x++) {
        const uint8_t *p = s + (size_t)xofs[x] * (size_t)cn;
        int32_t *o = out + (size_t)x * (size_t)cn;
        if (x < xmax) {
            int a0 = alpha[2 * x], a1 = alpha[2 * x + 1];
            for (int32_t k = 0; k < cn; k++) o[k] = p[k] * a0 + p[k + cn] * a1;
        } else {
            for (int32_t k = 0; k < cn; k++) o[k] = p[k] * COEF_SCALE;
        }
    }
}

CLBB_API clbb_status clbb_image_resize_u8(const uint8_t *src, int32_t src_w, int32_t src_h,
                                          int32_t channels, uint8_t *dst, int32_t dst_w,
                                          int32_t dst_h, char *errbuf, size_t errbuf_size) {
    if (!src || !dst)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_resize_u8: %s is NULL", src ? "dst" : "src");
    if (src_w < 1 || src_h < 1 || dst_w < 1 || dst_h < 1 || src_w > CLBB_IMAGE_MAX_SIDE ||
        src_h > CLBB_IMAGE_MAX_SIDE || dst_w > CLBB_IMAGE_MAX_SIDE || dst_h > CLBB_IMAGE_MAX_SIDE ||
        channels < 1 || channels > 4)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_resize_u8: %dx%dx%d to %dx%d is out of range (sides "
                              "1..%d, 1..4 channels)",
                              src_w, src_h, channels, dst_w, dst_h, CLBB_IMAGE_MAX_SIDE);
    int32_t cn = channels;
    if (src_w == dst_w && src_h == dst_h) {
        memcpy(dst, src, (size_t)src_w * (size_t)src_h * (size_t)cn);
        return CLBB_OK;
    }
    double scale_x = 1. / ((double)dst_w / src_w), scale_y = 1. / ((double)dst_h / src_h);
    if (fabs(scale_x - 2.0) < DBL_EPSILON && fabs(scale_y - 2.0) < DBL_EPSILON) {
        halve(src, src_w, cn, dst, dst_w, dst_h);
        return CLBB_OK;
    }
    int32_t *xofs = malloc(sizeof *xofs * (size_t)dst_w);
    int16_t *alpha = malloc(sizeof *alpha * 2 * (size_t)dst_w);
    int32_t *buf = malloc(sizeof *buf * 2 * (size_t)dst_w * (size_t)cn);
    if (!xofs || !alpha || !buf) {
        free(xofs);
        free(alpha);
        free(buf);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "clbb_image_resize_u8: cannot allocate %d-column buffers", dst_w);
    }
    int32_t xmax = dst_w;
    for (int32_t x = 0; x < dst_w; x++) {
        int32_t sx;
        int16_t w[2];
        coord(x, scale_x, &sx, w);
        if (sx < 0) sx = 0, w[0] = COEF_SCALE, w[1] = 0;
        if (sx + 1 >= src_w) {
            if (xmax > x) xmax = x;
            sx = src_w - 1;
        }
        xofs[x] = sx;
        alpha[2 * x] = w[0];
        alpha[2 * x + 1] = w[1];
    }
    hrow rows[2] = {{-1, buf}, {-1, buf + (size_t)dst_w * (size_t)cn}};
    size_t sstride = (size_t)src_w * (size_t)cn, dstride = (size_t)dst_w * (size_t)cn;
    for (int32_t y = 0; y < dst_h; y++) {
        int32_t sy;
        int16_t b[2];
        coord(y, scale_y, &sy, b);
        int32_t want[2];
        for (int k = 0; k < 2; k++) {
            int32_t r = sy + k;
            want[k] = r < 0 ? 0 : r >= src_h ? src_h - 1 : r;
        }
        /* reuse the rows the previous output row computed */
        int i0 = rows[0].src_row == want[0] ? 0 : rows[1].src_row == want[0] ? 1 : -1;
        if (i0 < 0) {
            i0 = rows[0].src_row == want[1] ? 1 : 0;
            hresize(src + (size_t)want[0] * sstride, cn, dst_w, xofs, alpha, xmax, rows[i0].v);
            rows[i0].src_row = want[0];
        }
        int i1 = rows[0].src_row == want[1] ? 0 : rows[1].src_row == want[1] ? 1 : -1;
        if (i1 < 0) {
            i1 = 1 - i0;
            hresize(src + (size_t)want[1] * sstride, cn, dst_w, xofs, alpha, xmax, rows[i1].v);
            rows[i1].src_row = want[1];
        }
        const int32_t *h[2] = {rows[i0].v, rows[i1].v};
        uint8_t *d = dst + (size_t)y * dstride;
        int b0 = b[0], b1 = b[1];
        for (size_t i = 0; i < dstride; i++)
            d[i] = (uint8_t)((((b0 * (h[0][i] >> 4)) >> 16) + ((b1 * (h[1][i] >> 4)) >> 16) + 2) >>
                             2);
    }
    free(xofs);
    free(alpha);
    free(buf);
    return CLBB_OK;
}
