/* The part of the core that needs no OpenCL: status helpers, strings, the
 * seeded random stream, medians and errors of float arrays, fp16
 * conversion and the "NAME=VALUE,..." parameter texts. The io layer builds
 * on this alone. */
#ifndef CLBB_CORE_BASE_H
#define CLBB_CORE_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "clbb/status.h"

#define CLBB_CHECK(expr)                                                                        \
    do {                                                                                        \
        clbb_status clbb__st = (expr);                                                          \
        if (clbb__st != CLBB_OK) return clbb__st;                                               \
    } while (0)

#define CLBB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Formats a message into a caller buffer (may be NULL) and returns st. */
clbb_status clbb__fail_buf(char *buf, size_t size, clbb_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies with truncation, always NUL-terminated. */
void clbb__strlcpy(char *dst, const char *src, size_t size);

/* Appends formatted text to a NUL-terminated buffer, truncating. */
void clbb__strlcatf(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Case-insensitive substring test. */
int clbb__stristr(const char *haystack, const char *needle);

/* splitmix64: the one random stream of clbb (seeded inputs, test data,
 * weight init), so that every seed means the same numbers everywhere. */
uint64_t clbb__splitmix64(uint64_t *state);
/* Uniform floats in [lo, hi) from the stream. */
void clbb__fill_uniform(float *x, size_t n, uint64_t *state, float lo, float hi);

/* Median of v[0..n) (sorts v in place); 0 for n == 0. */
double clbb__median(double *v, size_t n);

/* ||y - ref|| / ||ref|| (0 when both are zero, inf when only ref is), and
 * the largest |y - ref| (inf if any difference is NaN). */
double clbb__rel_l2(const float *y, const float *ref, size_t n, double *max_abs);

/* IEEE binary16 <-> binary32. to_half rounds to nearest even and keeps
 * NaN a NaN; overflow gives infinity; to_float is exact. */
uint16_t clbb__float_to_half(float f);
float clbb__half_to_float(uint16_t h);

/* A key of a parameter text: an integer in [lo, hi], a power of two when
 * pow2. */
typedef struct clbb_param_key {
    const char *name;
    int lo, hi;
    int pow2;
} clbb_param_key;

/* Parses "NAME=VALUE,..." (NULL or "" is empty) against keys: values[i]
 * receives the value of keys[i], or -1 when absent. An unknown name, a
 * repeated one, a malformed entry or a value out of range is
 * CLBB_ERR_INVALID_ARGUMENT with a message naming it (prefixed by what). */
clbb_status clbb__params_parse(const char *text, const clbb_param_key *keys, size_t num_keys,
                               int *values, const char *what, char *errbuf, size_t errbuf_size);

#endif
