/* The CLI's SVG writer (see svg.h). Layer names and devices come from
 * JSON files a user may have edited: every text goes through svg_escape. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "svg.h"

/* Length of the valid UTF-8 sequence at s (0 if invalid), as XML 1.0 needs:
 * no overlong forms, surrogates or code points above U+10FFFF. */
static int utf8_len(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!n || s[0] > 0xF4) return 0;
    unsigned cp = s[0] & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

void svg_escape(FILE *f, const char *text) {
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    while (*s) {
        switch (*s) {
        case '&': fputs("&amp;", f); s++; continue;
        case '<': fputs("&lt;", f); s++; continue;
        case '>': fputs("&gt;", f); s++; continue;
        case '"': fputs("&quot;", f); s++; continue;
        case '\'': fputs("&apos;", f); s++; continue;
        default: break;
        }
        /* XML 1.0 has no place for other control characters at all. */
        if (*s < 0x20 || *s == 0x7F) {
            fputc(*s == '\t' ? ' ' : '?', f);
            s++;
            continue;
        }
        int n = utf8_len(s);
        if (n == 0) {
            fputc('?', f);
            s++;
        } else {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        }
    }
}

int svg_open(svg *s, const char *path, double width, double height) {
    memset(s, 0, sizeof *s);
    if (strlen(path) >= sizeof s->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(s->path, path);
    snprintf(s->tmp, sizeof s->tmp, "%s.tmp%ld", path, (long)getpid());
    s->f = fopen(s->tmp, "w");
    if (!s->f) return -1;
    fprintf(s->f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n"
            "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
            width, height, width, height, width, height);
    return 0;
}

void svg_text(svg *s, double x, double y, const char *anchor, const char *attrs, const char *fmt,
              ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
            attrs[0] ? " " : "", attrs);
    svg_escape(s->f, text);
    fputs("</text>\n", s->f);
}

void svg_rect(svg *s, double x, double y, double w, double h, const char *fill,
              const char *tooltip) {
    fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"", x, y,
            w > 0 ? w : 0, h, fill);
    if (tooltip) {
        fputs("><title>", s->f);
        svg_escape(s->f, tooltip);
        fputs("</title></rect>\n", s->f);
    } else {
        fputs("/>\n", s->f);
    }
}

void svg_line(svg *s, double x1, double y1, double x2, double y2, const char *stroke) {
    fprintf(s->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x1, y1,
            x2, y2, stroke);
}

int svg_close(svg *s) {
    fputs("</svg>\n", s->f);
    int ok = !ferror(s->f);
    ok = (fclose(s->f) == 0) && ok;
    s->f = NULL;
    if (ok && rename(s->tmp, s->path) == 0) return 0;
    int e = errno;
    remove(s->tmp);
    errno = e;
    return -1;
}

void svg_abort(svg *s) {
    if (!s->f) return;
    fclose(s->f);
    s->f = NULL;
    remove(s->tmp);
}
