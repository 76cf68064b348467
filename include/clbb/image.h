/**
 * @file clbb/image.h
 * @brief Images in, pictures out: PNG/JPEG decoding, MMDetection's test
 *        pipeline (resize, normalize, pad) and feature-map heat maps.
 *
 * The decoders are written for untrusted input: libpng's and libjpeg's
 * errors come back as CLBB_ERR_FORMAT with their message (nothing leaked),
 * a size above ::CLBB_IMAGE_MAX_SIDE per side or ::CLBB_IMAGE_MAX_PIXELS in
 * all is refused before any pixel buffer is allocated, and a truncated file
 * is an error rather than a partly grey picture. Decoding matches
 * OpenCV's `cv2.imread(path, cv2.IMREAD_COLOR)` (what mmcv.imread calls)
 * with the channels in RGB order; resizing matches `cv2.resize(...,
 * interpolation=cv2.INTER_LINEAR)` on 8-bit images. docs/images.md has
 * the details.
 *
 * Like the rest of the io layer these functions need no OpenCL context;
 * they take an optional error buffer (NULL or size 0: no message) and are
 * thread-safe (no global state).
 */
#ifndef CLBB_IMAGE_H
#define CLBB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest accepted width or height of a decoded image. */
#define CLBB_IMAGE_MAX_SIDE 65535
/** Largest accepted width * height (128 Mpixel: 384 MiB of RGB). */
#define CLBB_IMAGE_MAX_PIXELS (1L << 27)

/** A decoded 8-bit image. */
typedef struct clbb_image {
    int32_t width;    /**< pixels per row */
    int32_t height;   /**< rows */
    int32_t channels; /**< always 3 after decoding: RGB, 8-bit, row-major HWC */
    uint8_t *data;    /**< malloc'ed; free with clbb_image_free() */
} clbb_image;

/**
 * Decodes PNG or JPEG bytes (recognised by their signature, not by a name)
 * to 8-bit RGB, as OpenCV's imread(IMREAD_COLOR) does: grey expanded to
 * three equal channels, palettes expanded, alpha (and tRNS) dropped without
 * compositing, 16-bit samples reduced to their high byte, PNG interlacing
 * undone; for JPEG, grey, YCbCr/RGB, and CMYK/YCCK (converted with
 * OpenCV's formula: R = K - (255 - C) * K / 256, ...), then the EXIF
 * orientation of the first APP1 segment, when it is an Exif one (IFD0 tag
 * 0x0112, values 1-8; a missing, malformed or other value means 1) applied.
 * A PNG's eXIf chunk is ignored, as OpenCV 4.6 ignores it.
 * @param bytes the file's bytes (not kept; may be NULL when length is 0).
 * @param length number of bytes.
 * @param out zeroed first; on success owns the pixels (clbb_image_free()).
 * @param errbuf receives a message naming the problem (NULL: none).
 * @param errbuf_size size of errbuf in bytes (0: no message).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (out NULL, bytes NULL with a
 *         length); CLBB_ERR_FORMAT (neither PNG nor JPEG, truncated or
 *         corrupt data, a size of 0 or above the limits, a JPEG colour
 *         space other than grey/YCbCr/RGB/CMYK/YCCK, more than 500
 *         progressive scans); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_image_decode(const void *bytes, size_t length, clbb_image *out,
                                       char *errbuf, size_t errbuf_size);

/** Reads and decodes an image file (see clbb_image_decode(); the message
 *  is prefixed with the path).
 *  @param path the file (a regular file; read into memory once).
 *  @param out zeroed first; on success owns the pixels (clbb_image_free()).
 *  @param errbuf receives a message naming the file (NULL: none).
 *  @param errbuf_size size of errbuf in bytes (0: no message).
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path or out NULL);
 *          CLBB_ERR_IO (cannot be opened or read, not a regular file);
 *          CLBB_ERR_FORMAT (as clbb_image_decode()); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_image_read(const char *path, clbb_image *out, char *errbuf,
                                     size_t errbuf_size);

/** Frees the pixels of an image and zeroes it.
 *  @param image an image filled by clbb_image_decode() or clbb_image_read(),
 *         or a zeroed one; NULL: no-op. */
CLBB_API void clbb_image_free(clbb_image *image);

/** Normalization presets (SPEC §4). */
typedef enum clbb_preprocess {
    CLBB_PREPROCESS_PYTORCH = 0, /**< RGB, mean 123.675,116.28,103.53 std 58.395,57.12,57.375 */
    CLBB_PREPROCESS_CAFFE = 1,   /**< BGR, mean 103.530,116.280,123.675 std 1,1,1 */
    CLBB_PREPROCESS_DETECTRON2_X101 = 2 /**< BGR, mean 103.530,116.280,123.675
                                             std 57.375,57.120,58.395 */
} clbb_preprocess;

/**
 * MMDetection's test pipeline: Resize(scale=(scale_w, scale_h), keep_ratio)
 * with mmcv's rule and cv2.INTER_LINEAR, Normalize(mean, std, to_rgb),
 * Pad(size_divisor) with zeros (after normalization, as mmdet's data
 * preprocessor pads).
 */
typedef struct clbb_image_pipeline {
    int32_t scale_w;          /**< Resize scale width; 0 (with scale_h 0): no resize. mmdet: 1333 */
    int32_t scale_h;          /**< Resize scale height; mmdet: 800 */
    int keep_ratio;           /**< 1: mmcv.imrescale rule; 0: exact scale_w x scale_h */
    int32_t pad_divisor;      /**< 0 or 1: no padding; 32 in mmdet */
    clbb_preprocess preprocess; /**< normalization preset (channel order, mean, std) */
} clbb_image_pipeline;

/** Fills the defaults: 1333x800, keep_ratio 1, pad_divisor 32, pytorch.
 *  @param p the options to fill; NULL: no-op. */
CLBB_API void clbb_image_pipeline_init(clbb_image_pipeline *p);

/**
 * Runs the pipeline on a decoded image. With keep_ratio the scale factor is
 * s = min(max(scale) / max(w, h), min(scale) / min(w, h)) and the size
 * (int(w * s + 0.5), int(h * s + 0.5)) (mmcv.rescale_size); without it the
 * size is scale_w x scale_h. Normalization is done in float32 as
 * (x - mean) / std in the preset's channel order; padding adds zero rows
 * and columns at the bottom and right up to a multiple of pad_divisor.
 * @param image a decoded RGB image (channels 3); not modified.
 * @param p the pipeline options (clbb_image_pipeline_init() for mmdet's).
 * @param out zeroed first; on success float32 NCHW (1, 3, H, W), ndim 4;
 *        free with clbb_npy_array_free().
 * @param errbuf receives a message naming the problem (NULL: none).
 * @param errbuf_size size of errbuf in bytes (0: no message).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (a NULL argument, an image
 *         without pixels or with channels other than 3, a negative scale or
 *         only one of scale_w/scale_h zero, a pad_divisor outside 0..4096,
 *         an unknown preset, a result side below 1 or above
 *         ::CLBB_IMAGE_MAX_SIDE, a result above ::CLBB_IMAGE_MAX_PIXELS);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_image_preprocess(const clbb_image *image, const clbb_image_pipeline *p,
                                           clbb_npy_array *out, char *errbuf, size_t errbuf_size);

/** clbb_image_read() then clbb_image_preprocess().
 *  @param path the image file.
 *  @param p the pipeline options.
 *  @param out zeroed first; on success the 1x3xHxW input (clbb_npy_array_free()).
 *  @param errbuf receives a message naming the file or option (NULL: none).
 *  @param errbuf_size size of errbuf in bytes (0: no message).
 *  @return any status of those two. */
CLBB_API clbb_status clbb_image_load(const char *path, const clbb_image_pipeline *p,
                                     clbb_npy_array *out, char *errbuf, size_t errbuf_size);

/**
 * Resizes 8-bit interleaved pixels as cv2.resize(INTER_LINEAR) does:
 * half-pixel centres, clamped borders, 11-bit fixed-point weights (and
 * OpenCV's 2x2 box average for an exact halving).
 * @param src src_w * src_h * channels bytes, row-major, interleaved.
 * @param src_w source width.
 * @param src_h source height.
 * @param channels interleaved channels, 1..4.
 * @param dst dst_w * dst_h * channels bytes, not overlapping src.
 * @param dst_w output width.
 * @param dst_h output height.
 * @param errbuf receives a message naming the problem (NULL: none).
 * @param errbuf_size size of errbuf in bytes (0: no message).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL pointers, a size below 1
 *         or above ::CLBB_IMAGE_MAX_SIDE, channels outside 1..4);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_image_resize_u8(const uint8_t *src, int32_t src_w, int32_t src_h,
                                          int32_t channels, uint8_t *dst, int32_t dst_w,
                                          int32_t dst_h, char *errbuf, size_t errbuf_size);

/**
 * Writes 8-bit RGB (channels 3) or grey (channels 1) as PNG. The file is
 * written to a temporary name and renamed, so a failure leaves no partial
 * file.
 * @param path the PNG file to write (replaced if it exists).
 * @param width image width.
 * @param height image height.
 * @param channels 3 (RGB) or 1 (grey).
 * @param pixels width * height * channels bytes, row-major, interleaved.
 * @param errbuf receives a message naming the problem (NULL: none).
 * @param errbuf_size size of errbuf in bytes (0: no message).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path NULL or "", pixels NULL,
 *         a size below 1 or above ::CLBB_IMAGE_MAX_SIDE, channels not 1 or
 *         3); CLBB_ERR_IO (the temporary file cannot be created, written or
 *         renamed); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_png_write(const char *path, int32_t width, int32_t height,
                                    int32_t channels, const uint8_t *pixels, char *errbuf,
                                    size_t errbuf_size);

/**
 * Writes a heat-map grid of feature maps as an RGB PNG: one row per level
 * (levels[i]: float32 NCHW, batch 0 shown), its first min(C, max_channels)
 * channels side by side, each normalised to its own min..max and coloured
 * with the viridis map; every tile is scaled by nearest neighbour to a
 * common size (the largest level's H x W, shrunk so that the picture stays
 * within 4096 x 4096, at least 8 x 8), with 1-pixel black separators.
 * Non-finite values are drawn black; a constant channel at the map's low end.
 * @param path the PNG file to write (temporary file + rename).
 * @param num_levels number of levels, 1..16 (one row each).
 * @param levels the feature maps (not modified; the caller keeps them).
 * @param max_channels channels drawn per level, 1..256.
 * @param errbuf receives a message naming the problem (NULL: none).
 * @param errbuf_size size of errbuf in bytes (0: no message).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path or levels NULL,
 *         num_levels outside 1..16, max_channels outside 1..256, a level
 *         that is not rank 4 with positive dimensions or has no data);
 *         CLBB_ERR_IO, CLBB_ERR_OUT_OF_MEMORY (as clbb_png_write()).
 */
CLBB_API clbb_status clbb_features_visualize(const char *path, int num_levels,
                                             const clbb_npy_array *levels, int max_channels,
                                             char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_IMAGE_H */
