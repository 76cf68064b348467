/* Test driver for tests/test_image.py: exposes decode, resize and the
 * pipeline of the library as .npy files, so that Python can compare them
 * with cv2 and a numpy version of MMDetection's pipeline.
 *   image_tool decode IMAGE OUT.npy                 HxWx3 (0..255)
 *   image_tool resize IMAGE W H OUT.npy             decode + resize, HxWx3
 *   image_tool resize_raw IN.npy W H OUT.npy        IN: HxWxC (C 1..4) 0..255
 *   image_tool pipeline IMAGE SW SH KEEP PAD PRESET OUT.npy   1x3xHxW
 *   image_tool visualize OUT.png LEVEL.npy...
 * Exit 0, or 1 with "STATUS: message" on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clbb.h"

static int fail(clbb_status st, const char *msg) {
    fprintf(stderr, "%s: %s\n", clbb_status_string(st), msg);
    return 1;
}

static int write_u8(const char *path, const uint8_t *px, int64_t h, int64_t w, int64_t c) {
    size_t n = (size_t)(h * w * c);
    float *f = malloc(n * sizeof *f);
    if (!f) return fail(CLBB_ERR_OUT_OF_MEMORY, "image_tool");
    for (size_t i = 0; i < n; i++) f[i] = px[i];
    int64_t dims[3] = {h, w, c};
    char msg[512];
    clbb_status st = clbb_npy_write(path, 3, dims, f, msg, sizeof msg);
    free(f);
    return st == CLBB_OK ? 0 : fail(st, msg);
}

int main(int argc, char **argv) {
    char msg[1024] = "";
    clbb_status st;
    if (argc == 4 && !strcmp(argv[1], "decode")) {
        clbb_image img;
        if ((st = clbb_image_read(argv[2], &img, msg, sizeof msg))) return fail(st, msg);
        int rc = write_u8(argv[3], img.data, img.height, img.width, 3);
        clbb_image_free(&img);
        return rc;
    }
    if (argc == 6 && (!strcmp(argv[1], "resize") || !strcmp(argv[1], "resize_raw"))) {
        int32_t w = atoi(argv[3]), h = atoi(argv[4]), sw, sh, c;
        uint8_t *src;
        clbb_image img = {0};
        if (!strcmp(argv[1], "resize")) {
            if ((st = clbb_image_read(argv[2], &img, msg, sizeof msg))) return fail(st, msg);
            src = img.data, sw = img.width, sh = img.height, c = 3;
        } else {
            clbb_npy_array a;
            if ((st = clbb_npy_read(argv[2], &a, msg, sizeof msg))) return fail(st, msg);
            if (a.ndim != 3) return fail(CLBB_ERR_SHAPE, "resize_raw wants HxWxC");
            sh = (int32_t)a.dims[0], sw = (int32_t)a.dims[1], c = (int32_t)a.dims[2];
            size_t n = (size_t)sh * (size_t)sw * (size_t)c;
            src = malloc(n);
            for (size_t i = 0; src && i < n; i++) src[i] = (uint8_t)a.data[i];
            clbb_npy_array_free(&a);
            img.data = src;
        }
        uint8_t *dst = malloc((size_t)w * (size_t)h * (size_t)c + 1);
        st = dst ? clbb_image_resize_u8(src, sw, sh, c, dst, w, h, msg, sizeof msg)
                 : CLBB_ERR_OUT_OF_MEMORY;
        int rc = st ? fail(st, msg) : write_u8(argv[5], dst, h, w, c);
        free(dst);
        clbb_image_free(&img);
        return rc;
    }
    if (argc == 9 && !strcmp(argv[1], "pipeline")) {
        clbb_image_pipeline p;
        clbb_image_pipeline_init(&p);
        p.scale_w = atoi(argv[3]);
        p.scale_h = atoi(argv[4]);
        p.keep_ratio = atoi(argv[5]);
        p.pad_divisor = atoi(argv[6]);
        p.preprocess = (clbb_preprocess)atoi(argv[7]);
        clbb_npy_array x;
        if ((st = clbb_image_load(argv[2], &p, &x, msg, sizeof msg))) return fail(st, msg);
        st = clbb_npy_write(argv[8], x.ndim, x.dims, x.data, msg, sizeof msg);
        clbb_npy_array_free(&x);
        return st ? fail(st, msg) : 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "visualize")) {
        int n = argc - 3;
        clbb_npy_array lv[16];
        if (n > 16) return fail(CLBB_ERR_INVALID_ARGUMENT, "at most 16 levels");
        int rc = 0, got = 0;
        for (; got < n; got++)
            if ((st = clbb_npy_read(argv[3 + got], &lv[got], msg, sizeof msg))) {
                rc = fail(st, msg);
                break;
            }
        if (!rc && (st = clbb_features_visualize(argv[2], n, lv, 8, msg, sizeof msg)))
            rc = fail(st, msg);
        for (int i = 0; i < got; i++) clbb_npy_array_free(&lv[i]);
        return rc;
    }
    fprintf(stderr, "usage: see the comment at the top of tests/image_tool.c\n");
    return 2;
}
