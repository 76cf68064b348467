/* A small SVG writer for the CLI's charts: text is always XML-escaped (and
 * made valid UTF-8), and the file appears only when complete (written to
 * a temporary name, renamed by svg_close). */
#ifndef CLBB_CLI_SVG_H
#define CLBB_CLI_SVG_H

#include <stdio.h>

typedef struct svg {
    FILE *f;
    char path[1024];
    char tmp[1040];
} svg;

/* Starts an SVG of width x height pixels. Returns 0, or -1 (errno set). */
int svg_open(svg *s, const char *path, double width, double height);

/* Text at (x, y); anchor "start", "middle" or "end"; extra attributes
 * (may be ""): e.g. "font-weight=\"bold\"". The formatted text is escaped. */
void svg_text(svg *s, double x, double y, const char *anchor, const char *attrs, const char *fmt,
              ...) __attribute__((format(printf, 6, 7)));

/* A filled rectangle with an optional tooltip (escaped; NULL for none). */
void svg_rect(svg *s, double x, double y, double w, double h, const char *fill,
              const char *tooltip);

void svg_line(svg *s, double x1, double y1, double x2, double y2, const char *stroke);

/* Finishes and renames into place. Returns 0, or -1 (nothing left behind). */
int svg_close(svg *s);

/* Drops an unfinished SVG (no file left). NULL f: no-op. */
void svg_abort(svg *s);

/* Writes @p text escaped for XML character data and attribute values. */
void svg_escape(FILE *f, const char *text);

#endif
