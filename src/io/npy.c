/* NumPy .npy reader and writer (see clbb/io.h, SPEC B.3).
 *
 * The reader treats its input as untrusted: the header is parsed as the
 * small subset of Python dict literals that numpy writes, every length is
 * checked before use, and the array is allocated only once the data section
 * is known to hold exactly the bytes the shape needs (so a hostile header
 * cannot make us allocate more than about twice the input size). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "io_internal.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ERR_MAX 1024

/* Element types we convert from. */
/* the value is the element size */
typedef enum npy_dtype { NPY_U1 = 1, NPY_F2 = 2, NPY_F4 = 4, NPY_F8 = 8 } npy_dtype;

static const char *dtype_name(int dtype) {
    return dtype == NPY_U1 ? "u1" : dtype == NPY_F2 ? "f2" : dtype == NPY_F4 ? "f4" : "f8";
}

/* Position in the header while parsing; offsets in messages are file offsets. */
typedef struct npy_cursor {
    const char *p, *end, *begin;
    size_t base; /* file offset of begin */
    char *err;
    size_t err_size;
} npy_cursor;

static size_t cur_offset(const npy_cursor *c) { return c->base + (size_t)(c->p - c->begin); }

static int cur_fail(npy_cursor *c, const char *what) {
    clbb__fail_buf(c->err, c->err_size, CLBB_ERR_FORMAT, "npy header at byte %zu: %s",
                   cur_offset(c), what);
    return -1;
}

/* For checks made once the whole dict is read, where a position means nothing. */
static int header_fail(npy_cursor *c, const char *what) {
    clbb__fail_buf(c->err, c->err_size, CLBB_ERR_FORMAT, "npy header: %s", what);
    return -1;
}

static void skip_ws(npy_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* A quoted Python string without escapes (numpy never writes any). */
static int parse_string(npy_cursor *c, char *out, size_t cap, const char *what) {
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected a quoted string for %s", what);
        return cur_fail(c, msg);
    }
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20) return cur_fail(c, "unsupported character in a string");
        /* Overlong strings are kept truncated so that the message can show them. */
        if (n + 1 < cap) out[n++] = (char)ch;
        c->p++;
    }
    out[n] = '\0';
    if (c->p >= c->end) return cur_fail(c, "unterminated string");
    c->p++;
    return 0;
}

static int is_ident_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static int parse_bool(npy_cursor *c, int *out) {
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0 && (left == 4 || !is_ident_char(c->p[4]))) {
        c->p += 4;
        *out = 1;
        return 0;
    }
    if (left >= 5 && memcmp(c->p, "False", 5) == 0 && (left == 5 || !is_ident_char(c->p[5]))) {
        c->p += 5;
        *out = 0;
        return 0;
    }
    return cur_fail(c, "'fortran_order' must be True or False");
}

/* One dimension: a decimal integer (Python 2 numpy wrote a trailing 'L'). */
static int parse_dim(npy_cursor *c, int index, int64_t *out) {
    int negative = 0;
    if (c->p < c->end && *c->p == '-') {
        negative = 1;
        c->p++;
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return cur_fail(c, "'shape' must be a tuple of integers");
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int d = *c->p - '0';
        if (v > (INT64_MAX - d) / 10) {
            char msg[96];
            snprintf(msg, sizeof msg, "'shape' dimension %d is too large", index);
            return cur_fail(c, msg);
        }
        v = v * 10 + d;
        c->p++;
    }
    if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++;
    if (negative && v != 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "'shape' dimension %d is negative (-%lld)", index, (long long)v);
        return cur_fail(c, msg);
    }
    if (v == 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "'shape' dimension %d is 0 (every dimension must be >= 1)",
                 index);
        return cur_fail(c, msg);
    }
    *out = v;
    return 0;
}

static int parse_shape(npy_cursor *c, int *ndim, int64_t *dims) {
    if (c->p >= c->end || *c->p != '(') return cur_fail(c, "'shape' must be a tuple");
    c->p++;
    skip_ws(c);
    int n = 0, comma = 0;
    while (c->p < c->end && *c->p != ')') {
        if (n == CLBB_NPY_MAX_DIMS) {
            char msg[96];
            snprintf(msg, sizeof msg, "'shape' has more than %d dimensions", CLBB_NPY_MAX_DIMS);
            return cur_fail(c, msg);
        }
        if (parse_dim(c, n, &dims[n]) != 0) return -1;
        n++;
        skip_ws(c);
        comma = 0;
        if (c->p < c->end && *c->p == ',') {
            comma = 1;
            c->p++;
            skip_ws(c);
        } else if (c->p < c->end && *c->p != ')') {
            return cur_fail(c, "expected ',' or ')' in 'shape'");
        }
    }
    if (c->p >= c->end) return cur_fail(c, "unterminated 'shape' tuple");
    /* In Python "(3)" is the integer 3, not a tuple: numpy rejects it too. */
    if (n == 1 && !comma) return cur_fail(c, "'shape' (n) is not a tuple (a 1-d shape is (n,))");
    c->p++;
    *ndim = n;
    return 0;
}

/* Maps a descr string to a dtype; 0 if unsupported. '=' and '|' mean
 * native order, which is little-endian only on a little-endian host. */
static int descr_dtype(const char *descr) {
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    const int host_le = first == 1;
    if (strlen(descr) != 3) return 0;
    /* one byte has no order: numpy writes uint8 as '|u1' */
    if (descr[1] == 'u' && descr[2] == '1' && strchr("|<>=", descr[0])) return NPY_U1;
    if (!(descr[0] == '<' || (host_le && (descr[0] == '=' || descr[0] == '|')))) return 0;
    if (descr[1] != 'f') return 0;
    switch (descr[2]) {
    case '2': return NPY_F2;
    case '4': return NPY_F4;
    case '8': return NPY_F8;
    default: return 0;
    }
}

static int parse_header(npy_cursor *c, int *dtype, int *ndim, int64_t *dims) {
    int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
    char descr[48] = "";
    skip_ws(c);
    if (c->p >= c->end || *c->p != '{') return cur_fail(c, "header is not a dict (no '{')");
    c->p++;
    for (;;) {
        skip_ws(c);
        if (c->p >= c->end) return cur_fail(c, "unterminated dict (no '}')");
        if (*c->p == '}') break;
        char key[32];
        if (parse_string(c, key, sizeof key, "a key") != 0) return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return cur_fail(c, "expected ':' after a key");
        c->p++;
        skip_ws(c);
        int *seen;
        if (strcmp(key, "descr") == 0) {
            seen = &have_descr;
            if (c->p < c->end && *c->p == '[')
                return cur_fail(c, "'descr' is a structured dtype (only <f4, <f8, <f2 are "
                                   "supported)");
            if (parse_string(c, descr, sizeof descr, "'descr'") != 0) return -1;
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &have_fortran;
            if (parse_bool(c, &fortran) != 0) return -1;
        } else if (strcmp(key, "shape") == 0) {
            seen = &have_shape;
            if (parse_shape(c, ndim, dims) != 0) return -1;
        } else {
            char msg[96];
            snprintf(msg, sizeof msg, "unknown key '%.40s'", key);
            return cur_fail(c, msg);
        }
        if (*seen) {
            char msg[96];
            snprintf(msg, sizeof msg, "duplicate key '%s'", key);
            return cur_fail(c, msg);
        }
        *seen = 1;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
        } else if (c->p < c->end && *c->p != '}') {
            return cur_fail(c, "expected ',' or '}' after a value");
        }
    }
    c->p++;
    skip_ws(c);
    if (c->p != c->end) return cur_fail(c, "unexpected characters after the dict");
    if (!have_descr) return header_fail(c, "missing key 'descr'");
    if (!have_fortran) return header_fail(c, "missing key 'fortran_order'");
    if (!have_shape) return header_fail(c, "missing key 'shape'");
    *dtype = descr_dtype(descr);
    if (*dtype == 0) {
        char msg[128];
        if (descr[0] == '>')
            snprintf(msg, sizeof msg, "'descr' '%s' is big-endian (only little-endian is supported)",
                     descr);
        else
            snprintf(msg, sizeof msg, "unsupported 'descr' '%s' (expected <f4, <f8, <f2 or |u1)", descr);
        return header_fail(c, msg);
    }
    if (fortran)
        return header_fail(c, "'fortran_order' is True (only C-order arrays are supported)");
    return 0;
}


static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void convert(const uint8_t *src, int dtype, size_t count, float *dst) {
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = src + i * (size_t)dtype;
        if (dtype == NPY_U1) {
            dst[i] = (float)p[0];
        } else if (dtype == NPY_F2) {
            dst[i] = clbb__half_to_float((uint16_t)load_le(p, 2));
        } else if (dtype == NPY_F4) {
            uint32_t b = (uint32_t)load_le(p, 4);
            memcpy(&dst[i], &b, 4);
        } else {
            uint64_t b = load_le(p, 8);
            double d;
            memcpy(&d, &b, 8);
            dst[i] = (float)d;
        }
    }
}




clbb_status clbb_npy_parse(const void *bytes, size_t length, clbb_npy_array *out, char *errbuf,
                           size_t errbuf_size) {
    if (out) memset(out, 0, sizeof *out);
    if (!out)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_npy_parse: out is NULL");
    if (!bytes && length > 0)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_npy_parse: bytes is NULL");
    const uint8_t *b = bytes;
    if (length < NPY_MAGIC_LEN || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        if (length < NPY_MAGIC_LEN && (length == 0 || memcmp(b, NPY_MAGIC, length) == 0))
            return clbb__format_fail(errbuf, errbuf_size, "npy", "truncated: %zu bytes, shorter than the magic",
                            length);
        return clbb__format_fail(errbuf, errbuf_size, "npy", "bad magic at byte 0 (not a .npy file)");
    }
    if (length < 10)
        return clbb__format_fail(errbuf, errbuf_size, "npy",
                        "truncated: %zu bytes, shorter than the version and header length",
                        length);
    const unsigned major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0)
        return clbb__format_fail(errbuf, errbuf_size, "npy",
                        "unsupported format version %u.%u at byte 6 (1.0, 2.0, 3.0 are)", major,
                        minor);
    const size_t prefix = major == 1 ? 10 : 12;
    if (length < prefix)
        return clbb__format_fail(errbuf, errbuf_size, "npy",
                        "truncated: %zu bytes, shorter than the version %u.0 preamble", length,
                        major);
    const size_t header_len = (size_t)load_le(b + 8, major == 1 ? 2 : 4);
    if (header_len > length - prefix)
        return clbb__format_fail(errbuf, errbuf_size, "npy",
                        "header length %zu at byte 8 runs past the end of the data (%zu bytes, "
                        "truncated?)",
                        header_len, length);

    npy_cursor c = {(const char *)b + prefix, (const char *)b + prefix + header_len,
                    (const char *)b + prefix, prefix, errbuf, errbuf_size};
    int dtype = 0, ndim = 0;
    int64_t dims[CLBB_NPY_MAX_DIMS] = {0};
    if (parse_header(&c, &dtype, &ndim, dims) != 0) return CLBB_ERR_FORMAT;

    char shape[CLBB_NPY_MAX_DIMS * 22 + 4];
    clbb__format_shape(shape, sizeof shape, ndim, dims);
    /* Bounding numel by SIZE_MAX / 8 keeps both the input size and the
     * float32 output size representable. */
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if ((uint64_t)dims[i] > (SIZE_MAX / 8) / numel)
            return clbb__format_fail(errbuf, errbuf_size, "npy", "shape %s has too many elements (overflow)",
                            shape);
        numel *= (size_t)dims[i];
    }
    const size_t data_offset = prefix + header_len;
    const size_t have = length - data_offset, need = numel * (size_t)dtype;
    if (have < need)
        return clbb__format_fail(errbuf, errbuf_size, "npy",
                        "data at byte %zu is %zu bytes but shape %s of %s needs %zu (truncated)",
                        data_offset, have, shape, dtype_name(dtype), need);
    if (have > need)
        return clbb__format_fail(errbuf, errbuf_size, "npy",
                        "%zu extra bytes after the data (shape %s of %s needs %zu bytes)",
                        have - need, shape, dtype_name(dtype), need);

    float *data = malloc(numel * sizeof(float));
    if (!data)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "npy: cannot allocate %zu bytes for shape %s",
                              numel * sizeof(float), shape);
    convert(b + data_offset, dtype, numel, data);
    out->ndim = ndim;
    out->uint8 = dtype == NPY_U1;
    memcpy(out->dims, dims, sizeof dims);
    out->data = data;
    return CLBB_OK;
}



clbb_status clbb_npy_read(const char *path, clbb_npy_array *out, char *errbuf,
                          size_t errbuf_size) {
    if (out) memset(out, 0, sizeof *out);
    if (!path || !out)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_npy_read: %s is NULL", path ? "out" : "path");
    uint8_t *bytes = NULL;
    size_t length = 0;
    clbb_status st = clbb__io_read_file(path, &bytes, &length, errbuf, errbuf_size);
    if (st != CLBB_OK) goto cleanup;
    char msg[NPY_ERR_MAX] = "";
    st = clbb_npy_parse(bytes, length, out, msg, sizeof msg);
    if (st != CLBB_OK) clbb__fail_buf(errbuf, errbuf_size, st, "'%s': %s", path, msg);
cleanup:
    free(bytes);
    return st;
}

void clbb_npy_array_free(clbb_npy_array *array) {
    if (!array) return;
    free(array->data);
    memset(array, 0, sizeof *array);
}


clbb_status clbb_npy_write(const char *path, int ndim, const int64_t *dims, const float *data,
                           char *errbuf, size_t errbuf_size) {
    clbb_status st = CLBB_OK;
    clbb__io_atomic_file af = {NULL, NULL};
    if (!path || !*path || !data || (ndim > 0 && !dims))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_npy_write: %s is NULL or empty",
                              !path || !*path ? "path" : !data ? "data" : "dims");
    if (ndim < 0 || ndim > CLBB_NPY_MAX_DIMS)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_npy_write '%s': ndim %d is outside 0..%d", path, ndim,
                              CLBB_NPY_MAX_DIMS);
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 1)
            return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                                  "clbb_npy_write '%s': dimension %d is %lld (must be >= 1)",
                                  path, i, (long long)dims[i]);
        if ((uint64_t)dims[i] > (SIZE_MAX / 8) / numel)
            return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                                  "clbb_npy_write '%s': shape has too many elements", path);
        numel *= (size_t)dims[i];
    }

    /* The header never exceeds ~300 bytes (8 dims of 19 digits), so 1.0's
     * u16 length always fits; 2.0 is kept for completeness. */
    char header[512];
    int n = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndim; i++)
        n += snprintf(header + n, sizeof header - (size_t)n, "%s%lld", i ? ", " : "",
                      (long long)dims[i]);
    n += snprintf(header + n, sizeof header - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    size_t text = (size_t)n;
    size_t prefix = 10;
    if (text + 1 + 64 > 65535) prefix = 12;
    /* Pad with spaces so that the data starts 64-byte aligned (numpy >= 1.9 does). */
    size_t total = prefix + text + 1;
    size_t pad = (64 - total % 64) % 64;
    if (text + pad + 1 > sizeof header)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_npy_write '%s': header too long", path);
    memset(header + text, ' ', pad);
    header[text + pad] = '\n';
    size_t header_len = text + pad + 1;

    uint8_t pre[12];
    memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
    pre[6] = prefix == 10 ? 1 : 2;
    pre[7] = 0;
    for (size_t k = 0; k < prefix - 8; k++) pre[8 + k] = (uint8_t)(header_len >> (8 * k));

    st = clbb__io_atomic_open(path, &af, errbuf, errbuf_size);
    if (st != CLBB_OK) goto cleanup;
    if (fwrite(pre, 1, prefix, af.f) != prefix ||
        fwrite(header, 1, header_len, af.f) != header_len ||
        clbb__io_write_f32_le(af.f, data, numel) != 0) {
        char why[128] = "";
        strerror_r(errno, why, sizeof why);
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot write '%s': %s", path, why);
        goto cleanup;
    }
    st = clbb__io_atomic_commit(&af, path, errbuf, errbuf_size);
cleanup:
    if (st != CLBB_OK) clbb__io_atomic_abort(&af);
    return st;
}
