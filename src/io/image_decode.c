/* Image decoding entry points: format detection by signature, the size
 * limits every decoder applies before allocating, file reads. */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

clbb_status clbb__image_check_size(const char *format, uint64_t width, uint64_t height,
                                   uint64_t max_pixels, char *errbuf, size_t errbuf_size) {
    if (width < 1 || height < 1)
        return clbb__format_fail(errbuf, errbuf_size, format, "empty image (%llux%llu)",
                                 (unsigned long long)width, (unsigned long long)height);
    if (width > CLBB_IMAGE_MAX_SIDE || height > CLBB_IMAGE_MAX_SIDE || width * height > max_pixels)
        return clbb__format_fail(errbuf, errbuf_size, format,
                                 "image of %llux%llu pixels is larger than the limit (%d per side, "
                                 "%llu pixels)",
                                 (unsigned long long)width, (unsigned long long)height,
                                 CLBB_IMAGE_MAX_SIDE, (unsigned long long)max_pixels);
    return CLBB_OK;
}

clbb_status clbb__image_decode_limited(const void *bytes, size_t length, uint64_t max_pixels,
                                       clbb_image *out, char *errbuf, size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (!out)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_decode: out is NULL");
    memset(out, 0, sizeof *out);
    if (!bytes && length)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_decode: bytes is NULL with a length of %zu", length);
    const uint8_t *b = bytes;
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (length >= 8 && !memcmp(b, png_sig, 8))
        return clbb__png_decode(b, length, max_pixels, out, errbuf, errbuf_size);
    if (length >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return clbb__jpeg_decode(b, length, max_pixels, out, errbuf, errbuf_size);
    return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_FORMAT,
                          "image: not a PNG or JPEG file (%zu bytes; no PNG or JPEG signature)",
                          length);
}

CLBB_API clbb_status clbb_image_decode(const void *bytes, size_t length, clbb_image *out,
                                       char *errbuf, size_t errbuf_size) {
    return clbb__image_decode_limited(bytes, length, CLBB_IMAGE_MAX_PIXELS, out, errbuf,
                                      errbuf_size);
}

CLBB_API clbb_status clbb_image_read(const char *path, clbb_image *out, char *errbuf,
                                     size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_image_read: %s is NULL", path ? "out" : "path");
    uint8_t *bytes = NULL;
    size_t len = 0;
    clbb_status st = clbb__io_read_file(path, &bytes, &len, errbuf, errbuf_size);
    if (st != CLBB_OK) return st;
    char msg[1024] = "";
    st = clbb_image_decode(bytes, len, out, msg, sizeof msg);
    free(bytes);
    if (st != CLBB_OK) clbb__fail_buf(errbuf, errbuf_size, st, "%s: %s", path, msg);
    return st;
}

CLBB_API void clbb_image_free(clbb_image *image) {
    if (!image) return;
    free(image->data);
    memset(image, 0, sizeof *image);
}
