/* PNG writer (8-bit RGB or grey) through libpng, into a temporary file
 * renamed over the target, so that a failure leaves no partial file. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

typedef struct png_writer {
    jmp_buf jmp;
    char msg[256];
} png_writer;

static void on_error(png_structp png, png_const_charp msg) {
    png_writer *w = png_get_error_ptr(png);
    clbb__strlcpy(w->msg, msg ? msg : "libpng error", sizeof w->msg);
    longjmp(w->jmp, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

/* The setjmp lives here, with nothing changed after it in this frame. */
static int write_rows(png_writer *w, png_structp png, png_infop info, FILE *f, int32_t width,
                      int32_t height, int32_t channels, const uint8_t *pixels) {
    if (setjmp(w->jmp)) return -1;
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int32_t y = 0; y < height; y++)
        png_write_row(png, pixels + (size_t)y * (size_t)width * (size_t)channels);
    png_write_end(png, NULL);
    return 0;
}

CLBB_API clbb_status clbb_png_write(const char *path, int32_t width, int32_t height,
                                    int32_t channels, const uint8_t *pixels, char *errbuf,
                                    size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (!path || !path[0] || !pixels)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_png_write: %s", !pixels ? "pixels is NULL" : "no path");
    if (width < 1 || height < 1 || width > CLBB_IMAGE_MAX_SIDE || height > CLBB_IMAGE_MAX_SIDE ||
        (channels != 1 && channels != 3))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_png_write: '%s': %dx%d with %d channels (sides 1..%d, "
                              "channels 1 or 3)",
                              path, width, height, channels, CLBB_IMAGE_MAX_SIDE);
    png_writer w = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "clbb_png_write: cannot allocate the encoder");
    }
    clbb__io_atomic_file af;
    clbb_status st = clbb__io_atomic_open(path, &af, errbuf, errbuf_size);
    if (st == CLBB_OK) {
        if (write_rows(&w, png, info, af.f, width, height, channels, pixels) != 0) {
            clbb__io_atomic_abort(&af);
            st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot write '%s': %s", path,
                                w.msg);
        } else {
            st = clbb__io_atomic_commit(&af, path, errbuf, errbuf_size);
        }
    }
    png_destroy_write_struct(&png, &info);
    return st;
}
