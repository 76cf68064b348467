/* .safetensors reader and writer (see clbb/io.h, SPEC B.2).
 *
 * The reader treats its input as untrusted: the header length, every
 * entry's shape, dtype and byte range are checked with overflow-safe
 * arithmetic before any tensor is exposed, and ranges may not overlap.
 * The parsed object owns a copy of the file's bytes and of every string,
 * so nothing points into caller memory or into the JSON tree. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>


#include "io_internal.h"

/* The reference implementation's limit; a larger header is an attack, not a model. */
#define ST_MAX_HEADER 100000000u
/* JSON numbers are doubles: integers above 2^53 are not exact. */
#define ST_MAX_INT 9007199254740992.0
#define ST_ERR_MAX 1024
/* Longest tensor name quoted in a message. */
#define ST_NAME_SHOWN 200

struct clbb_safetensors {
    uint8_t *bytes;
    size_t length;
    clbb_st_tensor *tensors; /* file order */
    size_t count;
    const clbb_st_tensor **by_name; /* sorted by name, for lookup */
    char *strings;                  /* names and dtype names */
};

typedef struct st_dtype_info {
    const char *name;
    clbb_st_dtype dtype;
    unsigned size; /* bytes per element */
} st_dtype_info;

/* Every dtype of the safetensors spec, so that sizes are checked even for
 * the ones we refuse to convert. */
static const st_dtype_info st_dtypes[] = {
    {"F32", CLBB_ST_F32, 4},       {"F16", CLBB_ST_F16, 2},     {"BF16", CLBB_ST_BF16, 2},
    {"F64", CLBB_ST_F64, 8},       {"I64", CLBB_ST_I64, 8},     {"BOOL", CLBB_ST_OTHER, 1},
    {"U8", CLBB_ST_OTHER, 1},      {"I8", CLBB_ST_OTHER, 1},    {"F8_E5M2", CLBB_ST_OTHER, 1},
    {"F8_E4M3", CLBB_ST_OTHER, 1}, {"I16", CLBB_ST_OTHER, 2},   {"U16", CLBB_ST_OTHER, 2},
    {"I32", CLBB_ST_OTHER, 4},     {"U32", CLBB_ST_OTHER, 4},   {"U64", CLBB_ST_OTHER, 8},
};

static const st_dtype_info *dtype_lookup(const char *name) {
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(st_dtypes); i++)
        if (strcmp(st_dtypes[i].name, name) == 0) return &st_dtypes[i];
    return NULL;
}

static unsigned dtype_size(const clbb_st_tensor *t) {
    const st_dtype_info *d = t->dtype_name ? dtype_lookup(t->dtype_name) : NULL;
    if (d) return d->size;
    switch (t->dtype) {
    case CLBB_ST_F32: return 4;
    case CLBB_ST_F16:
    case CLBB_ST_BF16: return 2;
    case CLBB_ST_F64:
    case CLBB_ST_I64: return 8;
    default: return 0;
    }
}



/* Product of the shape; 0 with *ok = 0 on overflow of UINT64_MAX / elem. */
static uint64_t shape_numel(int ndim, const int64_t *shape, uint64_t elem, int *ok) {
    uint64_t n = 1;
    *ok = 1;
    for (int i = 0; i < ndim; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d != 0 && n > (UINT64_MAX / (elem ? elem : 1)) / d) {
            *ok = 0;
            return 0;
        }
        n *= d;
    }
    return n;
}

static int json_exact_uint(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double d = item->valuedouble;
    /* The comparisons are false for NaN, so NaN fails too. */
    if (!(d >= 0.0 && d <= ST_MAX_INT) || d != (double)(uint64_t)d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int cmp_by_name(const void *a, const void *b) {
    const clbb_st_tensor *x = *(const clbb_st_tensor *const *)a;
    const clbb_st_tensor *y = *(const clbb_st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_by_range(const void *a, const void *b) {
    const clbb_st_tensor *x = *(const clbb_st_tensor *const *)a;
    const clbb_st_tensor *y = *(const clbb_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

void clbb_safetensors_close(clbb_safetensors *st) {
    if (!st) return;
    free(st->bytes);
    free(st->tensors);
    free(st->by_name);
    free(st->strings);
    free(st);
}

/* Checks one entry of the header and fills *t (its strings still point into
 * the JSON tree). */
static clbb_status parse_entry(const cJSON *entry, const char *name, uint64_t data_len,
                               clbb_st_tensor *t, char *errbuf, size_t errbuf_size) {
    const int w = ST_NAME_SHOWN;
    if (!cJSON_IsObject(entry))
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': entry is not a JSON object", w, name);
    const cJSON *dtype = NULL, *shape = NULL, *offsets = NULL;
    for (const cJSON *f = entry->child; f; f = f->next) {
        const cJSON **slot = NULL;
        if (strcmp(f->string, "dtype") == 0) slot = &dtype;
        else if (strcmp(f->string, "shape") == 0) slot = &shape;
        else if (strcmp(f->string, "data_offsets") == 0) slot = &offsets;
        else continue; /* unknown fields are ignored, as the reference reader does */
        if (*slot)
            return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': duplicate field '%s'", w, name,
                           f->string);
        *slot = f;
    }
    if (!dtype || !cJSON_IsString(dtype))
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': 'dtype' is %s", w, name,
                       dtype ? "not a string" : "missing");
    if (!shape || !cJSON_IsArray(shape))
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': 'shape' is %s", w, name,
                       shape ? "not an array" : "missing");
    if (!offsets || !cJSON_IsArray(offsets))
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': 'data_offsets' is %s", w, name,
                       offsets ? "not an array" : "missing");

    memset(t, 0, sizeof *t);
    t->name = name;
    t->dtype_name = dtype->valuestring;
    const st_dtype_info *info = dtype_lookup(dtype->valuestring);
    t->dtype = info ? info->dtype : CLBB_ST_OTHER;

    int ndim = cJSON_GetArraySize(shape);
    if (ndim > CLBB_ST_MAX_DIMS)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': 'shape' has %d dimensions (at most %d)",
                       w, name, ndim, CLBB_ST_MAX_DIMS);
    int i = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        uint64_t v;
        if (!json_exact_uint(d, &v))
            return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                           "tensor '%.*s': 'shape'[%d] is not a non-negative integer", w, name, i);
        t->shape[i] = (int64_t)v;
    }
    t->ndim = ndim;

    uint64_t begin, end;
    if (cJSON_GetArraySize(offsets) != 2 || !json_exact_uint(offsets->child, &begin) ||
        !json_exact_uint(offsets->child->next, &end))
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': 'data_offsets' must be [begin, end] of non-negative "
                       "integers",
                       w, name);
    if (begin > end)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': data_offsets [%" PRIu64 ", %" PRIu64 "] begin past end", w,
                       name, begin, end);
    if (end > data_len)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                       "] run past the data section (%" PRIu64 " bytes)",
                       w, name, begin, end, data_len);
    t->begin = begin;
    t->end = end;

    char shp[CLBB_ST_MAX_DIMS * 22 + 4];
    clbb__format_shape(shp, sizeof shp, t->ndim, t->shape);
    int ok;
    uint64_t elem = info ? info->size : 1;
    uint64_t numel = shape_numel(t->ndim, t->shape, elem, &ok);
    if (!ok)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': shape %s overflows (too many elements)",
                       w, name, shp);
    /* An unknown dtype has no known size: its range is still checked above. */
    if (info && numel * elem != end - begin)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                       "] do not match shape %s of %s (%" PRIu64 " bytes)",
                       w, name, begin, end, shp, info->name, numel * elem);
    return CLBB_OK;
}

/* Copies the names into one block so that the JSON tree can go. */
static clbb_status own_strings(clbb_safetensors *st, char *errbuf, size_t errbuf_size) {
    size_t total = 1;
    for (size_t i = 0; i < st->count; i++)
        total += strlen(st->tensors[i].name) + strlen(st->tensors[i].dtype_name) + 2;
    st->strings = malloc(total);
    if (!st->strings)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "safetensors: cannot allocate %zu bytes of names", total);
    char *p = st->strings;
    for (size_t i = 0; i < st->count; i++) {
        clbb_st_tensor *t = &st->tensors[i];
        size_t n = strlen(t->name) + 1;
        memcpy(p, t->name, n);
        t->name = p;
        p += n;
        n = strlen(t->dtype_name) + 1;
        memcpy(p, t->dtype_name, n);
        t->dtype_name = p;
        p += n;
    }
    return CLBB_OK;
}

static int is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Parses bytes it takes ownership of (freed on failure). */
/* torch.save writes a zip archive (PyTorch >= 1.6) or, legacy, a pickle
 * stream (protocol 2..5 opcode first). */
static const char *looks_like_torch(const uint8_t *b, size_t length) {
    if (length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4)
        return "a zip archive (magic PK\\x03\\x04)";
    if (length >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5)
        return "a Python pickle (magic \\x80)";
    return NULL;
}

static clbb_status parse_owned(uint8_t *bytes, size_t length, clbb_safetensors **out,
                               char *errbuf, size_t errbuf_size) {
    clbb_status st = CLBB_OK;
    clbb_safetensors *s = NULL;
    char *header = NULL;
    cJSON *root = NULL;
    const clbb_st_tensor **by_range = NULL;

    uint64_t n = 0;
    for (int i = 7; i >= 0 && length >= 8; i--) n = (n << 8) | bytes[i];
    /* torch.save's formats, recognised only when the header length is
     * impossible anyway (a valid file is never misread) */
    const char *torch = looks_like_torch(bytes, length);
    if (torch && (length < 8 || n > length - 8 || n >= ST_MAX_HEADER)) {
        st = clbb__format_fail(errbuf, errbuf_size, "safetensors",
                     "this is %s (a PyTorch .pth checkpoint?), not .safetensors: convert it "
                     "with `python3 tools/convert_checkpoint.py FILE.pth FILE.safetensors`",
                     torch);
        goto cleanup;
    }
    if (length < 8) {
        st = clbb__format_fail(errbuf, errbuf_size, "safetensors",
                     "truncated: %zu bytes, shorter than the 8-byte header length", length);
        goto cleanup;
    }
    if (n > length - 8) {
        st = clbb__format_fail(errbuf, errbuf_size, "safetensors",
                     "header length %" PRIu64 " at byte 0 runs past the end of the file (%zu "
                     "bytes, truncated?)",
                     n, length);
        goto cleanup;
    }
    if (n >= ST_MAX_HEADER) {
        st = clbb__format_fail(errbuf, errbuf_size, "safetensors",
                     "header length %" PRIu64 " at byte 0 exceeds the %u-byte limit", n,
                     ST_MAX_HEADER);
        goto cleanup;
    }
    /* cJSON gets its own NUL-terminated copy so that it can never read past
     * the header, whatever the bytes. */
    header = malloc((size_t)n + 1);
    if (!header) {
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                            "safetensors: cannot allocate the %" PRIu64 "-byte header", n);
        goto cleanup;
    }
    memcpy(header, bytes + 8, (size_t)n);
    header[n] = '\0';
    const char *json_end = NULL;
    root = cJSON_ParseWithLengthOpts(header, (size_t)n, &json_end, 0);
    if (!root) {
        size_t at = json_end ? (size_t)(json_end - header) : 0;
        st = clbb__format_fail(errbuf, errbuf_size, "safetensors", "malformed header JSON near byte %zu", 8 + at);
        goto cleanup;
    }
    for (const char *p = json_end; p < header + n; p++) {
        if (!is_json_space(*p)) {
            st = clbb__format_fail(errbuf, errbuf_size, "safetensors", "unexpected byte 0x%02x after the header JSON at "
                         "byte %zu", (unsigned)(unsigned char)*p, 8 + (size_t)(p - header));
            goto cleanup;
        }
    }
    if (!cJSON_IsObject(root)) {
        st = clbb__format_fail(errbuf, errbuf_size, "safetensors", "header JSON is not an object");
        goto cleanup;
    }

    s = calloc(1, sizeof *s);
    size_t entries = (size_t)cJSON_GetArraySize(root) + 1;
    if (s) s->tensors = calloc(entries, sizeof *s->tensors);
    if (s) s->by_name = calloc(entries, sizeof *s->by_name);
    by_range = calloc(entries, sizeof *by_range);
    if (!s || !s->tensors || !s->by_name || !by_range) {
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                            "safetensors: cannot allocate %zu entries", entries);
        goto cleanup;
    }
    const uint64_t data_len = length - 8 - n;
    int have_metadata = 0;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (have_metadata) {
                st = clbb__format_fail(errbuf, errbuf_size, "safetensors", "duplicate key '__metadata__'");
                goto cleanup;
            }
            have_metadata = 1;
            int strings_only = cJSON_IsObject(e);
            for (const cJSON *m = strings_only ? e->child : NULL; m; m = m->next)
                if (!cJSON_IsString(m)) strings_only = 0;
            if (!strings_only) {
                st = clbb__format_fail(errbuf, errbuf_size, "safetensors", "'__metadata__' is not an object of strings");
                goto cleanup;
            }
            continue;
        }
        clbb_st_tensor *t = &s->tensors[s->count];
        st = parse_entry(e, e->string, data_len, t, errbuf, errbuf_size);
        if (st != CLBB_OK) goto cleanup;
        t->data = bytes + 8 + n + t->begin;
        s->by_name[s->count] = t;
        by_range[s->count] = t;
        s->count++;
    }

    qsort(s->by_name, s->count, sizeof *s->by_name, cmp_by_name);
    for (size_t i = 1; i < s->count; i++) {
        if (strcmp(s->by_name[i - 1]->name, s->by_name[i]->name) == 0) {
            st = clbb__format_fail(errbuf, errbuf_size, "safetensors", "duplicate tensor name '%.*s'", ST_NAME_SHOWN,
                         s->by_name[i]->name);
            goto cleanup;
        }
    }
    /* Empty ranges hold no bytes, so they cannot overlap anything. */
    qsort(by_range, s->count, sizeof *by_range, cmp_by_range);
    const clbb_st_tensor *last = NULL;
    for (size_t i = 0; i < s->count; i++) {
        const clbb_st_tensor *t = by_range[i];
        if (t->begin == t->end) continue;
        if (last && t->begin < last->end) {
            st = clbb__format_fail(errbuf, errbuf_size, "safetensors",
                         "tensors '%.*s' and '%.*s' overlap: data_offsets [%" PRIu64 ", %" PRIu64
                         "] and [%" PRIu64 ", %" PRIu64 "]",
                         ST_NAME_SHOWN, last->name, ST_NAME_SHOWN, t->name, last->begin,
                         last->end, t->begin, t->end);
            goto cleanup;
        }
        if (!last || t->end > last->end) last = t;
    }

    st = own_strings(s, errbuf, errbuf_size);
    if (st != CLBB_OK) goto cleanup;
    s->bytes = bytes;
    s->length = length;
    bytes = NULL;
    *out = s;
    s = NULL;
cleanup:
    cJSON_Delete(root);
    free(header);
    free(by_range);
    clbb_safetensors_close(s);
    free(bytes);
    return st;
}

clbb_status clbb_safetensors_parse(const void *bytes, size_t length, clbb_safetensors **out,
                                   char *errbuf, size_t errbuf_size) {
    if (out) *out = NULL;
    if (!out || (!bytes && length > 0))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_safetensors_parse: %s is NULL", out ? "bytes" : "out");
    uint8_t *copy = malloc(length ? length : 1);
    if (!copy)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "safetensors: cannot copy %zu bytes", length);
    if (length) memcpy(copy, bytes, length);
    return parse_owned(copy, length, out, errbuf, errbuf_size);
}

clbb_status clbb_safetensors_open(const char *path, clbb_safetensors **out, char *errbuf,
                                  size_t errbuf_size) {
    if (out) *out = NULL;
    if (!path || !out)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_safetensors_open: %s is NULL", path ? "out" : "path");
    uint8_t *bytes = NULL;
    size_t length = 0;
    clbb_status st = clbb__io_read_file(path, &bytes, &length, errbuf, errbuf_size);
    if (st != CLBB_OK) return st;
    char msg[ST_ERR_MAX] = "";
    /* parse_owned takes the buffer: a weights file is not copied twice. */
    st = parse_owned(bytes, length, out, msg, sizeof msg);
    if (st != CLBB_OK) clbb__fail_buf(errbuf, errbuf_size, st, "'%s': %s", path, msg);
    return st;
}

size_t clbb_safetensors_count(const clbb_safetensors *st) { return st ? st->count : 0; }

const clbb_st_tensor *clbb_safetensors_get(const clbb_safetensors *st, size_t index) {
    if (!st || index >= st->count) return NULL;
    return &st->tensors[index];
}

const clbb_st_tensor *clbb_safetensors_find(const clbb_safetensors *st, const char *name) {
    if (!st || !name || st->count == 0) return NULL;
    clbb_st_tensor key;
    memset(&key, 0, sizeof key);
    key.name = name;
    const clbb_st_tensor *kp = &key;
    const clbb_st_tensor **hit =
        bsearch(&kp, st->by_name, st->count, sizeof *st->by_name, cmp_by_name);
    return hit ? *hit : NULL;
}

static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

clbb_status clbb_st_tensor_to_f32(const clbb_st_tensor *t, float *dst, size_t count, char *errbuf,
                                  size_t errbuf_size) {
    if (!t || !t->name || (!dst && count > 0) || (!t->data && t->end > t->begin))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_st_tensor_to_f32: %s is NULL",
                              !t || !t->name ? "tensor" : !dst ? "dst" : "tensor data");
    const int w = ST_NAME_SHOWN;
    const char *dname = t->dtype_name ? t->dtype_name : "?";
    if (t->dtype == CLBB_ST_I64)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': dtype I64 is an integer type, not convertible to F32", w,
                       t->name);
    if (t->dtype != CLBB_ST_F32 && t->dtype != CLBB_ST_F16 && t->dtype != CLBB_ST_BF16 &&
        t->dtype != CLBB_ST_F64)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': unsupported dtype '%s' (F32, F16, BF16, F64 are)", w,
                       t->name, dname);
    if (t->ndim < 0 || t->ndim > CLBB_ST_MAX_DIMS)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors", "tensor '%.*s': rank %d out of range", w, t->name,
                       t->ndim);
    const unsigned esize = dtype_size(t);
    char shp[CLBB_ST_MAX_DIMS * 22 + 4];
    clbb__format_shape(shp, sizeof shp, t->ndim, t->shape);
    int ok = 1;
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] < 0) ok = 0;
    uint64_t numel = ok ? shape_numel(t->ndim, t->shape, esize, &ok) : 0;
    if (!ok || numel != (uint64_t)count)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': count %zu does not match shape %s", w, t->name, count,
                       shp);
    /* A tensor from our parser always passes; this guards hand-made ones. */
    if (t->end < t->begin || t->end - t->begin != numel * esize)
        return clbb__format_fail(errbuf, errbuf_size, "safetensors",
                       "tensor '%.*s': data_offsets [%" PRIu64 ", %" PRIu64
                       "] do not match shape %s of %s",
                       w, t->name, t->begin, t->end, shp, dname);
    const uint8_t *p = t->data;
    for (size_t i = 0; i < count; i++) {
        switch (t->dtype) {
        case CLBB_ST_F32: {
            uint32_t b = (uint32_t)load_le(p + 4 * i, 4);
            memcpy(&dst[i], &b, 4);
            break;
        }
        case CLBB_ST_F16: dst[i] = clbb__half_to_float((uint16_t)load_le(p + 2 * i, 2)); break;
        case CLBB_ST_BF16: {
            uint32_t b = (uint32_t)load_le(p + 2 * i, 2) << 16;
            memcpy(&dst[i], &b, 4);
            break;
        }
        default: {
            uint64_t b = load_le(p + 8 * i, 8);
            double d;
            memcpy(&d, &b, 8);
            dst[i] = (float)d;
            break;
        }
        }
    }
    return CLBB_OK;
}

/* A growing text buffer for the JSON header. */
typedef struct st_text {
    char *p;
    size_t len, cap;
    int oom;
} st_text;

static void text_add(st_text *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->cap - b->len < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n + 1) {
            if (cap > SIZE_MAX / 2) {
                b->oom = 1;
                return;
            }
            cap *= 2;
        }
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void text_printf(st_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(st_text *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) text_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string literal; names are taken as UTF-8 and only escaped. */
static void text_json_string(st_text *b, const char *s) {
    text_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            text_add(b, esc, 2);
        } else if (c < 0x20) {
            text_printf(b, "\\u%04x", c);
        } else {
            text_add(b, (const char *)&c, 1);
        }
    }
    text_add(b, "\"", 1);
}

static int cmp_entry_names(const void *a, const void *b) {
    const clbb_st_write_entry *x = *(const clbb_st_write_entry *const *)a;
    const clbb_st_write_entry *y = *(const clbb_st_write_entry *const *)b;
    return strcmp(x->name, y->name);
}

clbb_status clbb_safetensors_write(const char *path, const clbb_st_write_entry *entries,
                                   size_t count, char *errbuf, size_t errbuf_size) {
    clbb_status st = CLBB_OK;
    st_text hdr = {NULL, 0, 0, 0};
    const clbb_st_write_entry **sorted = NULL;
    clbb__io_atomic_file af = {NULL, NULL};
    if (!path || !*path || (!entries && count > 0))
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_safetensors_write: %s is NULL or empty",
                              !path || !*path ? "path" : "entries");

    sorted = malloc((count ? count : 1) * sizeof *sorted);
    if (!sorted) {
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                            "clbb_safetensors_write '%s': out of memory", path);
        goto cleanup;
    }
    /* Same checks the reader makes, so that we never write a file we refuse. */
    uint64_t offset = 0;
    text_add(&hdr, "{", 1);
    for (size_t i = 0; i < count; i++) {
        const clbb_st_write_entry *e = &entries[i];
        int ok = e->name && strcmp(e->name, "__metadata__") != 0 && e->ndim >= 0 &&
                 e->ndim <= CLBB_ST_MAX_DIMS;
        for (int d = 0; ok && d < e->ndim; d++)
            if (e->shape[d] < 0) ok = 0;
        uint64_t numel = ok ? shape_numel(e->ndim, e->shape, 4, &ok) : 0;
        if (ok && numel > 0 && !e->data) ok = 0;
        /* Offsets stay below 2^53 so that every JSON reader reads them exactly. */
        if (ok && (numel * 4 > (uint64_t)ST_MAX_INT - offset)) ok = 0;
        if (!ok) {
            st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                                "clbb_safetensors_write '%s': entry %zu ('%.*s') has a NULL or "
                                "reserved name, a rank outside 0..%d, a negative or too large "
                                "shape, or NULL data",
                                path, i, ST_NAME_SHOWN, e->name ? e->name : "(null)",
                                CLBB_ST_MAX_DIMS);
            goto cleanup;
        }
        sorted[i] = e;
        if (i) text_add(&hdr, ",", 1);
        text_json_string(&hdr, e->name);
        static const char mid[] = ":{\"dtype\":\"F32\",\"shape\":[";
        text_add(&hdr, mid, sizeof mid - 1);
        for (int d = 0; d < e->ndim; d++)
            text_printf(&hdr, "%s%" PRId64, d ? "," : "", e->shape[d]);
        text_printf(&hdr, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", offset,
                    offset + numel * 4);
        offset += numel * 4;
    }
    text_add(&hdr, "}", 1);
    qsort(sorted, count, sizeof *sorted, cmp_entry_names);
    for (size_t i = 1; i < count; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                                "clbb_safetensors_write '%s': duplicate tensor name '%.*s'", path,
                                ST_NAME_SHOWN, sorted[i]->name);
            goto cleanup;
        }
    }
    /* Spaces to a multiple of 8 keep the data section 8-byte aligned. */
    while (!hdr.oom && hdr.len % 8 != 0) text_add(&hdr, " ", 1);
    if (hdr.oom) {
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                            "clbb_safetensors_write '%s': out of memory for the header", path);
        goto cleanup;
    }

    uint8_t len8[8];
    for (int k = 0; k < 8; k++) len8[k] = (uint8_t)((uint64_t)hdr.len >> (8 * k));
    st = clbb__io_atomic_open(path, &af, errbuf, errbuf_size);
    if (st != CLBB_OK) goto cleanup;
    int failed = fwrite(len8, 1, 8, af.f) != 8 || fwrite(hdr.p, 1, hdr.len, af.f) != hdr.len;
    for (size_t i = 0; i < count && !failed; i++) {
        int ok;
        uint64_t numel = shape_numel(entries[i].ndim, entries[i].shape, 4, &ok);
        if (numel) failed = clbb__io_write_f32_le(af.f, entries[i].data, (size_t)numel) != 0;
    }
    if (failed) {
        char why[128] = "";
        strerror_r(errno, why, sizeof why);
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot write '%s': %s", path, why);
        goto cleanup;
    }
    st = clbb__io_atomic_commit(&af, path, errbuf, errbuf_size);
cleanup:
    if (st != CLBB_OK) clbb__io_atomic_abort(&af);
    free(sorted);
    free(hdr.p);
    return st;
}
