/* EXIF orientation: the IFD0 Orientation tag of a JPEG's APP1 Exif
 * segment, read with every offset checked against the segment, and its
 * application as OpenCV's ApplyExifOrientation does (flips and transposes;
 * mmcv.imread gets exactly this from cv2.imread with IMREAD_COLOR). */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

static unsigned get16(const uint8_t *p, int big) {
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t get32(const uint8_t *p, int big) {
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int clbb__exif_orientation(const uint8_t *tiff, size_t length) {
    if (!tiff || length < 8) return 1;
    int big;
    if (tiff[0] == 'I' && tiff[1] == 'I') big = 0;
    else if (tiff[0] == 'M' && tiff[1] == 'M') big = 1;
    else return 1;
    if (get16(tiff + 2, big) != 42) return 1;
    uint32_t ifd = get32(tiff + 4, big);
    if (ifd > length || length - ifd < 2) return 1;
    unsigned count = get16(tiff + ifd, big);
    size_t entries = ifd + 2;
    for (unsigned i = 0; i < count; i++) {
        size_t e = entries + (size_t)i * 12;
        if (e > length || length - e < 12) return 1;
        if (get16(tiff + e, big) == 0x0112) {
            /* like OpenCV, the first 16 bits of the value field whatever
             * the declared type (it is SHORT in every writer we know) */
            unsigned v = get16(tiff + e + 8, big);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
}

clbb_status clbb__image_orient(clbb_image *image, int orientation, char *errbuf,
                               size_t errbuf_size) {
    if (orientation <= 1 || orientation > 8) return CLBB_OK;
    size_t w = (size_t)image->width, h = (size_t)image->height;
    int swap = orientation >= 5;
    size_t ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *dst = malloc(w * h * 3);
    if (!dst)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "image: cannot allocate %zux%zu pixels to orient", ow, oh);
    const uint8_t *src = image->data;
    for (size_t y = 0; y < oh; y++)
        for (size_t x = 0; x < ow; x++) {
            size_t sx, sy; /* source column and row */
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;             /* flip(1) */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;     /* flip(-1) */
            case 4: sx = x; sy = h - 1 - y; break;             /* flip(0) */
            case 5: sx = y; sy = x; break;                     /* transpose */
            case 6: sx = y; sy = h - 1 - x; break;             /* transpose, flip(1) */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;     /* transpose, flip(-1) */
            default: sx = w - 1 - y; sy = x; break;            /* 8: transpose, flip(0) */
            }
            memcpy(dst + (y * ow + x) * 3, src + (sy * w + sx) * 3, 3);
        }
    free(image->data);
    image->data = dst;
    image->width = (int32_t)ow;
    image->height = (int32_t)oh;
    return CLBB_OK;
}
