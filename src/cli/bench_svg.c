/* The charts of `clbb bench --svg` (one run: a bar per layer) and `bench
 * --compare --svg` (a group of bars per layer, one bar per report, and a
 * table of totals), drawn from bench reports. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_report.h"
#include "cli.h"
#include "svg.h"

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                      "#b07aa1", "#76b7b2", "#edc948", "#9c755f"};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

/* A colour per op kind, stable across charts. */
static const char *kind_color(const char *kind) {
    unsigned h = 5381;
    for (const unsigned char *s = (const unsigned char *)kind; *s; s++) h = h * 33 + *s;
    return palette[h % PALETTE_SIZE];
}

/* A round tick step giving about five gridlines up to max. */
static double tick_step(double max) {
    if (!(max > 0)) return 1;
    double raw = max / 5, p = pow(10, floor(log10(raw)));
    return raw / p <= 1 ? p : raw / p <= 2 ? 2 * p : raw / p <= 5 ? 5 * p : 10 * p;
}

static void axis(svg *s, double x0, double width, double y0, double y1, double max) {
    const double step = tick_step(max);
    for (int k = 0; k * step <= max * 1.0001 && k < 50; k++) {
        double x = x0 + width * (k * step) / max;
        svg_line(s, x, y0, x, y1, "#dddddd");
        svg_text(s, x, y0 - 4, "middle", "fill=\"#666666\"", "%g", k * step);
    }
}

/* A name cut to @p max bytes for a label (the tooltip keeps it whole). */
static void cut(const char *name, size_t max, char *out, size_t size) {
    if (strlen(name) <= max) {
        snprintf(out, size, "%s", name);
        return;
    }
    size_t k = max - 3;
    while (k > 0 && ((unsigned char)name[k] & 0xC0) == 0x80) k--; /* whole UTF-8 characters */
    snprintf(out, size, "%.*s...", (int)k, name);
}

static int write_failed(const char *path) {
    return cli_error(CLI_USAGE, "--svg: cannot write '%s': %s", path, strerror(errno));
}

static void subtitle_line(svg *s, double y, const bench_report *r) {
    svg_text(s, 10, y, "start", "fill=\"#444444\"",
             "%s%s%s: %s %dx%dx%dx%d %s; forward median %.3f ms (wall clock), layers %.3f ms",
             r->device, r->driver[0] ? ", driver " : "", r->driver, r->arch, r->shape[0],
             r->shape[1], r->shape[2], r->shape[3], r->precision, r->median_ms, r->kernel_ms);
}

int bench_svg_layers(const char *path, const bench_report *r) {
    const double row = 16, top = 78, name_x = 10, kind_x = 330, bar_x = 440, bar_w = 520;
    const double width = 1100, height = top + row * (double)r->num_layers + 20;
    double total = 0, max = 0;
    for (size_t i = 0; i < r->num_layers; i++) {
        total += r->layers[i].ms;
        if (r->layers[i].ms > max) max = r->layers[i].ms;
    }
    if (!(max > 0)) max = 1;
    svg s;
    if (svg_open(&s, path, width, height)) return write_failed(path);
    svg_text(&s, 10, 20, "start", "font-size=\"15\" font-weight=\"bold\"",
             "clbb bench: %s %dx%dx%dx%d %s on %s, %.3f ms in %zu layers", r->arch, r->shape[0],
             r->shape[1], r->shape[2], r->shape[3], r->precision, r->device, total,
             r->num_layers);
    subtitle_line(&s, 38, r);
    svg_text(&s, name_x, top - 16, "start", "font-weight=\"bold\"", "layer");
    svg_text(&s, kind_x, top - 16, "start", "font-weight=\"bold\"", "op");
    svg_text(&s, bar_x + bar_w + 8, top - 16, "start", "font-weight=\"bold\"",
             "ms (%% of total)");
    axis(&s, bar_x, bar_w, top - 4, height - 20, max);
    for (size_t i = 0; i < r->num_layers; i++) {
        const bench_layer *l = &r->layers[i];
        const double y = top + row * (double)i, pct = total > 0 ? 100 * l->ms / total : 0;
        char label[64], tip[320];
        cut(l->name, 52, label, sizeof label);
        snprintf(tip, sizeof tip, "%s (%s): %.4f ms, %.1f%%", l->name, l->kind, l->ms, pct);
        svg_text(&s, name_x, y + 11, "start", "", "%s", label);
        svg_text(&s, kind_x, y + 11, "start", "fill=\"#555555\"", "%s", l->kind);
        svg_rect(&s, bar_x, y + 2, bar_w * l->ms / max, row - 4, kind_color(l->kind), tip);
        svg_text(&s, bar_x + bar_w + 8, y + 11, "start", "", "%.4f (%.1f%%)", l->ms, pct);
    }
    if (svg_close(&s)) return write_failed(path);
    return CLI_OK;
}

int bench_svg_compare(const char *path, const bench_report *r, int n, const bench_row *rows,
                      size_t num_rows) {
    const double bar_h = n <= 4 ? 7 : 5, group = bar_h * n + 8;
    const double legend_y = 44, top = legend_y + 18.0 * n + 34, name_x = 10, kind_x = 330;
    const double bar_x = 440, bar_w = 520, width = 1100;
    const double table_y = top + group * (double)num_rows + 30;
    const double height = table_y + 22.0 * (n + 1) + 20;
    double max = 0;
    for (size_t i = 0; i < num_rows; i++)
        for (int k = 0; k < n; k++)
            if (rows[i].ms[k] > max) max = rows[i].ms[k];
    if (!(max > 0)) max = 1;
    svg s;
    if (svg_open(&s, path, width, height)) return write_failed(path);
    svg_text(&s, 10, 20, "start", "font-size=\"15\" font-weight=\"bold\"",
             "clbb bench --compare: %d reports, %zu layers (ms per layer, median)", n, num_rows);
    for (int k = 0; k < n; k++) {
        const double y = legend_y + 18.0 * k;
        svg_rect(&s, 10, y - 10, 12, 12, palette[k % PALETTE_SIZE], NULL);
        svg_text(&s, 28, y, "start", "",
                 "[%d] %s: %s, %s %dx%dx%dx%d %s, layers %.3f ms, forward %.3f ms", k + 1,
                 r[k].file, r[k].device, r[k].arch, r[k].shape[0], r[k].shape[1], r[k].shape[2],
                 r[k].shape[3], r[k].precision, r[k].kernel_ms, r[k].median_ms);
    }
    svg_text(&s, name_x, top - 16, "start", "font-weight=\"bold\"", "layer");
    svg_text(&s, kind_x, top - 16, "start", "font-weight=\"bold\"", "op");
    axis(&s, bar_x, bar_w, top - 4, table_y - 24, max);
    for (size_t i = 0; i < num_rows; i++) {
        const bench_row *w = &rows[i];
        const double y = top + group * (double)i;
        char label[64];
        cut(w->name, 52, label, sizeof label);
        svg_text(&s, name_x, y + group / 2 + 3, "start", "", "%s", label);
        svg_text(&s, kind_x, y + group / 2 + 3, "start", "fill=\"#555555\"", "%s", w->kind);
        for (int k = 0; k < n; k++) {
            const double by = y + 4 + bar_h * k;
            char tip[320];
            if (isnan(w->ms[k])) {
                svg_text(&s, bar_x + 2, by + bar_h - 1, "start", "font-size=\"7\" fill=\"#999999\"",
                         "[%d] absent", k + 1);
                continue;
            }
            snprintf(tip, sizeof tip, "[%d] %s: %s (%s): %.4f ms", k + 1, r[k].file, w->name,
                     w->kind, w->ms[k]);
            svg_rect(&s, bar_x, by, bar_w * w->ms[k] / max, bar_h - 1, palette[k % PALETTE_SIZE],
                     tip);
            svg_text(&s, bar_x + bar_w * w->ms[k] / max + 4, by + bar_h - 1, "start",
                     "font-size=\"8\"", "%.4f", w->ms[k]);
        }
    }
    /* The totals table. */
    static const double cols[] = {10, 300, 560, 640, 760, 880, 990};
    static const char *const heads[] = {"report", "device", "precision", "shape",
                                        "layers ms", "forward ms", "vs [1]"};
    for (int c = 0; c < 7; c++)
        svg_text(&s, cols[c], table_y, "start", "font-weight=\"bold\"", "%s", heads[c]);
    for (int k = 0; k < n; k++) {
        const double y = table_y + 22.0 * (k + 1);
        char label[64], dev[64];
        cut(r[k].file, 44, label, sizeof label);
        cut(r[k].device, 40, dev, sizeof dev);
        svg_rect(&s, cols[0], y - 9, 10, 10, palette[k % PALETTE_SIZE], NULL);
        svg_text(&s, cols[0] + 14, y, "start", "", "[%d] %s", k + 1, label);
        svg_text(&s, cols[1], y, "start", "", "%s", dev);
        svg_text(&s, cols[2], y, "start", "", "%s", r[k].precision);
        svg_text(&s, cols[3], y, "start", "", "%dx%dx%dx%d", r[k].shape[0], r[k].shape[1],
                 r[k].shape[2], r[k].shape[3]);
        svg_text(&s, cols[4], y, "start", "", "%.3f", r[k].kernel_ms);
        svg_text(&s, cols[5], y, "start", "", "%.3f", r[k].median_ms);
        if (r[0].median_ms > 0)
            svg_text(&s, cols[6], y, "start", "", "%.2fx", r[k].median_ms / r[0].median_ms);
        else
            svg_text(&s, cols[6], y, "start", "", "-");
    }
    if (svg_close(&s)) return write_failed(path);
    return CLI_OK;
}
