/* libFuzzer target for the PNG and JPEG decoders (and, on what decodes,
 * the resize and pipeline): any input must either decode into an image
 * whose every pixel is readable, or fail with CLBB_ERR_FORMAT and a
 * message, with nothing allocated, leaked or undefined. The pixel limit is
 * 4 Mpixel, as libjpeg-turbo's own fuzzers cap theirs, so that no input
 * spends seconds on a huge (valid) picture. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "clbb/image.h"
#include "io/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clbb_image img;
    char err[512];
    clbb_status st = clbb__image_decode_limited(data, size, (uint64_t)1 << 22, &img, err,
                                                sizeof err);
    if (st != CLBB_OK) {
        if (st != CLBB_ERR_FORMAT || err[0] == '\0' || img.data != NULL) abort();
        return 0;
    }
    if (img.channels != 3 || img.width < 1 || img.height < 1) abort();
    volatile unsigned sink = 0;
    size_t n = (size_t)img.width * (size_t)img.height * 3;
    for (size_t i = 0; i < n; i++) sink += img.data[i];
    (void)sink;
    /* the resize of an odd size (keep ratio into 61x37, padded to 8) */
    clbb_image_pipeline p;
    clbb_image_pipeline_init(&p);
    p.scale_w = 61;
    p.scale_h = 37;
    p.pad_divisor = 8;
    clbb_npy_array x;
    st = clbb_image_preprocess(&img, &p, &x, err, sizeof err);
    /* an extreme aspect ratio can round a side to 0: refused, not a crash */
    if (st != CLBB_OK && st != CLBB_ERR_INVALID_ARGUMENT) abort();
    clbb_npy_array_free(&x);
    clbb_image_free(&img);
    return 0;
}
