/* Tests of the image API in C (tests/test_image.py compares the pixels
 * with OpenCV): argument checks, PNG write/read round trips, prefixes of
 * valid files (every one must fail cleanly: FORMAT, a message, nothing
 * allocated), the EXIF parser's bounds, orientation, the pipeline's sizes
 * and the feature-map picture. Run under ASan by tests/sanitize.sh. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clbb.h"
#include "io/image_internal.h"

static char dir[64];

static void setup(void) {
    strcpy(dir, "/tmp/clbb_image_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static int count_files(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static const char *demo_path(void) {
    const char *p = getenv("CLBB_DEMO_IMAGE");
    return p ? p : "examples/data/demo.jpg";
}

TestSuite(image, .init = setup, .fini = teardown);

Test(image, argument_checks) {
    char err[256];
    clbb_image img = {1, 1, 3, NULL};
    cr_assert_eq(clbb_image_decode(NULL, 0, NULL, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_decode(NULL, 5, &img, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(img.width, 0, "out zeroed first");
    cr_assert_eq(clbb_image_decode(NULL, 0, &img, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "not a PNG or JPEG"), "%s", err);
    cr_assert_eq(clbb_image_read(NULL, &img, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_read("/nonexistent/x.png", &img, err, sizeof err), CLBB_ERR_IO);
    cr_assert(strstr(err, "/nonexistent/x.png"), "%s", err);
    cr_assert_eq(clbb_image_read("/dev/zero", &img, err, sizeof err), CLBB_ERR_IO);
    clbb_image_free(NULL);
    clbb_image_free(&img);
    uint8_t px[12] = {0}, out[12];
    cr_assert_eq(clbb_image_resize_u8(NULL, 2, 2, 3, out, 1, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_resize_u8(px, 2, 2, 5, out, 1, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_resize_u8(px, 2, 2, 3, out, 0, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_resize_u8(px, 2, 2, 3, out, 70000, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_png_write(NULL, 1, 1, 3, px, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_png_write("", 1, 1, 3, px, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_png_write("/tmp/x.png", 1, 1, 4, px, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_png_write("/tmp/x.png", 0, 1, 3, px, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_png_write("/tmp/x.png", 1, 1, 3, NULL, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    /* no error buffer at all is fine */
    cr_assert_eq(clbb_image_decode("xx", 2, &img, NULL, 0), CLBB_ERR_FORMAT);
}

Test(image, png_round_trip_and_prefixes) {
    enum { W = 19, H = 13 };
    uint8_t rgb[W * H * 3], grey[W * H];
    for (int i = 0; i < W * H * 3; i++) rgb[i] = (uint8_t)(i * 37 + 11);
    for (int i = 0; i < W * H; i++) grey[i] = (uint8_t)(i * 13);
    char p[256], err[512];
    snprintf(p, sizeof p, "%s/rgb.png", dir);
    cr_assert_eq(clbb_png_write(p, W, H, 3, rgb, err, sizeof err), CLBB_OK, "%s", err);
    clbb_image img;
    cr_assert_eq(clbb_image_read(p, &img, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert(img.width == W && img.height == H && img.channels == 3);
    cr_assert_eq(memcmp(img.data, rgb, sizeof rgb), 0);
    clbb_image_free(&img);
    cr_assert_null(img.data);
    snprintf(p, sizeof p, "%s/grey.png", dir);
    cr_assert_eq(clbb_png_write(p, W, H, 1, grey, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(clbb_image_read(p, &img, err, sizeof err), CLBB_OK, "%s", err);
    for (int i = 0; i < W * H; i++)
        cr_assert(img.data[3 * i] == grey[i] && img.data[3 * i + 1] == grey[i] &&
                  img.data[3 * i + 2] == grey[i], "grey expanded at %d", i);
    clbb_image_free(&img);
    size_t len;
    uint8_t *bytes = read_all(p, &len);
    /* everything up to the last image data is needed; the IEND trailer is not */
    for (size_t n = 0; n + 12 < len; n++) {
        err[0] = '\0';
        clbb_status st = clbb_image_decode(bytes, n, &img, err, sizeof err);
        cr_assert_eq(st, CLBB_ERR_FORMAT, "prefix of %zu bytes: status %d", n, st);
        cr_assert(err[0] != '\0' && img.data == NULL, "prefix of %zu bytes", n);
    }
    free(bytes);
    cr_assert_eq(count_files(), 2, "no temporary files left");
}

Test(image, png_write_failures_leave_nothing) {
    uint8_t px[3] = {1, 2, 3};
    char p[256], err[512];
    snprintf(p, sizeof p, "%s/missing/dir/out.png", dir);
    cr_assert_eq(clbb_png_write(p, 1, 1, 3, px, err, sizeof err), CLBB_ERR_IO);
    cr_assert(strstr(err, "out.png"), "%s", err);
    cr_assert_eq(count_files(), 0);
    clbb_npy_array lv = {4, {1, 1, 2, 2}, (float[]){1, 2, 3, 4}};
    cr_assert_eq(clbb_features_visualize(p, 1, &lv, 4, err, sizeof err), CLBB_ERR_IO);
    cr_assert_eq(count_files(), 0);
}

Test(image, jpeg_prefixes_fail_cleanly) {
    size_t len;
    uint8_t *bytes = read_all(demo_path(), &len);
    clbb_image img;
    char err[512];
    cr_assert_eq(clbb_image_decode(bytes, len, &img, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert(img.width == 320 && img.height == 375, "%dx%d", img.width, img.height);
    clbb_image_free(&img);
    /* every header prefix, then a sample of the entropy-coded data */
    for (size_t n = 0; n + 2 < len; n += n < 700 ? 1 : 397) {
        err[0] = '\0';
        clbb_status st = clbb_image_decode(bytes, n, &img, err, sizeof err);
        cr_assert_eq(st, CLBB_ERR_FORMAT, "prefix of %zu bytes: status %d (%s)", n, st, err);
        cr_assert(err[0] != '\0' && img.data == NULL, "prefix of %zu bytes", n);
    }
    /* only the EOI marker missing: a single-scan file decodes (as in OpenCV) */
    cr_assert_eq(clbb_image_decode(bytes, len - 2, &img, err, sizeof err), CLBB_OK, "%s", err);
    clbb_image_free(&img);
    free(bytes);
}

Test(image, exif_parser_bounds) {
    /* II, 42, IFD at 8, one entry: Orientation SHORT 1 = 6 */
    uint8_t t[26] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0};
    cr_assert_eq(clbb__exif_orientation(t, sizeof t), 6);
    for (size_t n = 0; n < 22; n++) cr_assert_eq(clbb__exif_orientation(t, n), 1, "length %zu", n);
    uint8_t m[26] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 3, 0, 0};
    cr_assert_eq(clbb__exif_orientation(m, sizeof m), 3);
    m[7] = 0xf0; /* IFD past the end */
    cr_assert_eq(clbb__exif_orientation(m, sizeof m), 1);
    m[7] = 8;
    m[8] = m[9] = 0xff; /* 65535 entries in 26 bytes, none of them the tag */
    m[11] = 0x13;
    cr_assert_eq(clbb__exif_orientation(m, sizeof m), 1);
    t[18] = 9; /* not an orientation */
    cr_assert_eq(clbb__exif_orientation(t, sizeof t), 1);
    t[2] = 43;
    cr_assert_eq(clbb__exif_orientation(t, sizeof t), 1);
    cr_assert_eq(clbb__exif_orientation(NULL, 100), 1);
}

Test(image, orientations_as_opencv) {
    /* a 3x2 image whose pixels are their own index: 0 1 2 / 3 4 5 */
    static const int expect[9][6] = {
        {0}, {0, 1, 2, 3, 4, 5}, {2, 1, 0, 5, 4, 3}, {5, 4, 3, 2, 1, 0}, {3, 4, 5, 0, 1, 2},
        {0, 3, 1, 4, 2, 5}, {3, 0, 4, 1, 5, 2}, {5, 2, 4, 1, 3, 0}, {2, 5, 1, 4, 0, 3},
    };
    for (int o = 1; o <= 8; o++) {
        clbb_image img = {3, 2, 3, malloc(18)};
        for (int i = 0; i < 18; i++) img.data[i] = (uint8_t)(i / 3);
        cr_assert_eq(clbb__image_orient(&img, o, NULL, 0), CLBB_OK);
        cr_assert_eq(img.width, o >= 5 ? 2 : 3, "orientation %d", o);
        for (int i = 0; i < 6; i++)
            cr_assert_eq(img.data[3 * i], expect[o][i], "orientation %d pixel %d", o, i);
        clbb_image_free(&img);
    }
}

Test(image, pipeline_sizes_and_checks) {
    clbb_image_pipeline p;
    clbb_image_pipeline_init(&p);
    cr_assert(p.scale_w == 1333 && p.scale_h == 800 && p.keep_ratio == 1 && p.pad_divisor == 32 &&
              p.preprocess == CLBB_PREPROCESS_PYTORCH);
    clbb_image_pipeline_init(NULL);
    int64_t w, h;
    clbb__image_target_size(640, 480, &p, &w, &h);
    cr_assert(w == 1067 && h == 800, "%lldx%lld", (long long)w, (long long)h);
    clbb__image_target_size(480, 640, &p, &w, &h);
    cr_assert(w == 800 && h == 1067, "%lldx%lld", (long long)w, (long long)h);
    clbb__image_target_size(2000, 500, &p, &w, &h);
    cr_assert(w == 1333 && h == 333, "%lldx%lld", (long long)w, (long long)h);
    uint8_t px[4 * 6 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 5);
    clbb_image img = {4, 6, 3, px};
    clbb_npy_array x;
    char err[512];
    p.scale_w = p.scale_h = 0;
    p.pad_divisor = 8;
    p.preprocess = CLBB_PREPROCESS_CAFFE;
    cr_assert_eq(clbb_image_preprocess(&img, &p, &x, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert(x.ndim == 4 && x.dims[0] == 1 && x.dims[1] == 3 && x.dims[2] == 8 && x.dims[3] == 8);
    /* caffe: BGR minus the mean, std 1; padding zero */
    cr_assert_float_eq(x.data[0], (float)px[2] - 103.530f, 1e-6);
    cr_assert_float_eq(x.data[64 * 2 + 8 + 1], (float)px[(1 * 4 + 1) * 3 + 0] - 123.675f, 1e-6);
    cr_assert_eq(x.data[4], 0.0f);
    cr_assert_eq(x.data[8 * 6], 0.0f);
    clbb_npy_array_free(&x);
    struct { int32_t sw, sh, pad; int pre; const char *word; } bad[] = {
        {-1, 5, 0, 0, "scale"}, {0, 5, 0, 0, "scale"}, {5, 5, -1, 0, "pad_divisor"},
        {5, 5, 5000, 0, "pad_divisor"}, {5, 5, 0, 3, "preset"}, {70000, 70000, 0, 0, "limits"},
    };
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(bad); i++) {
        p.scale_w = bad[i].sw;
        p.scale_h = bad[i].sh;
        p.pad_divisor = bad[i].pad;
        p.preprocess = (clbb_preprocess)bad[i].pre;
        p.keep_ratio = 0;
        cr_assert_eq(clbb_image_preprocess(&img, &p, &x, err, sizeof err),
                     CLBB_ERR_INVALID_ARGUMENT, "case %zu", i);
        cr_assert(strstr(err, bad[i].word), "case %zu: %s", i, err);
        cr_assert_null(x.data);
    }
    clbb_image_pipeline_init(&p);
    clbb_image none = {4, 6, 3, NULL}, four = {4, 6, 4, px};
    cr_assert_eq(clbb_image_preprocess(&none, &p, &x, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_preprocess(&four, &p, &x, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_image_preprocess(NULL, &p, &x, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    /* a 1x64 strip rescaled into 1333x800 keeps ratio: 1333 wide, 21 high */
    uint8_t strip[64 * 3] = {0};
    clbb_image s = {64, 1, 3, strip};
    cr_assert_eq(clbb_image_preprocess(&s, &p, &x, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert(x.dims[2] == 32 && x.dims[3] == 1344, "%lldx%lld", (long long)x.dims[2],
              (long long)x.dims[3]);
    clbb_npy_array_free(&x);
    cr_assert_eq(clbb_image_load("/nonexistent.jpg", &p, &x, err, sizeof err), CLBB_ERR_IO);
    cr_assert_eq(clbb_image_load(demo_path(), &p, &x, err, sizeof err), CLBB_OK, "%s", err);
    /* 320x375 -> 800x938 (s = 2.5), padded to 800x960 */
    cr_assert(x.dims[2] == 960 && x.dims[3] == 800, "%lldx%lld", (long long)x.dims[2],
              (long long)x.dims[3]);
    clbb_npy_array_free(&x);
}

Test(image, visualize) {
    char p[256], err[512];
    snprintf(p, sizeof p, "%s/vis.png", dir);
    float a[1 * 3 * 4 * 5], b[1 * 2 * 2 * 2] = {1, NAN, INFINITY, -1, 5, 5, 5, 5};
    for (int i = 0; i < 60; i++) a[i] = (float)(i % 7) - 3.f;
    clbb_npy_array lv[2] = {{4, {1, 3, 4, 5}, a}, {4, {1, 2, 2, 2}, b}};
    cr_assert_eq(clbb_features_visualize(p, 2, lv, 2, err, sizeof err), CLBB_OK, "%s", err);
    clbb_image img;
    cr_assert_eq(clbb_image_read(p, &img, err, sizeof err), CLBB_OK, "%s", err);
    /* tiles 8x8 (the minimum), 2 per row, 2 rows, 1-px separators */
    cr_assert(img.width == 2 * 9 + 1 && img.height == 2 * 9 + 1, "%dx%d", img.width, img.height);
    clbb_image_free(&img);
    clbb_npy_array bad = {3, {3, 4, 5}, a};
    cr_assert_eq(clbb_features_visualize(p, 1, &bad, 2, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_features_visualize(p, 0, lv, 2, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_features_visualize(p, 1, lv, 0, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_features_visualize(p, 1, NULL, 2, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_features_visualize(NULL, 1, lv, 2, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
}

Test(image, fuzz_limit_refuses_before_decoding) {
    size_t len;
    uint8_t *bytes = read_all(demo_path(), &len);
    clbb_image img;
    char err[512];
    cr_assert_eq(clbb__image_decode_limited(bytes, len, 1000, &img, err, sizeof err),
                 CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "limit"), "%s", err);
    cr_assert_null(img.data);
    free(bytes);
}
