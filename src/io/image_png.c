/* PNG decoding with libpng, set up as OpenCV's PngDecoder does for
 * IMREAD_COLOR (16-bit stripped to the high byte, alpha stripped, palette
 * and low-bit grey expanded, grey to RGB, interlacing undone), in RGB order.
 *
 * libpng reports errors by longjmp: what is allocated meanwhile is kept in
 * the reader struct, so the caller frees it on every path. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

typedef struct png_reader {
    const uint8_t *bytes;
    size_t length, pos;
    char msg[256];
    jmp_buf jmp;
    uint8_t *pixels;
    png_bytep *rows;
} png_reader;

static void on_error(png_structp png, png_const_charp msg) {
    png_reader *r = png_get_error_ptr(png);
    clbb__strlcpy(r->msg, msg ? msg : "libpng error", sizeof r->msg);
    longjmp(r->jmp, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* benign (a bad ancillary chunk, an unknown sRGB profile) */
}

static void on_read(png_structp png, png_bytep dst, size_t n) {
    png_reader *r = png_get_io_ptr(png);
    if (n > r->length - r->pos) png_error(png, "truncated file");
    memcpy(dst, r->bytes + r->pos, n);
    r->pos += n;
}

/* Everything between setjmp and a libpng error lives in *r (not in this
 * function's locals, which a longjmp would leave indeterminate). */
static clbb_status png_run(png_reader *r, png_structp png, png_infop info, uint64_t max_pixels,
                           clbb_image *out, char *errbuf, size_t errbuf_size) {
    if (setjmp(r->jmp)) return clbb__format_fail(errbuf, errbuf_size, "png", "%s", r->msg);
    png_set_read_fn(png, r, on_read);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    clbb_status st = clbb__image_check_size("png", w, h, max_pixels, errbuf, errbuf_size);
    if (st != CLBB_OK) return st;
    if (depth == 16) png_set_strip_16(png);
    png_set_strip_alpha(png);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if ((type & PNG_COLOR_MASK_COLOR) == 0 && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if ((type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != (size_t)w * 3)
        return clbb__format_fail(errbuf, errbuf_size, "png",
                                 "unexpected layout after conversion (colour type %d, depth %d)",
                                 type, depth);
    r->pixels = malloc((size_t)w * h * 3);
    r->rows = malloc(sizeof *r->rows * h);
    if (!r->pixels || !r->rows)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "png: cannot allocate %ux%u pixels", (unsigned)w, (unsigned)h);
    for (png_uint_32 y = 0; y < h; y++) r->rows[y] = r->pixels + (size_t)y * w * 3;
    png_read_image(png, r->rows);
    /* the trailer after the image data (IEND) is not read: OpenCV does not
     * need it either */
    out->width = (int32_t)w;
    out->height = (int32_t)h;
    out->channels = 3;
    out->data = r->pixels;
    r->pixels = NULL;
    return CLBB_OK;
}

clbb_status clbb__png_decode(const uint8_t *bytes, size_t length, uint64_t max_pixels,
                             clbb_image *out, char *errbuf, size_t errbuf_size) {
    png_reader r = {.bytes = bytes, .length = length};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "png: cannot allocate the decoder");
    }
    clbb_status st = png_run(&r, png, info, max_pixels, out, errbuf, errbuf_size);
    png_destroy_read_struct(&png, &info, NULL);
    free(r.rows);
    free(r.pixels);
    return st;
}
