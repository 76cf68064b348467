/* MMDetection's test pipeline on a decoded image: Resize (mmcv's
 * rescale_size rule for keep_ratio, cv2.INTER_LINEAR), the data
 * preprocessor's channel order and Normalize in float32, then its Pad to a
 * multiple of the size divisor with zeros (after normalization). */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

/* Mean and std in the order of the output channels; bgr: output channel c
 * is the image's channel 2 - c (SPEC §4). */
typedef struct preset {
    const char *name;
    int bgr;
    float mean[3], std[3];
} preset;

static const preset presets[] = {
    [CLBB_PREPROCESS_PYTORCH] = {"pytorch", 0, {123.675f, 116.28f, 103.53f},
                                 {58.395f, 57.12f, 57.375f}},
    [CLBB_PREPROCESS_CAFFE] = {"caffe", 1, {103.530f, 116.280f, 123.675f}, {1.0f, 1.0f, 1.0f}},
    [CLBB_PREPROCESS_DETECTRON2_X101] = {"detectron2-x101", 1, {103.530f, 116.280f, 123.675f},
                                         {57.375f, 57.120f, 58.395f}},
};

CLBB_API void clbb_image_pipeline_init(clbb_image_pipeline *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->scale_w = 1333;
    p->scale_h = 800;
    p->keep_ratio = 1;
    p->pad_divisor = 32;
    p->preprocess = CLBB_PREPROCESS_PYTORCH;
}

void clbb__image_target_size(int32_t w, int32_t h, const clbb_image_pipeline *p, int64_t *out_w,
                             int64_t *out_h) {
    if (p->scale_w == 0 && p->scale_h == 0) {
        *out_w = w;
        *out_h = h;
    } else if (!p->keep_ratio) {
        *out_w = p->scale_w;
        *out_h = p->scale_h;
    } else {
        /* mmcv.rescale_size: Python floats are doubles, int() truncates */
        double max_long = p->scale_w > p->scale_h ? p->scale_w : p->scale_h;
        double max_short = p->scale_w > p->scale_h ? p->scale_h : p->scale_w;
        double long_edge = w > h ? w : h, short_edge = w > h ? h : w;
        double a = max_long / long_edge, b = max_short / short_edge;
        double s = a < b ? a : b;
        *out_w = (int64_t)((double)w * s + 0.5);
        *out_h = (int64_t)((double)h * s + 0.5);
    }
}

CLBB_API clbb_status clbb_image_preprocess(const clbb_image *image, const clbb_image_pipeline *p,
                                           clbb_npy_array *out, char *errbuf, size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (out) memset(out, 0, sizeof *out);
    if (!image || !p || !out)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_preprocess: %s is NULL",
                              !image ? "image" : !p ? "pipeline" : "out");
    if (!image->data || image->channels != 3 || image->width < 1 || image->height < 1 ||
        image->width > CLBB_IMAGE_MAX_SIDE || image->height > CLBB_IMAGE_MAX_SIDE)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_preprocess: image %dx%dx%d%s is not a decoded RGB image",
                              image->width, image->height, image->channels,
                              image->data ? "" : " without pixels");
    if (p->scale_w < 0 || p->scale_h < 0 || (p->scale_w == 0) != (p->scale_h == 0))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_preprocess: scale %dx%d: both sides must be positive, "
                              "or both 0 for no resize",
                              p->scale_w, p->scale_h);
    if (p->pad_divisor < 0 || p->pad_divisor > 4096)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_preprocess: pad_divisor %d is outside 0..4096",
                              p->pad_divisor);
    if ((unsigned)p->preprocess >= CLBB_ARRAY_SIZE(presets))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_preprocess: unknown preprocess preset %d",
                              (int)p->preprocess);
    int64_t rw, rh;
    clbb__image_target_size(image->width, image->height, p, &rw, &rh);
    if (rw < 1 || rh < 1 || rw > CLBB_IMAGE_MAX_SIDE || rh > CLBB_IMAGE_MAX_SIDE ||
        rw * rh > CLBB_IMAGE_MAX_PIXELS)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_preprocess: resizing %dx%d to scale %dx%d%s gives "
                              "%lldx%lld, outside the limits (1..%d per side, %ld pixels)",
                              image->width, image->height, p->scale_w, p->scale_h,
                              p->keep_ratio ? " (keep ratio)" : "", (long long)rw, (long long)rh,
                              CLBB_IMAGE_MAX_SIDE, CLBB_IMAGE_MAX_PIXELS);
    int64_t d = p->pad_divisor > 1 ? p->pad_divisor : 1;
    int64_t pw = (rw + d - 1) / d * d, ph = (rh + d - 1) / d * d;
    uint8_t *resized = NULL;
    const uint8_t *px = image->data;
    if (rw != image->width || rh != image->height) {
        resized = malloc((size_t)rw * (size_t)rh * 3);
        if (!resized)
            return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                                  "clbb_image_preprocess: cannot allocate %lldx%lld pixels",
                                  (long long)rw, (long long)rh);
        clbb_status st = clbb_image_resize_u8(image->data, image->width, image->height, 3, resized,
                                              (int32_t)rw, (int32_t)rh, errbuf, errbuf_size);
        if (st != CLBB_OK) {
            free(resized);
            return st;
        }
        px = resized;
    }
    size_t plane = (size_t)pw * (size_t)ph;
    float *x = calloc(plane * 3, sizeof *x); /* the padding is zero */
    if (!x) {
        free(resized);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "clbb_image_preprocess: cannot allocate a 1x3x%lldx%lld input",
                              (long long)ph, (long long)pw);
    }
    const preset *pr = &presets[p->preprocess];
    for (int c = 0; c < 3; c++) {
        int sc = pr->bgr ? 2 - c : c;
        float mean = pr->mean[c], sd = pr->std[c];
        for (int64_t y = 0; y < rh; y++) {
            const uint8_t *row = px + (size_t)y * (size_t)rw * 3 + (size_t)sc;
            float *o = x + (size_t)c * plane + (size_t)y * (size_t)pw;
            /* as torch does it: float32 subtraction, then float32 division */
            for (int64_t i = 0; i < rw; i++) o[i] = ((float)row[(size_t)i * 3] - mean) / sd;
        }
    }
    free(resized);
    out->ndim = 4;
    out->dims[0] = 1;
    out->dims[1] = 3;
    out->dims[2] = ph;
    out->dims[3] = pw;
    out->data = x;
    return CLBB_OK;
}

CLBB_API clbb_status clbb_image_load(const char *path, const clbb_image_pipeline *p,
                                     clbb_npy_array *out, char *errbuf, size_t errbuf_size) {
    if (out) memset(out, 0, sizeof *out);
    clbb_image img;
    clbb_status st = clbb_image_read(path, &img, errbuf, errbuf_size);
    if (st != CLBB_OK) return st;
    st = clbb_image_preprocess(&img, p, out, errbuf, errbuf_size);
    clbb_image_free(&img);
    return st;
}
