/* Tests of the file formats (.npy, .safetensors): round trips, hand-built
 * files of every supported version and dtype, and tables of malformed
 * inputs, each of which must fail with the right status and a message that
 * names the problem. Every prefix of a valid file must fail cleanly. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clbb/io.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct tmpdir {
    char path[64];
} tmpdir;

static void tmp_make(tmpdir *d) {
    strcpy(d->path, "/tmp/clbb_io_XXXXXX");
    cr_assert_not_null(mkdtemp(d->path), "mkdtemp");
}

static void tmp_file(const tmpdir *d, const char *name, char *out, size_t size) {
    snprintf(out, size, "%s/%s", d->path, name);
}

static int tmp_count(const tmpdir *d) {
    DIR *dir = opendir(d->path);
    cr_assert_not_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(dir);
    return n;
}

static void tmp_remove(const tmpdir *d) {
    DIR *dir = opendir(d->path);
    if (!dir) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", d->path, e->d_name);
        unlink(p);
    }
    closedir(dir);
    rmdir(d->path);
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static uint8_t *read_bytes(const char *path, size_t *len) {
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

static uint32_t f32_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/* A .npy file: magic, version, header length (hlen < 0: the header's own
 * length), the header text as given, then dlen data bytes. */
static uint8_t *npy_make(int major, int minor, long hlen, const char *header, const void *data,
                         size_t dlen, size_t *len) {
    size_t text = strlen(header), prefix = major == 1 ? 10 : 12;
    size_t total = prefix + text + dlen;
    uint8_t *b = calloc(1, total + 1);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (uint8_t)major;
    b[7] = (uint8_t)minor;
    uint64_t h = hlen < 0 ? text : (uint64_t)hlen;
    for (size_t k = 0; k < prefix - 8; k++) b[8 + k] = (uint8_t)(h >> (8 * k));
    memcpy(b + prefix, header, text);
    if (data) memcpy(b + prefix + text, data, dlen);
    *len = total;
    return b;
}

/* A .safetensors file: u64 header length (hlen < 0: the JSON's length), the
 * JSON, then dlen data bytes. */
static uint8_t *st_make(long long hlen, const char *json, const void *data, size_t dlen,
                        size_t *len) {
    size_t text = strlen(json);
    uint8_t *b = calloc(1, 8 + text + dlen + 1);
    uint64_t h = hlen < 0 ? text : (uint64_t)hlen;
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(h >> (8 * k));
    memcpy(b + 8, json, text);
    if (data) memcpy(b + 8 + text, data, dlen);
    *len = 8 + text + dlen;
    return b;
}

/* Reference binary16 decoding through ldexp, independent of the library's bit tricks. */
static float half_ref(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0) v = ldexpf((float)mant, -24);
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = ldexpf((float)(mant + 1024), exp - 25);
    return sign ? -v : v;
}

/* ---- npy ---------------------------------------------------------------- */

static void npy_roundtrip(const tmpdir *d, int ndim, const int64_t *dims) {
    char path[256];
    tmp_file(d, "a.npy", path, sizeof path);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)i * 0.25f - 3.0f;
    if (n > 2) {
        x[1] = -0.0f;
        x[2] = INFINITY;
    }
    char err[512] = "";
    cr_assert_eq(clbb_npy_write(path, ndim, dims, x, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(tmp_count(d), 1, "temporary file left behind");

    size_t len;
    uint8_t *raw = read_bytes(path, &len);
    cr_assert_eq(memcmp(raw, "\x93NUMPY\x01\x00", 8), 0);
    size_t hlen = raw[8] | (size_t)raw[9] << 8;
    cr_assert_eq((10 + hlen) % 64, 0, "data must start 64-byte aligned");
    cr_assert_eq(raw[10 + hlen - 1], '\n');
    cr_assert_eq(len, 10 + hlen + 4 * n);
    free(raw);

    clbb_npy_array a;
    cr_assert_eq(clbb_npy_read(path, &a, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(a.ndim, ndim);
    for (int i = 0; i < ndim; i++) cr_assert_eq(a.dims[i], dims[i]);
    for (size_t i = 0; i < n; i++) cr_assert_eq(f32_bits(a.data[i]), f32_bits(x[i]), "at %zu", i);
    clbb_npy_array_free(&a);
    cr_assert_null(a.data);
    free(x);
    unlink(path);
}

Test(io, npy_write_read_roundtrip) {
    tmpdir d;
    tmp_make(&d);
    const int64_t d4[] = {2, 3, 4, 5}, d1[] = {7}, d8[] = {1, 2, 1, 2, 1, 2, 1, 3};
    npy_roundtrip(&d, 4, d4);
    npy_roundtrip(&d, 1, d1);
    npy_roundtrip(&d, 0, NULL);
    npy_roundtrip(&d, 8, d8);
    tmp_remove(&d);
}

Test(io, npy_writer_header_matches_numpy) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[256];
    tmp_file(&d, "h.npy", path, sizeof path);
    const int64_t dims[] = {2, 3};
    const float x[6] = {0};
    cr_assert_eq(clbb_npy_write(path, 2, dims, x, err, sizeof err), CLBB_OK, "%s", err);
    size_t len;
    uint8_t *raw = read_bytes(path, &len);
    /* What numpy.save writes for np.zeros((2, 3), np.float32). */
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    cr_assert_eq(raw[8] | raw[9] << 8, 118);
    cr_assert_eq(memcmp(raw + 10, want, strlen(want)), 0);
    for (size_t i = 10 + strlen(want); i < 127; i++) cr_assert_eq(raw[i], ' ');
    free(raw);
    tmp_remove(&d);
}

Test(io, npy_versions_2_and_3_and_header_layouts) {
    const float v[4] = {1.5f, -2.0f, 3.25f, 1e-3f};
    const char *headers[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }          \n",
        "{ 'shape' : ( 2 ,2 ,) , \"fortran_order\":False,'descr':'<f4' ,}\n",
        "{'fortran_order': False, 'shape': (2L, 2L), 'descr': '=f4'}",
        "{'descr': '|f4', 'fortran_order': False, 'shape': (2,2)}",
    };
    for (int major = 1; major <= 3; major++) {
        for (size_t h = 0; h < sizeof headers / sizeof *headers; h++) {
            size_t len;
            uint8_t *b = npy_make(major, 0, -1, headers[h], v, sizeof v, &len);
            clbb_npy_array a;
            char err[256] = "";
            cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK,
                         "v%d header %zu: %s", major, h, err);
            cr_assert_eq(a.ndim, 2);
            cr_assert_eq(a.dims[0], 2);
            cr_assert_eq(a.dims[1], 2);
            cr_assert_eq(memcmp(a.data, v, sizeof v), 0);
            clbb_npy_array_free(&a);
            free(b);
        }
    }
    /* 0-d and 1-d shapes. */
    size_t len;
    uint8_t *b = npy_make(1, 0, -1, "{'descr':'<f4','fortran_order':False,'shape':()}", v, 4,
                          &len);
    clbb_npy_array a;
    char err[256] = "";
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(a.ndim, 0);
    cr_assert_eq(a.data[0], 1.5f);
    clbb_npy_array_free(&a);
    free(b);
    b = npy_make(1, 0, -1, "{'descr':'<f4','fortran_order':False,'shape':(3,)}", v, 12, &len);
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(a.ndim, 1);
    cr_assert_eq(a.dims[0], 3);
    cr_assert_eq(a.data[2], 3.25f);
    clbb_npy_array_free(&a);
    free(b);
}

Test(io, npy_v2_v3_files) {
    tmpdir d;
    tmp_make(&d);
    const float v[3] = {1, 2, 3};
    for (int major = 2; major <= 3; major++) {
        char path[256], err[256] = "";
        tmp_file(&d, major == 2 ? "v2.npy" : "v3.npy", path, sizeof path);
        size_t len;
        uint8_t *b = npy_make(major, 0, -1,
                              "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", v,
                              sizeof v, &len);
        write_bytes(path, b, len);
        free(b);
        clbb_npy_array a;
        cr_assert_eq(clbb_npy_read(path, &a, err, sizeof err), CLBB_OK, "%s", err);
        cr_assert_eq(a.dims[0], 3);
        cr_assert_eq(a.data[2], 3.0f);
        clbb_npy_array_free(&a);
    }
    tmp_remove(&d);
}

Test(io, npy_f8_converted) {
    const double v[6] = {0.1, -1.0 / 3.0, 1e300, -1e300, 1e-320, 65504.0};
    size_t len;
    uint8_t *b = npy_make(1, 0, -1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                          v, sizeof v, &len);
    clbb_npy_array a;
    char err[256] = "";
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
    for (int i = 0; i < 6; i++) cr_assert_eq(f32_bits(a.data[i]), f32_bits((float)v[i]));
    cr_assert(isinf(a.data[2]) && a.data[2] > 0);
    cr_assert(isinf(a.data[3]) && a.data[3] < 0);
    clbb_npy_array_free(&a);
    free(b);
}

/* uint8 (numpy's '|u1', image pixels): every value exact, flagged; two
 * bytes of uint ('<u2') stay refused. */
Test(io, npy_u1_every_value) {
    uint8_t v[256];
    for (int i = 0; i < 256; i++) v[i] = (uint8_t)(255 - i);
    size_t len;
    uint8_t *b = npy_make(1, 0, -1, "{'descr': '|u1', 'fortran_order': False, 'shape': (16, 16), }",
                          v, sizeof v, &len);
    clbb_npy_array a;
    char err[256] = "";
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(a.uint8, 1);
    cr_assert_eq(a.ndim, 2);
    for (int i = 0; i < 256; i++) cr_assert_eq(a.data[i], (float)(255 - i));
    clbb_npy_array_free(&a);
    free(b);
    b = npy_make(1, 0, -1, "{'descr': '|u1', 'fortran_order': False, 'shape': (16, 17), }", v,
                 sizeof v, &len);
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "of u1 needs 272") != NULL, "%s", err);
    free(b);
    b = npy_make(1, 0, -1, "{'descr': '<u2', 'fortran_order': False, 'shape': (128,), }", v,
                 sizeof v, &len);
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "'<u2'") != NULL, "%s", err);
    free(b);
    b = npy_make(1, 0, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }", v,
                 sizeof v, &len);
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(a.uint8, 0);
    clbb_npy_array_free(&a);
    free(b);
}

Test(io, npy_f2_every_value) {
    uint16_t *h = malloc(65536 * 2);
    for (uint32_t i = 0; i < 65536; i++) h[i] = (uint16_t)i;
    size_t len;
    uint8_t *b = npy_make(1, 0, -1, "{'descr': '<f2', 'fortran_order': False, 'shape': (65536,), }",
                          h, 65536 * 2, &len);
    clbb_npy_array a;
    char err[256] = "";
    cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
    for (uint32_t i = 0; i < 65536; i++) {
        float want = half_ref((uint16_t)i);
        if (isnan(want)) {
            cr_assert(isnan(a.data[i]), "0x%04x", i);
            cr_assert_eq(!!signbit(a.data[i]), !!(i & 0x8000), "0x%04x sign", i);
        } else {
            cr_assert_eq(f32_bits(a.data[i]), f32_bits(want), "0x%04x: %g vs %g", i, a.data[i],
                         want);
        }
    }
    /* Spot checks: subnormals, the largest half, infinities, signed zero. */
    cr_assert_eq(a.data[0x0001], ldexpf(1.0f, -24));
    cr_assert_eq(a.data[0x03ff], ldexpf(1023.0f, -24));
    cr_assert_eq(a.data[0x0400], ldexpf(1.0f, -14));
    cr_assert_eq(a.data[0x7bff], 65504.0f);
    cr_assert_eq(a.data[0x3c00], 1.0f);
    cr_assert(isinf(a.data[0x7c00]) && a.data[0x7c00] > 0);
    cr_assert(isinf(a.data[0xfc00]) && a.data[0xfc00] < 0);
    cr_assert(a.data[0x8000] == 0.0f && signbit(a.data[0x8000]));
    clbb_npy_array_free(&a);
    free(b);
    free(h);
}

Test(io, npy_unreadable_files) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[512] = "";
    tmp_file(&d, "missing.npy", path, sizeof path);
    clbb_npy_array a;
    cr_assert_eq(clbb_npy_read(path, &a, err, sizeof err), CLBB_ERR_IO);
    cr_assert(strstr(err, path), "%s", err);
    cr_assert_null(a.data);
    cr_assert_eq(clbb_npy_read(d.path, &a, err, sizeof err), CLBB_ERR_IO, "a directory: %s", err);
    cr_assert(strstr(err, d.path), "%s", err);
    tmp_remove(&d);
}

Test(io, npy_write_failures_leave_no_file) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[512] = "";
    tmp_file(&d, "no/such/dir.npy", path, sizeof path);
    const int64_t dims[] = {2};
    const float x[2] = {1, 2};
    cr_assert_eq(clbb_npy_write(path, 1, dims, x, err, sizeof err), CLBB_ERR_IO);
    cr_assert(strstr(err, path), "%s", err);
    tmp_file(&d, "a.npy", path, sizeof path);
    const int64_t zero[] = {2, 0};
    cr_assert_eq(clbb_npy_write(path, 2, zero, x, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err, "dimension 1"), "%s", err);
    cr_assert_eq(clbb_npy_write(path, 9, dims, x, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_npy_write(path, 1, dims, NULL, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(tmp_count(&d), 0);
    /* Replacing an existing file goes through the same rename. */
    cr_assert_eq(clbb_npy_write(path, 1, dims, x, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(clbb_npy_write(path, 1, dims, x, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(tmp_count(&d), 1);
    tmp_remove(&d);
}

typedef struct npy_bad_case {
    const char *name;
    int major, minor;
    long hlen; /* < 0: the header's length */
    const char *header;
    size_t data_len;
    int patch_at; /* >= 0: overwrite this byte (magic tests) */
    uint8_t patch;
    const char *expect; /* substring of the message */
} npy_bad_case;

#define H(shape) "{'descr': '<f4', 'fortran_order': False, 'shape': " shape ", }"

static const npy_bad_case npy_bad[] = {
    {"bad magic", 1, 0, -1, H("(2,)"), 8, 1, 'X', "magic"},
    {"bad magic byte 0", 1, 0, -1, H("(2,)"), 8, 0, 0x92, "magic"},
    {"version 4.0", 4, 0, -1, H("(2,)"), 8, -1, 0, "version 4.0"},
    {"version 1.1", 1, 1, -1, H("(2,)"), 8, -1, 0, "version 1.1"},
    {"version 0.0", 0, 0, -1, H("(2,)"), 8, -1, 0, "version"},
    {"header length past end v1", 1, 0, 65535, H("(2,)"), 8, -1, 0, "header length"},
    {"header length past end v2", 2, 0, 0x7fffffff, H("(2,)"), 8, -1, 0, "header length"},
    {"empty header", 1, 0, -1, "", 0, -1, 0, "dict"},
    {"not a dict", 1, 0, -1, "['descr', '<f4']", 0, -1, 0, "dict"},
    {"unterminated dict", 1, 0, -1, "{'descr': '<f4'", 0, -1, 0, "unterminated"},
    {"unterminated string", 1, 0, -1, "{'descr: '<f4'}", 0, -1, 0, "expected ':'"},
    {"missing colon", 1, 0, -1, "{'descr' '<f4'}", 0, -1, 0, "expected ':'"},
    {"missing comma", 1, 0, -1, "{'descr': '<f4' 'shape': (1,)}", 0, -1, 0, "expected ','"},
    {"unquoted key", 1, 0, -1, "{descr: '<f4'}", 0, -1, 0, "quoted string"},
    {"missing descr", 1, 0, -1, "{'fortran_order': False, 'shape': (2,)}", 8, -1, 0, "'descr'"},
    {"missing shape", 1, 0, -1, "{'fortran_order': False, 'descr': '<f4'}", 8, -1, 0, "'shape'"},
    {"missing fortran_order", 1, 0, -1, "{'shape': (2,), 'descr': '<f4'}", 8, -1, 0,
     "'fortran_order'"},
    {"unknown key", 1, 0, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
     8, -1, 0, "unknown key 'x'"},
    {"duplicate key", 1, 0, -1, "{'descr': '<f4', 'descr': '<f4'}", 8, -1, 0, "duplicate key"},
    {"int dtype", 1, 0, -1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,)}", 8, -1, 0,
     "'descr' '<i4'"},
    {"unknown dtype", 1, 0, -1, "{'descr': 'hello', 'fortran_order': False, 'shape': (2,)}", 8,
     -1, 0, "'descr' 'hello'"},
    {"big-endian f4", 1, 0, -1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}", 8, -1,
     0, "big-endian"},
    {"big-endian f8", 1, 0, -1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", 8, -1,
     0, "big-endian"},
    {"structured dtype", 1, 0, -1,
     "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", 8, -1, 0, "structured"},
    {"descr not a string", 1, 0, -1, "{'descr': 4, 'fortran_order': False, 'shape': (2,)}", 8, -1,
     0, "'descr'"},
    {"fortran order", 1, 0, -1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}", 16,
     -1, 0, "fortran_order"},
    {"fortran_order not a bool", 1, 0, -1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
     8, -1, 0, "fortran_order"},
    {"fortran_order prefix", 1, 0, -1,
     "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", 8, -1, 0, "fortran_order"},
    {"negative dim", 1, 0, -1, H("(-1, 2)"), 8, -1, 0, "negative"},
    {"zero dim", 1, 0, -1, H("(0, 2)"), 0, -1, 0, "is 0"},
    {"zero dim later", 1, 0, -1, H("(2, 0)"), 0, -1, 0, "dimension 1 is 0"},
    {"nine dims", 1, 0, -1, H("(1, 1, 1, 1, 1, 1, 1, 1, 1)"), 4, -1, 0, "more than 8"},
    {"shape not a tuple", 1, 0, -1, H("[2]"), 8, -1, 0, "'shape'"},
    {"shape is an int in parentheses", 1, 0, -1, H("(2)"), 8, -1, 0, "not a tuple"},
    {"shape of strings", 1, 0, -1, H("('a',)"), 8, -1, 0, "integers"},
    {"shape unterminated", 1, 0, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,", 8,
     -1, 0, "'shape'"},
    {"shape bad separator", 1, 0, -1, H("(2; 2)"), 16, -1, 0, "'shape'"},
    {"dim too large", 1, 0, -1, H("(99999999999999999999,)"), 8, -1, 0, "too large"},
    {"element count overflow", 1, 0, -1, H("(4294967296, 4294967296, 16)"), 8, -1, 0,
     "overflow"},
    {"element count overflow 8-d", 1, 0, -1,
     H("(1024, 1024, 1024, 1024, 1024, 1024, 1024, 1024)"), 8, -1, 0, "overflow"},
    {"data short", 1, 0, -1, H("(2, 3)"), 23, -1, 0, "truncated"},
    {"no data", 1, 0, -1, H("(2, 3)"), 0, -1, 0, "needs 24"},
    {"data long", 1, 0, -1, H("(2, 3)"), 25, -1, 0, "extra bytes"},
    {"garbage after dict", 1, 0, -1, H("(2,)") " x", 8, -1, 0, "after the dict"},
    {"escape in string", 1, 0, -1, "{'des\\cr': '<f4'}", 8, -1, 0, "character"},
};

Test(io, npy_malformed_table) {
    for (size_t i = 0; i < sizeof npy_bad / sizeof *npy_bad; i++) {
        const npy_bad_case *c = &npy_bad[i];
        size_t len;
        uint8_t *zeros = calloc(1, c->data_len + 1);
        uint8_t *b = npy_make(c->major, c->minor, c->hlen, c->header, zeros, c->data_len, &len);
        if (c->patch_at >= 0) b[c->patch_at] = c->patch;
        clbb_npy_array a;
        char err[512] = "";
        clbb_status st = clbb_npy_parse(b, len, &a, err, sizeof err);
        cr_expect_eq(st, CLBB_ERR_FORMAT, "%s: status %d (%s)", c->name, st, err);
        cr_expect(strstr(err, c->expect) != NULL, "%s: message '%s' lacks '%s'", c->name, err,
                  c->expect);
        cr_expect_null(a.data, "%s", c->name);
        if (st == CLBB_OK) clbb_npy_array_free(&a);
        free(b);
        free(zeros);
    }
}

Test(io, npy_malformed_file_names_path) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[512] = "";
    tmp_file(&d, "bad.npy", path, sizeof path);
    size_t len;
    uint8_t *b = npy_make(1, 0, -1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}",
                          "\0\0\0\0", 4, &len);
    write_bytes(path, b, len);
    free(b);
    clbb_npy_array a;
    cr_assert_eq(clbb_npy_read(path, &a, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, path) && strstr(err, "big-endian"), "%s", err);
    tmp_remove(&d);
}

Test(io, npy_every_truncation_fails) {
    const float v[6] = {1, 2, 3, 4, 5, 6};
    for (int major = 1; major <= 2; major++) {
        size_t len;
        uint8_t *b = npy_make(major, 0, -1,
                              "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", v,
                              sizeof v, &len);
        clbb_npy_array a;
        char err[512];
        cr_assert_eq(clbb_npy_parse(b, len, &a, err, sizeof err), CLBB_OK, "%s", err);
        clbb_npy_array_free(&a);
        for (size_t n = 0; n < len; n++) {
            /* An exact-size copy so that a read past the prefix is caught by ASan/valgrind. */
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, b, n);
            err[0] = '\0';
            cr_assert_eq(clbb_npy_parse(p, n, &a, err, sizeof err), CLBB_ERR_FORMAT,
                         "v%d prefix %zu", major, n);
            cr_assert_null(a.data);
            cr_assert_neq(err[0], '\0');
            free(p);
        }
        free(b);
    }
}

Test(io, npy_truncated_files) {
    tmpdir d;
    tmp_make(&d);
    const float v[6] = {1, 2, 3, 4, 5, 6};
    size_t len;
    uint8_t *b = npy_make(1, 0, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
                          v, sizeof v, &len);
    char path[256], err[512];
    tmp_file(&d, "t.npy", path, sizeof path);
    const size_t cuts[] = {0, 3, 9, 10, 40, len - 24, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_bytes(path, b, cuts[i]);
        clbb_npy_array a;
        cr_assert_eq(clbb_npy_read(path, &a, err, sizeof err), CLBB_ERR_FORMAT, "cut %zu",
                     cuts[i]);
        cr_assert(strstr(err, path), "%s", err);
    }
    free(b);
    tmp_remove(&d);
}

Test(io, npy_invalid_arguments) {
    clbb_npy_array a;
    char err[256];
    cr_assert_eq(clbb_npy_parse(NULL, 10, &a, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_npy_parse("x", 1, NULL, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_npy_read(NULL, &a, NULL, 0), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_npy_parse(NULL, 0, &a, NULL, 0), CLBB_ERR_FORMAT);
    clbb_npy_array_free(NULL);
}

/* ---- safetensors -------------------------------------------------------- */

Test(io, st_write_read_roundtrip) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[512] = "";
    tmp_file(&d, "w.safetensors", path, sizeof path);
    float w[64 * 3 * 7 * 7], b[64], s = 42.0f;
    for (size_t i = 0; i < sizeof w / sizeof *w; i++) w[i] = (float)i / 7.0f;
    for (int i = 0; i < 64; i++) b[i] = -(float)i;
    clbb_st_write_entry e[4] = {
        {"layer1.0.conv1.weight", 4, {64, 3, 7, 7}, w},
        {"bn.bias", 1, {64}, b},
        {"scalar \"quoted\" \\ name\n", 0, {0}, &s},
        {"empty", 2, {0, 3}, NULL},
    };
    cr_assert_eq(clbb_safetensors_write(path, e, 4, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(tmp_count(&d), 1);

    size_t len;
    uint8_t *raw = read_bytes(path, &len);
    uint64_t n = 0;
    for (int k = 7; k >= 0; k--) n = n << 8 | raw[k];
    cr_assert_eq(n % 8, 0, "header padded to a multiple of 8");
    cr_assert_eq(len, 8 + n + sizeof w + sizeof b + 4);
    free(raw);

    clbb_safetensors *st = NULL;
    cr_assert_eq(clbb_safetensors_open(path, &st, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(clbb_safetensors_count(st), 4);
    uint64_t offset = 0;
    for (size_t i = 0; i < 4; i++) {
        const clbb_st_tensor *t = clbb_safetensors_get(st, i);
        cr_assert_str_eq(t->name, e[i].name);
        cr_assert_eq(t->dtype, CLBB_ST_F32);
        cr_assert_str_eq(t->dtype_name, "F32");
        cr_assert_eq(t->ndim, e[i].ndim);
        for (int k = 0; k < t->ndim; k++) cr_assert_eq(t->shape[k], e[i].shape[k]);
        cr_assert_eq(t->begin, offset, "contiguous data_offsets");
        offset = t->end;
        cr_assert_eq(clbb_safetensors_find(st, e[i].name), t);
    }
    cr_assert_null(clbb_safetensors_get(st, 4));
    cr_assert_null(clbb_safetensors_find(st, "missing"));
    cr_assert_null(clbb_safetensors_find(st, "layer1.0.conv1"));

    float *got = malloc(sizeof w);
    const clbb_st_tensor *t = clbb_safetensors_find(st, "layer1.0.conv1.weight");
    cr_assert_eq(clbb_st_tensor_to_f32(t, got, 64 * 3 * 7 * 7, err, sizeof err), CLBB_OK, "%s",
                 err);
    cr_assert_eq(memcmp(got, w, sizeof w), 0);
    t = clbb_safetensors_find(st, "bn.bias");
    cr_assert_eq(clbb_st_tensor_to_f32(t, got, 64, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(memcmp(got, b, sizeof b), 0);
    t = clbb_safetensors_get(st, 2);
    cr_assert_eq(clbb_st_tensor_to_f32(t, got, 1, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(got[0], 42.0f);
    t = clbb_safetensors_find(st, "empty");
    cr_assert_eq(clbb_st_tensor_to_f32(t, NULL, 0, err, sizeof err), CLBB_OK, "%s", err);
    /* A wrong count is refused and named. */
    t = clbb_safetensors_find(st, "bn.bias");
    cr_assert_eq(clbb_st_tensor_to_f32(t, got, 63, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "bn.bias") && strstr(err, "count 63"), "%s", err);
    free(got);
    clbb_safetensors_close(st);
    tmp_remove(&d);
}

Test(io, st_write_failures) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[512] = "";
    float x[2] = {1, 2};
    clbb_st_write_entry dup[2] = {{"a", 1, {2}, x}, {"a", 1, {2}, x}};
    tmp_file(&d, "x.safetensors", path, sizeof path);
    cr_assert_eq(clbb_safetensors_write(path, dup, 2, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert(strstr(err, "duplicate") && strstr(err, "'a'"), "%s", err);
    clbb_st_write_entry neg = {"n", 1, {-2}, x};
    cr_assert_eq(clbb_safetensors_write(path, &neg, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    clbb_st_write_entry nodata = {"n", 1, {2}, NULL};
    cr_assert_eq(clbb_safetensors_write(path, &nodata, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    clbb_st_write_entry meta = {"__metadata__", 1, {2}, x};
    cr_assert_eq(clbb_safetensors_write(path, &meta, 1, err, sizeof err),
                 CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(tmp_count(&d), 0);
    tmp_file(&d, "nodir/x.safetensors", path, sizeof path);
    cr_assert_eq(clbb_safetensors_write(path, dup, 1, err, sizeof err), CLBB_ERR_IO);
    cr_assert(strstr(err, path), "%s", err);
    /* No tensors at all is a valid file. */
    tmp_file(&d, "empty.safetensors", path, sizeof path);
    cr_assert_eq(clbb_safetensors_write(path, NULL, 0, err, sizeof err), CLBB_OK, "%s", err);
    clbb_safetensors *st = NULL;
    cr_assert_eq(clbb_safetensors_open(path, &st, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(clbb_safetensors_count(st), 0);
    cr_assert_null(clbb_safetensors_find(st, "a"));
    clbb_safetensors_close(st);
    tmp_remove(&d);
}

Test(io, st_unreadable_file) {
    tmpdir d;
    tmp_make(&d);
    char path[256], err[512] = "";
    tmp_file(&d, "missing.safetensors", path, sizeof path);
    clbb_safetensors *st = (clbb_safetensors *)&d;
    cr_assert_eq(clbb_safetensors_open(path, &st, err, sizeof err), CLBB_ERR_IO);
    cr_assert_null(st);
    cr_assert(strstr(err, path), "%s", err);
    tmp_remove(&d);
}

Test(io, st_hand_built_dtypes) {
    /* Layout: h F16[4] @0, b BF16[2,2] @8, d F64[3] @16, i I64[1] @40, u U8[3] @48,
     * q (unknown Q7, [5]) @51, f F32[1] @56 unaligned after a 1-byte gap... */
    uint8_t data[64] = {0};
    const uint16_t h[4] = {0x3c00, 0xc000, 0x0001, 0x7c00};
    const uint16_t bf[4] = {0x3f80, 0xbfc0, 0x7f80, 0x0001};
    const double dd[3] = {0.5, -1e300, 1.0 / 3.0};
    const int64_t iv = 7;
    const float fv = -6.5f;
    memcpy(data, h, 8);
    memcpy(data + 8, bf, 8);
    memcpy(data + 16, dd, 24);
    memcpy(data + 40, &iv, 8);
    memcpy(data + 51, "\1\2\3", 3);
    memcpy(data + 57, &fv, 4);
    const char *json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
        "\"d\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[16,40]},"
        "\"i\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[40,48]},"
        "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[48,51]},"
        "\"q\":{\"dtype\":\"Q7\",\"shape\":[5],\"data_offsets\":[51,57], \"extra\": 1},"
        "\"f\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[57,61]}}  ";
    size_t len;
    uint8_t *b = st_make(-1, json, data, sizeof data, &len);
    clbb_safetensors *st = NULL;
    char err[512] = "";
    cr_assert_eq(clbb_safetensors_parse(b, len, &st, err, sizeof err), CLBB_OK, "%s", err);
    /* The object owns a copy: the caller's bytes can go. */
    memset(b, 0xff, len);
    free(b);
    cr_assert_eq(clbb_safetensors_count(st), 7);
    cr_assert_str_eq(clbb_safetensors_get(st, 0)->name, "h");
    float out[5];
    const clbb_st_tensor *t = clbb_safetensors_find(st, "h");
    cr_assert_eq(t->dtype, CLBB_ST_F16);
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 4, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(out[0], 1.0f);
    cr_assert_eq(out[1], -2.0f);
    cr_assert_eq(out[2], ldexpf(1.0f, -24));
    cr_assert(isinf(out[3]));
    t = clbb_safetensors_find(st, "b");
    cr_assert_eq(t->dtype, CLBB_ST_BF16);
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 4, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(out[0], 1.0f);
    cr_assert_eq(out[1], -1.5f);
    cr_assert(isinf(out[2]));
    cr_assert_eq(f32_bits(out[3]), 0x00010000u);
    t = clbb_safetensors_find(st, "d");
    cr_assert_eq(t->dtype, CLBB_ST_F64);
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 3, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(out[0], 0.5f);
    cr_assert(isinf(out[1]) && out[1] < 0);
    cr_assert_eq(out[2], (float)(1.0 / 3.0));
    t = clbb_safetensors_find(st, "f");
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 1, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(out[0], -6.5f);

    t = clbb_safetensors_find(st, "i");
    cr_assert_eq(t->dtype, CLBB_ST_I64);
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 1, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "'i'") && strstr(err, "I64"), "%s", err);
    t = clbb_safetensors_find(st, "u");
    cr_assert_eq(t->dtype, CLBB_ST_OTHER);
    cr_assert_str_eq(t->dtype_name, "U8");
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 3, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "'u'") && strstr(err, "U8"), "%s", err);
    t = clbb_safetensors_find(st, "q");
    cr_assert_eq(t->dtype, CLBB_ST_OTHER);
    cr_assert_eq(clbb_st_tensor_to_f32(t, out, 5, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "Q7"), "%s", err);
    cr_assert_null(clbb_safetensors_find(st, "__metadata__"));
    clbb_safetensors_close(st);
}

typedef struct st_bad_case {
    const char *name;
    long long hlen; /* < 0: the JSON's length */
    const char *json;
    size_t data_len;
    const char *expect;
} st_bad_case;

#define E1(dtype, shape, offs) "{\"w\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offs "}}"

static const st_bad_case st_bad[] = {
    {"header length past end", 1000, "{}", 0, "header length 1000"},
    {"header length 2^64-1", -2, "{}", 0, "header length"},
    {"empty header", 0, "", 0, "malformed"},
    {"bad JSON", -1, "{\"w\": ", 0, "malformed"},
    {"bad JSON token", -1, "{\"w\": nul}", 0, "malformed"},
    {"not an object", -1, "[1, 2]", 0, "not an object"},
    {"garbage after JSON", -1, "{} x", 0, "after the header JSON"},
    {"NUL after JSON", 3, "{}", 1, "after the header JSON"},
    {"entry not an object", -1, "{\"w\": 3}", 0, "'w': entry is not a JSON object"},
    {"missing dtype", -1, "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'dtype' is missing"},
    {"dtype number", -1, "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     "'dtype' is not a string"},
    {"missing shape", -1, "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "'shape'"},
    {"shape not an array", -1, E1("F32", "4", "[0,4]"), 16, "'shape' is not an array"},
    {"negative dim", -1, E1("F32", "[-1]", "[0,4]"), 4, "'shape'[0]"},
    {"fractional dim", -1, E1("F32", "[1.5]", "[0,4]"), 4, "'shape'[0]"},
    {"string dim", -1, E1("F32", "[1,\"2\"]", "[0,8]"), 8, "'shape'[1]"},
    {"huge dim", -1, E1("F32", "[1e300]", "[0,4]"), 4, "'shape'[0]"},
    {"nine dims", -1, E1("F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]"), 4, "9 dimensions"},
    {"missing data_offsets", -1, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "data_offsets"},
    {"data_offsets not an array", -1, E1("F32", "[1]", "{}"), 4, "data_offsets"},
    {"data_offsets of 1", -1, E1("F32", "[1]", "[4]"), 4, "data_offsets"},
    {"data_offsets of 3", -1, E1("F32", "[1]", "[0,4,8]"), 8, "data_offsets"},
    {"negative offset", -1, E1("F32", "[1]", "[-4,0]"), 4, "data_offsets"},
    {"string offset", -1, E1("F32", "[1]", "[\"0\",4]"), 4, "data_offsets"},
    {"begin past end", -1, E1("F32", "[0]", "[8,4]"), 8, "begin past end"},
    {"end past data", -1, E1("F32", "[2]", "[0,8]"), 7, "run past the data section (7 bytes)"},
    {"offsets far out", -1, E1("F32", "[1]", "[4503599627370496,4503599627370500]"), 4,
     "run past"},
    {"size mismatch", -1, E1("F32", "[2,2]", "[0,12]"), 16,
     "'w': data_offsets [0, 12] do not match shape [2,2] of F32 (16 bytes)"},
    {"size mismatch F16", -1, E1("F16", "[3]", "[0,8]"), 8, "of F16 (6 bytes)"},
    {"size mismatch U8", -1, E1("U8", "[3]", "[0,4]"), 4, "of U8 (3 bytes)"},
    {"overflowing shape", -1, E1("F32", "[4294967296,4294967296,4294967296]", "[0,4]"), 4,
     "overflows"},
    {"overflowing shape by dtype size", -1, E1("F64", "[4294967296,536870912]", "[0,8]"), 8,
     "overflows"},
    {"overlap", -1,
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, "overlap"},
    {"overlap out of order", -1,
     "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]},"
     "\"c\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
     16, "data_offsets [0, 16] and [4, 8]"},
    {"same range twice", -1,
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
     4, "overlap"},
    {"duplicate key", -1,
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
     8, "duplicate tensor name 'a'"},
    {"duplicate field", -1,
     "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     "duplicate field 'dtype'"},
    {"metadata not an object", -1, "{\"__metadata__\":3}", 0, "__metadata__"},
    {"metadata not strings", -1, "{\"__metadata__\":{\"a\":1}}", 0, "__metadata__"},
    {"metadata twice", -1, "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "__metadata__"},
};

Test(io, st_malformed_table) {
    for (size_t i = 0; i < sizeof st_bad / sizeof *st_bad; i++) {
        const st_bad_case *c = &st_bad[i];
        size_t len;
        uint8_t *zeros = calloc(1, c->data_len + 1);
        uint8_t *b = st_make(c->hlen == -2 ? 0 : c->hlen, c->json, zeros, c->data_len, &len);
        if (c->hlen == -2) memset(b, 0xff, 8);
        clbb_safetensors *st = NULL;
        char err[512] = "";
        clbb_status s = clbb_safetensors_parse(b, len, &st, err, sizeof err);
        cr_expect_eq(s, CLBB_ERR_FORMAT, "%s: status %d (%s)", c->name, s, err);
        cr_expect(strstr(err, c->expect) != NULL, "%s: message '%s' lacks '%s'", c->name, err,
                  c->expect);
        cr_expect_null(st, "%s", c->name);
        clbb_safetensors_close(st);
        free(b);
        free(zeros);
    }
}

Test(io, st_header_size_limit) {
    /* A 100 MB header (inside the file) is refused before any JSON work. */
    const size_t n = 100000000;
    uint8_t *b = calloc(1, 8 + n);
    cr_assert_not_null(b);
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)((uint64_t)n >> (8 * k));
    clbb_safetensors *st = NULL;
    char err[512] = "";
    cr_assert_eq(clbb_safetensors_parse(b, 8 + n, &st, err, sizeof err), CLBB_ERR_FORMAT);
    cr_assert(strstr(err, "limit"), "%s", err);
    free(b);
}

Test(io, st_valid_edge_cases) {
    /* Empty ranges may sit anywhere; gaps are allowed; unknown dtypes parse. */
    const char *json =
        "{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"g\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[12,16]},"
        "\"x\":{\"dtype\":\"NEW_TYPE\",\"shape\":[7],\"data_offsets\":[16,17]}}";
    size_t len;
    uint8_t data[17] = {0};
    uint8_t *b = st_make(-1, json, data, sizeof data, &len);
    clbb_safetensors *st = NULL;
    char err[512] = "";
    cr_assert_eq(clbb_safetensors_parse(b, len, &st, err, sizeof err), CLBB_OK, "%s", err);
    cr_assert_eq(clbb_safetensors_count(st), 4);
    const clbb_st_tensor *t = clbb_safetensors_find(st, "x");
    cr_assert_eq(t->dtype, CLBB_ST_OTHER);
    cr_assert_str_eq(t->dtype_name, "NEW_TYPE");
    clbb_safetensors_close(st);
    free(b);
}

Test(io, st_every_truncation_fails) {
    const char *json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F16\",\"shape\":[1,3],\"data_offsets\":[8,14]}}";
    uint8_t data[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    size_t len;
    uint8_t *b = st_make(-1, json, data, sizeof data, &len);
    clbb_safetensors *st = NULL;
    char err[512] = "";
    cr_assert_eq(clbb_safetensors_parse(b, len, &st, err, sizeof err), CLBB_OK, "%s", err);
    clbb_safetensors_close(st);
    for (size_t n = 0; n < len; n++) {
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, b, n);
        err[0] = '\0';
        st = (clbb_safetensors *)p;
        cr_assert_eq(clbb_safetensors_parse(p, n, &st, err, sizeof err), CLBB_ERR_FORMAT,
                     "prefix %zu", n);
        cr_assert_null(st);
        cr_assert_neq(err[0], '\0');
        free(p);
    }
    /* Through files too: the message names the path. */
    tmpdir d;
    tmp_make(&d);
    char path[256];
    tmp_file(&d, "t.safetensors", path, sizeof path);
    const size_t cuts[] = {0, 7, 8, 20, len - 14, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_bytes(path, b, cuts[i]);
        cr_assert_eq(clbb_safetensors_open(path, &st, err, sizeof err), CLBB_ERR_FORMAT, "cut %zu",
                     cuts[i]);
        cr_assert(strstr(err, path), "%s", err);
    }
    free(b);
    tmp_remove(&d);
}

Test(io, st_invalid_arguments) {
    clbb_safetensors *st = NULL;
    char err[256];
    float f;
    cr_assert_eq(clbb_safetensors_parse(NULL, 8, &st, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_safetensors_parse("x", 1, NULL, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_safetensors_open(NULL, &st, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_st_tensor_to_f32(NULL, &f, 1, err, sizeof err), CLBB_ERR_INVALID_ARGUMENT);
    cr_assert_eq(clbb_safetensors_count(NULL), 0);
    cr_assert_null(clbb_safetensors_get(NULL, 0));
    cr_assert_null(clbb_safetensors_find(NULL, "a"));
    clbb_safetensors_close(NULL);
}
