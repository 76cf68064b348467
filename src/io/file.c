/* File helpers shared by the .npy and .safetensors code: whole-file reads,
 * write-to-temporary-then-rename, little-endian floats, half floats. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_internal.h"

/* IEEE binary16 to binary32, exact for every input (subnormals, inf, NaN payloads). */
static clbb_status read_oom(char *errbuf, size_t errbuf_size, const char *path) {
    return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                          "cannot allocate memory to read '%s'", path);
}

/* Reads a whole file into a malloc'ed buffer (not NUL-terminated). */
clbb_status clbb__io_read_file(const char *path, uint8_t **out, size_t *out_len, char *errbuf,
                             size_t errbuf_size) {
    clbb_status st = CLBB_OK;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    char why[128] = "";
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        strerror_r(errno, why, sizeof why);
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot open '%s': %s", path, why);
        goto cleanup;
    }
    struct stat sb;
    /* devices and pipes (/dev/zero) would be read without end */
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "'%s' is not a regular file", path);
        goto cleanup;
    }
    /* The size is only a hint: the loop below reads to EOF whatever it is. */
    cap = (sb.st_size >= 0 && (uint64_t)sb.st_size < SIZE_MAX - 1) ? (size_t)sb.st_size + 1 : 65536;
    buf = malloc(cap);
    if (!buf) {
        st = read_oom(errbuf, errbuf_size, path);
        goto cleanup;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                st = read_oom(errbuf, errbuf_size, path);
                goto cleanup;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - len, got = fread(buf + len, 1, want, f);
        len += got;
        if (got < want) {
            if (ferror(f)) {
                strerror_r(errno, why, sizeof why);
                st = clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot read '%s': %s",
                                    path, why);
                goto cleanup;
            }
            break;
        }
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
cleanup:
    free(buf);
    if (f) fclose(f);
    return st;
}

clbb_status clbb__io_atomic_open(const char *path, clbb__io_atomic_file *af, char *errbuf,
                               size_t errbuf_size) {
    static const char suffix[] = ".tmp-XXXXXX";
    char why[128] = "";
    af->f = NULL;
    af->tmp = malloc(strlen(path) + sizeof suffix);
    if (!af->tmp)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "cannot allocate a temporary name for '%s'", path);
    strcpy(af->tmp, path);
    strcat(af->tmp, suffix);
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        strerror_r(errno, why, sizeof why);
        free(af->tmp);
        af->tmp = NULL;
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO,
                              "cannot create a temporary file next to '%s': %s", path, why);
    }
    /* mkstemp makes the file 0600; a written array is an ordinary data file. */
    (void)fchmod(fd, 0644);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        strerror_r(errno, why, sizeof why);
        close(fd);
        unlink(af->tmp);
        free(af->tmp);
        af->tmp = NULL;
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot write '%s': %s", path,
                              why);
    }
    return CLBB_OK;
}

void clbb__io_atomic_abort(clbb__io_atomic_file *af) {
    if (af->f) fclose(af->f);
    if (af->tmp) {
        unlink(af->tmp);
        free(af->tmp);
    }
    af->f = NULL;
    af->tmp = NULL;
}

clbb_status clbb__io_atomic_commit(clbb__io_atomic_file *af, const char *path, char *errbuf,
                                 size_t errbuf_size) {
    char why[128] = "";
    int failed = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    if (failed) strerror_r(errno, why, sizeof why);
    if (fclose(af->f) != 0 && !failed) {
        failed = 1;
        strerror_r(errno, why, sizeof why);
    }
    af->f = NULL;
    if (!failed && rename(af->tmp, path) != 0) {
        failed = 1;
        strerror_r(errno, why, sizeof why);
    }
    if (failed) {
        clbb__io_atomic_abort(af);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot write '%s': %s", path,
                              why);
    }
    free(af->tmp);
    af->tmp = NULL;
    return CLBB_OK;
}

/* Writes floats as little-endian bytes whatever the host order. */
int clbb__io_write_f32_le(FILE *f, const float *data, size_t count) {
    uint8_t chunk[4096];
    while (count > 0) {
        size_t n = count < sizeof chunk / 4 ? count : sizeof chunk / 4;
        for (size_t i = 0; i < n; i++) {
            uint32_t b;
            memcpy(&b, &data[i], 4);
            for (int k = 0; k < 4; k++) chunk[4 * i + (size_t)k] = (uint8_t)(b >> (8 * k));
        }
        if (fwrite(chunk, 1, n * 4, f) != n * 4) return -1;
        data += n;
        count -= n;
    }
    return 0;
}

void clbb__format_shape(char *buf, size_t size, int ndim, const int64_t *dims) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

clbb_status clbb__format_fail(char *errbuf, size_t errbuf_size, const char *format, const char *fmt,
                              ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_FORMAT, "%s: %s", format, msg);
}
