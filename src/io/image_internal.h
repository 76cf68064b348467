/* Shared by the image decoders, the pipeline and the PNG writer. */
#ifndef CLBB_IMAGE_INTERNAL_H
#define CLBB_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "clbb/image.h"
#include "io_internal.h"

/* The decoders' size check, before any pixel buffer: each side 1..max_side
 * and width * height <= max_pixels. CLBB_ERR_FORMAT naming the format. */
clbb_status clbb__image_check_size(const char *format, uint64_t width, uint64_t height,
                                   uint64_t max_pixels, char *errbuf, size_t errbuf_size);

/* clbb_image_decode() with a smaller pixel limit (the fuzz target keeps
 * every input fast with it, as libjpeg-turbo's own fuzzers do). */
clbb_status clbb__image_decode_limited(const void *bytes, size_t length, uint64_t max_pixels,
                                       clbb_image *out, char *errbuf, size_t errbuf_size);

clbb_status clbb__png_decode(const uint8_t *bytes, size_t length, uint64_t max_pixels,
                             clbb_image *out, char *errbuf, size_t errbuf_size);
clbb_status clbb__jpeg_decode(const uint8_t *bytes, size_t length, uint64_t max_pixels,
                              clbb_image *out, char *errbuf, size_t errbuf_size);

/* EXIF orientation (1..8) of a TIFF-structured Exif payload (after
 * "Exif\0\0"); 1 when absent or malformed. Every offset is bounds-checked. */
int clbb__exif_orientation(const uint8_t *tiff, size_t length);

/* Applies an EXIF orientation to an RGB image as OpenCV's
 * ApplyExifOrientation does (5..8 swap width and height). */
clbb_status clbb__image_orient(clbb_image *image, int orientation, char *errbuf,
                               size_t errbuf_size);

/* mmcv's output size: rescale_size() when keep_ratio, else the scale. */
void clbb__image_target_size(int32_t w, int32_t h, const clbb_image_pipeline *p, int64_t *out_w,
                             int64_t *out_h);

#endif
