/* Feature maps as a picture: a grid of heat maps, one row per output
 * level, one tile per channel, each channel normalised to its own range
 * and coloured with viridis (perceptually uniform, readable in grey). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

#define VIS_MAX_SIDE 4096
#define VIS_MIN_TILE 8

/* matplotlib's viridis at 0, 1/16, ..., 1; linear in between. */
static const uint8_t viridis[17][3] = {
    {68, 1, 84},    {72, 24, 106},  {71, 45, 123},  {66, 64, 134},  {59, 82, 139},
    {51, 99, 141},  {44, 114, 142}, {38, 130, 142}, {33, 145, 140}, {31, 160, 136},
    {40, 174, 128}, {63, 188, 115}, {94, 201, 98},  {132, 212, 75}, {173, 220, 48},
    {216, 226, 25}, {253, 231, 37},
};

static void colour(float t, uint8_t *rgb) {
    if (!(t > 0.f)) t = 0.f;
    if (t > 1.f) t = 1.f;
    float pos = t * 16.f;
    int i = (int)pos;
    if (i > 15) i = 15;
    float f = pos - (float)i;
    for (int k = 0; k < 3; k++)
        rgb[k] = (uint8_t)lrintf((float)viridis[i][k] * (1.f - f) + (float)viridis[i + 1][k] * f);
}

static void draw_tile(const float *map, int64_t h, int64_t w, uint8_t *img, size_t stride,
                      int32_t th, int32_t tw) {
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < h * w; i++)
        if (isfinite(map[i])) {
            if (map[i] < lo) lo = map[i];
            if (map[i] > hi) hi = map[i];
        }
    float range = hi > lo ? hi - lo : 0.f;
    for (int32_t y = 0; y < th; y++) {
        int64_t sy = (int64_t)y * h / th;
        for (int32_t x = 0; x < tw; x++) {
            int64_t sx = (int64_t)x * w / tw;
            float v = map[sy * w + sx];
            uint8_t *p = img + (size_t)y * stride + (size_t)x * 3;
            if (!isfinite(v)) memset(p, 0, 3);
            else colour(range > 0.f ? (v - lo) / range : 0.f, p);
        }
    }
}

CLBB_API clbb_status clbb_features_visualize(const char *path, int num_levels,
                                             const clbb_npy_array *levels, int max_channels,
                                             char *errbuf, size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (!path || !path[0] || !levels)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_features_visualize: %s", levels ? "no path" : "levels is NULL");
    if (num_levels < 1 || num_levels > 16 || max_channels < 1 || max_channels > 256)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_features_visualize: %d levels, max_channels %d (1..16 levels, "
                              "1..256 channels)",
                              num_levels, max_channels);
    int64_t th = 0, tw = 0, best = 0;
    int cols = 0;
    for (int l = 0; l < num_levels; l++) {
        const clbb_npy_array *a = &levels[l];
        if (a->ndim != 4 || !a->data || a->dims[0] < 1 || a->dims[1] < 1 || a->dims[2] < 1 ||
            a->dims[3] < 1)
            return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                                  "clbb_features_visualize: level %d is not a rank-4 NCHW array "
                                  "with data",
                                  l);
        if (a->dims[2] * a->dims[3] > best) {
            best = a->dims[2] * a->dims[3];
            th = a->dims[2];
            tw = a->dims[3];
        }
        int c = a->dims[1] < max_channels ? (int)a->dims[1] : max_channels;
        if (c > cols) cols = c;
    }
    if (th < VIS_MIN_TILE) th = VIS_MIN_TILE;
    if (tw < VIS_MIN_TILE) tw = VIS_MIN_TILE;
    /* a 1-pixel separator before every tile and after the last */
    int64_t lim_w = (VIS_MAX_SIDE - 1) / cols - 1, lim_h = (VIS_MAX_SIDE - 1) / num_levels - 1;
    if (tw > lim_w) tw = lim_w;
    if (th > lim_h) th = lim_h;
    int32_t W = (int32_t)(cols * (tw + 1) + 1), H = (int32_t)(num_levels * (th + 1) + 1);
    size_t stride = (size_t)W * 3;
    uint8_t *img = calloc((size_t)H, stride); /* black separators and empty cells */
    if (!img)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "clbb_features_visualize: cannot allocate a %dx%d picture", W, H);
    for (int l = 0; l < num_levels; l++) {
        const clbb_npy_array *a = &levels[l];
        int64_t h = a->dims[2], w = a->dims[3];
        int c = a->dims[1] < max_channels ? (int)a->dims[1] : max_channels;
        for (int k = 0; k < c; k++) {
            uint8_t *cell = img + (size_t)(l * (th + 1) + 1) * stride + (size_t)(k * (tw + 1) + 1) * 3;
            draw_tile(a->data + (size_t)k * (size_t)(h * w), h, w, cell, stride, (int32_t)th,
                      (int32_t)tw);
        }
    }
    clbb_status st = clbb_png_write(path, W, H, 3, img, errbuf, errbuf_size);
    free(img);
    return st;
}
