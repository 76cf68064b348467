/* File helpers shared by the .npy and .safetensors code. */
#ifndef CLBB_IO_INTERNAL_H
#define CLBB_IO_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "clbb/io.h"
#include "core/base.h"

/* A file written under a temporary name in the target's directory, renamed
 * over the target on commit, so that readers never see a partial file. */
typedef struct clbb__io_atomic_file {
    FILE *f;
    char *tmp;
} clbb__io_atomic_file;

/* Reads a whole regular file into a malloc'ed buffer (not NUL-terminated). */
clbb_status clbb__io_read_file(const char *path, uint8_t **out, size_t *out_len, char *errbuf,
                               size_t errbuf_size);
clbb_status clbb__io_atomic_open(const char *path, clbb__io_atomic_file *af, char *errbuf,
                                 size_t errbuf_size);
clbb_status clbb__io_atomic_commit(clbb__io_atomic_file *af, const char *path, char *errbuf,
                                   size_t errbuf_size);
void clbb__io_atomic_abort(clbb__io_atomic_file *af);
/* Writes floats as little-endian bytes whatever the host order; 0 on success. */
int clbb__io_write_f32_le(FILE *f, const float *data, size_t count);

/* "[d0,d1,...]" for messages. */
void clbb__format_shape(char *buf, size_t size, int ndim, const int64_t *dims);

/* CLBB_ERR_FORMAT with "<format>: <message>" in errbuf. */
clbb_status clbb__format_fail(char *errbuf, size_t errbuf_size, const char *format, const char *fmt,
                              ...) __attribute__((format(printf, 4, 5)));

#endif
