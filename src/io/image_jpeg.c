/* JPEG decoding with libjpeg(-turbo), set up as OpenCV's JpegDecoder does
 * for IMREAD_COLOR: grey, YCbCr and RGB files decoded to RGB by libjpeg,
 * CMYK and YCCK files to CMYK and then to RGB with OpenCV's formula, then
 * the EXIF orientation applied as cv::imread applies it.
 *
 * Unlike OpenCV, data that ends early (after which libjpeg pads the picture
 * with grey) is an error: a truncated file must not turn into a plausible
 * input. The source manager ends the input with a silent EOI marker; then a
 * scan that needed more data warns JWRN_HIT_MARKER (refused), and a file of
 * several scans (progressive) whose end came before its own EOI is refused
 * too, as it may have lost whole scans. A single-scan file missing only its
 * EOI decodes, as in OpenCV. Errors come by longjmp; what is allocated
 * meanwhile lives in the reader struct and the caller frees it. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image_internal.h"

/* libjpeg-turbo's own fuzzers stop at 500 scans: a progressive file can
 * otherwise repeat cheap scans over a large picture for minutes. */
#define JPEG_MAX_SCANS 500

typedef struct jpeg_reader {
    struct jpeg_error_mgr err; /* first: libjpeg hands back a pointer to it */
    struct jpeg_progress_mgr progress;
    struct jpeg_source_mgr src;
    int eof_hit; /* the input ended before an EOI marker */
    struct jpeg_decompress_struct cinfo;
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX + 64];
    uint8_t *pixels, *row;
    int created;
} jpeg_reader;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_reader *r = (jpeg_reader *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, r->msg);
    longjmp(r->jmp, 1);
}

static void on_emit(j_common_ptr cinfo, int level) {
    jpeg_reader *r = (jpeg_reader *)cinfo->err;
    if (level != -1) return; /* trace messages */
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) {
        char m[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, m);
        snprintf(r->msg, sizeof r->msg, "truncated data (%s)", m);
        longjmp(r->jmp, 1);
    }
    /* other corrupt-data warnings (extraneous bytes, a bad Huffman code)
     * are tolerated, as OpenCV tolerates them */
}

static void on_output(j_common_ptr cinfo) { (void)cinfo; }

static const JOCTET fake_eoi[2] = {0xff, JPEG_EOI};

static void src_init(j_decompress_ptr cinfo) { (void)cinfo; }
static void src_term(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean src_fill(j_decompress_ptr cinfo) {
    jpeg_reader *r = (jpeg_reader *)cinfo->err;
    r->eof_hit = 1;
    cinfo->src->next_input_byte = fake_eoi;
    cinfo->src->bytes_in_buffer = sizeof fake_eoi;
    return TRUE;
}

static void src_skip(j_decompress_ptr cinfo, long n) {
    struct jpeg_source_mgr *src = cinfo->src;
    if (n <= 0) return;
    if ((size_t)n > src->bytes_in_buffer) {
        src_fill(cinfo);
        return;
    }
    src->next_input_byte += n;
    src->bytes_in_buffer -= (size_t)n;
}

static void on_progress(j_common_ptr cinfo) {
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    jpeg_reader *r = (jpeg_reader *)cinfo->err;
    if (d->input_scan_number > JPEG_MAX_SCANS) {
        snprintf(r->msg, sizeof r->msg, "more than %d progressive scans", JPEG_MAX_SCANS);
        longjmp(r->jmp, 1);
    }
}

/* OpenCV's icvCvt_CMYK2BGR_8u_C4C3R, writing RGB. */
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t width) {
    for (size_t i = 0; i < width; i++, cmyk += 4, rgb += 3) {
        int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        rgb[0] = (uint8_t)(k - ((255 - c) * k >> 8));
        rgb[1] = (uint8_t)(k - ((255 - m) * k >> 8));
        rgb[2] = (uint8_t)(k - ((255 - y) * k >> 8));
    }
}

/* Like OpenCV, only the first APP1 segment counts (an XMP segment before
 * the Exif one hides it from OpenCV too). */
static int find_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1)
            return m->data_length >= 6 && !memcmp(m->data, "Exif\0\0", 6)
                       ? clbb__exif_orientation(m->data + 6, m->data_length - 6)
                       : 1;
    return 1;
}

static const char *space_name(J_COLOR_SPACE s) {
    switch (s) {
    case JCS_GRAYSCALE: return "grey";
    case JCS_RGB: return "RGB";
    case JCS_YCbCr: return "YCbCr";
    case JCS_CMYK: return "CMYK";
    case JCS_YCCK: return "YCCK";
    default: return NULL;
    }
}

/* Everything between setjmp and a libjpeg error lives in *r. */
static clbb_status jpeg_run(jpeg_reader *r, const uint8_t *bytes, size_t length,
                            uint64_t max_pixels, clbb_image *out, int *orientation, char *errbuf,
                            size_t errbuf_size) {
    j_decompress_ptr c = &r->cinfo;
    if (setjmp(r->jmp)) return clbb__format_fail(errbuf, errbuf_size, "jpeg", "%s", r->msg);
    jpeg_create_decompress(c);
    r->created = 1;
    /* coefficient buffers of progressive files are the big allocation:
     * bounded by what a picture within the limit needs */
    c->mem->max_memory_to_use = (long)(max_pixels * 8 + (64L << 20));
    r->progress.progress_monitor = on_progress;
    c->progress = &r->progress;
    r->src.init_source = src_init;
    r->src.fill_input_buffer = src_fill;
    r->src.skip_input_data = src_skip;
    r->src.resync_to_restart = jpeg_resync_to_restart;
    r->src.term_source = src_term;
    r->src.next_input_byte = bytes;
    r->src.bytes_in_buffer = length;
    c->src = &r->src;
    jpeg_save_markers(c, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(c, TRUE);
    clbb_status st = clbb__image_check_size("jpeg", c->image_width, c->image_height, max_pixels,
                                            errbuf, errbuf_size);
    if (st != CLBB_OK) return st;
    const char *space = space_name(c->jpeg_color_space);
    if (!space)
        return clbb__format_fail(errbuf, errbuf_size, "jpeg",
                                 "unsupported colour space (%d components, libjpeg space %d): "
                                 "only grey, YCbCr, RGB, CMYK and YCCK are decoded",
                                 c->num_components, (int)c->jpeg_color_space);
    int cmyk = c->num_components == 4;
    c->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    *orientation = find_orientation(c);
    jpeg_start_decompress(c);
    size_t w = c->output_width, h = c->output_height;
    if ((int)c->output_components != (cmyk ? 4 : 3) || w != c->image_width || h != c->image_height)
        return clbb__format_fail(errbuf, errbuf_size, "jpeg", "unexpected %s output layout",
                                 space);
    r->pixels = malloc(w * h * 3);
    r->row = cmyk ? malloc(w * 4) : NULL;
    if (!r->pixels || (cmyk && !r->row))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "jpeg: cannot allocate %zux%zu pixels", w, h);
    while (c->output_scanline < h) {
        uint8_t *dst = r->pixels + (size_t)c->output_scanline * w * 3;
        JSAMPROW rowp = cmyk ? r->row : dst;
        if (jpeg_read_scanlines(c, &rowp, 1) != 1)
            return clbb__format_fail(errbuf, errbuf_size, "jpeg", "truncated data at row %u",
                                     (unsigned)c->output_scanline);
        if (cmyk) cmyk_to_rgb(r->row, dst, w);
    }
    if (r->eof_hit && jpeg_has_multiple_scans(c))
        return clbb__format_fail(errbuf, errbuf_size, "jpeg",
                                 "truncated data (a file of several scans ends before its EOI "
                                 "marker)");
    /* like OpenCV, stop after the last row: what follows EOI is not read */
    out->width = (int32_t)w;
    out->height = (int32_t)h;
    out->channels = 3;
    out->data = r->pixels;
    r->pixels = NULL;
    return CLBB_OK;
}

clbb_status clbb__jpeg_decode(const uint8_t *bytes, size_t length, uint64_t max_pixels,
                              clbb_image *out, char *errbuf, size_t errbuf_size) {
    jpeg_reader *r = calloc(1, sizeof *r);
    if (!r)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "jpeg: cannot allocate the decoder");
    r->cinfo.err = jpeg_std_error(&r->err);
    r->err.error_exit = on_error_exit;
    r->err.emit_message = on_emit;
    r->err.output_message = on_output;
    int orientation = 1;
    clbb_status st = jpeg_run(r, bytes, length, max_pixels, out, &orientation, errbuf, errbuf_size);
    if (r->created) jpeg_destroy_decompress(&r->cinfo);
    free(r->pixels);
    free(r->row);
    free(r);
    if (st == CLBB_OK && orientation != 1) {
        st = clbb__image_orient(out, orientation, errbuf, errbuf_size);
        if (st != CLBB_OK) clbb_image_free(out);
    }
    return st;
}
