/* Strings, the random stream, medians and array errors (no OpenCL). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

clbb_status clbb__fail_buf(char *buf, size_t size, clbb_status st, const char *fmt, ...) {
    if (buf && size) {
        va_list ap;
        va_start(ap, fmt);
        if (vsnprintf(buf, size, fmt, ap) < 0) buf[0] = '\0';
        va_end(ap);
    }
    return st;
}

void clbb__strlcpy(char *dst, const char *src, size_t size) {
    if (!dst || size == 0) return;
    size_t n = src ? strlen(src) : 0;
    if (n >= size) n = size - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

void clbb__strlcatf(char *dst, size_t size, const char *fmt, ...) {
    size_t n = strnlen(dst, size);
    if (n + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(dst + n, size - n, fmt, ap) < 0) dst[n] = '\0';
    va_end(ap);
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

int clbb__stristr(const char *h, const char *n) {
    if (!h || !n) return 0;
    size_t ln = strlen(n);
    if (ln == 0) return 1;
    for (; *h; h++) {
        size_t i = 0;
        while (i < ln && h[i] && lower((unsigned char)h[i]) == lower((unsigned char)n[i])) i++;
        if (i == ln) return 1;
    }
    return 0;
}

uint64_t clbb__splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void clbb__fill_uniform(float *x, size_t n, uint64_t *state, float lo, float hi) {
    for (size_t i = 0; i < n; i++) {
        double u = (double)(clbb__splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
        x[i] = (float)(lo + (hi - lo) * u);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double clbb__median(double *v, size_t n) {
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double clbb__rel_l2(const float *y, const float *ref, size_t n, double *max_abs) {
    double num = 0, den = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - ref[i];
        num += d * d;
        den += (double)ref[i] * ref[i];
        if (fabs(d) > mx || isnan(d)) mx = isnan(d) ? INFINITY : fabs(d);
    }
    if (max_abs) *max_abs = mx;
    if (den == 0) return num == 0 ? 0 : INFINITY;
    return sqrt(num / den);
}
