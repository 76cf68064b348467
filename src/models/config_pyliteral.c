/* MMDetection configs are Python files: users copy `backbone=dict(type=
 * 'ResNet', depth=50, out_indices=(0, 1, 2, 3), norm_eval=True, ...)` out
 * of them. This reads the literal subset of Python that such configs are
 * written in -- dict(k=v) calls, {...} with string keys, lists, tuples,
 * strings (all of Python's quotes, prefixes r/u and escapes), ints and
 * floats (hex/octal/binary, underscores, exponents, unary signs), True,
 * False, None, trailing commas, # comments, NAME = value assignments -- and
 * translates it to the cJSON tree the JSON path reads, so that every check
 * after this point is shared. Anything else Python would evaluate
 * (variables, calls other than dict, {{_base_.x}} substitutions,
 * arithmetic, comprehensions) is refused with its line, column and text:
 * clbb does not run Python. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_pyliteral.h"
#include "core/base.h"

#define MAX_DEPTH 64          /* nesting of brackets and unary signs */
#define MAX_NUMBER_CHARS 400  /* digits of one number literal */

typedef struct lexer {
    const char *s;   /* the text */
    size_t n;        /* its length */
    size_t p;        /* current offset */
    int depth;       /* bracket nesting: newlines are insignificant inside */
    char *err;
    size_t err_size;
    size_t fail_at;
    int failed;
} lexer;

void clbb__text_position(const char *text, size_t length, size_t at, int *line, int *col) {
    int ln = 1, c = 1;
    for (size_t i = 0; i < at && i < length; i++) {
        if (text[i] == '\n') {
            ln++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++; /* a UTF-8 continuation byte is not a new character */
        }
    }
    *line = ln;
    *col = c;
}

void clbb__text_excerpt(const char *text, size_t length, size_t at, size_t span, char *buf,
                        size_t size) {
    if (!size) return;
    buf[0] = '\0';
    while (at < length && text[at] == '\0') at++; /* trailing NULs of a buffer */
    if (at >= length) {
        clbb__strlcpy(buf, "the end of the text", size);
        return;
    }
    size_t max = span ? span : 40, k = 0;
    for (size_t i = at; i < length && i - at < max && k + 4 < size; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || ch == '\r') break;
        buf[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (k == 0) clbb__strlcpy(buf, "the end of the line", size);
    else buf[k] = '\0';
}

/* Records the first error: "line L, column C: what: `text`" with @p span
 * bytes of text (0: to the end of the line). Returns NULL for the callers'
 * `return fail(...)`. */
static cJSON *fail(lexer *l, size_t at, size_t span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static cJSON *fail(lexer *l, size_t at, size_t span, const char *fmt, ...) {
    if (l->failed) return NULL;
    l->failed = 1;
    l->fail_at = at;
    char what[320], text[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int line, col;
    clbb__text_position(l->s, l->n, at, &line, &col);
    clbb__text_excerpt(l->s, l->n, at, span, text, sizeof text);
    clbb__fail_buf(l->err, l->err_size, CLBB_ERR_CONFIG, "line %d, column %d: %s: `%s`", line,
                   col, what, text);
    return NULL;
}

static int peek(const lexer *l, size_t ahead) {
    return l->p + ahead < l->n ? (unsigned char)l->s[l->p + ahead] : -1;
}

static int is_ident_start(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* Skips blanks, comments and backslash-newlines; newlines too inside
 * brackets. Returns 1 if a statement-ending newline was skipped. A NUL is
 * the end of the text (callers may pass a buffer's size). */
static int skip_space(lexer *l) {
    int newline = 0;
    while (l->p < l->n) {
        int c = peek(l, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            l->p++;
        } else if (c == '\n') {
            if (l->depth == 0) newline = 1;
            l->p++;
        } else if (c == '#') {
            while (l->p < l->n && l->s[l->p] != '\n') l->p++;
        } else if (c == '\\' && (peek(l, 1) == '\n' || (peek(l, 1) == '\r' && peek(l, 2) == '\n'))) {
            l->p += peek(l, 1) == '\n' ? 2 : 3;
        } else if (c == 0) {
            size_t q = l->p;
            while (q < l->n && l->s[q] == '\0') q++;
            if (q < l->n) return newline; /* a NUL inside the text: not blank */
            l->p = l->n;
        } else {
            break;
        }
    }
    return newline;
}

static int at_end(const lexer *l) { return l->p >= l->n; }

/* Length of the identifier at offset p (0 if none). */
static size_t ident_len(const lexer *l, size_t p) {
    size_t k = 0;
    if (p < l->n && is_ident_start((unsigned char)l->s[p]))
        while (p + k < l->n && is_ident_char((unsigned char)l->s[p + k])) k++;
    return k;
}

static int ident_is(const lexer *l, size_t p, size_t len, const char *word) {
    return strlen(word) == len && memcmp(l->s + p, word, len) == 0;
}

/* ------------------------------------------------------------------------ */
/* Strings                                                                   */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static int sb_put(sbuf *b, const char *data, size_t k) {
    if (b->len + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + k + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) return -1;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, data, k);
    b->len += k;
    b->s[b->len] = '\0';
    return 0;
}

static int sb_utf8(sbuf *b, uint32_t cp) {
    char u[4];
    size_t k;
    if (cp < 0x80) {
        u[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    return sb_put(b, u, k);
}

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string prefix (r, u, b, f and their pairs) directly followed by a quote. */
static size_t string_prefix(const lexer *l, size_t p) {
    for (size_t k = 0; k <= 2; k++) {
        int c = p + k < l->n ? (unsigned char)l->s[p + k] : -1;
        if (c == '\'' || c == '"') return k;
        if (!(c == 'r' || c == 'R' || c == 'u' || c == 'U' || c == 'b' || c == 'B' || c == 'f' ||
              c == 'F'))
            return (size_t)-1;
    }
    return (size_t)-1;
}

static int starts_string(const lexer *l) { return string_prefix(l, l->p) != (size_t)-1; }

/* One escape after a backslash at l->p (pointing past the backslash). */
static int read_escape(lexer *l, sbuf *b, size_t start) {
    int c = peek(l, 0);
    size_t esc = l->p - 1;
    l->p++;
    uint32_t cp = 0;
    int digits = 0;
    switch (c) {
    case '\n': return 0; /* a backslash-newline continues the string */
    case '\r':
        if (peek(l, 0) == '\n') l->p++;
        return 0;
    case '\\': return sb_put(b, "\\", 1);
    case '\'': return sb_put(b, "'", 1);
    case '"': return sb_put(b, "\"", 1);
    case 'a': return sb_put(b, "\a", 1);
    case 'b': return sb_put(b, "\b", 1);
    case 'f': return sb_put(b, "\f", 1);
    case 'n': return sb_put(b, "\n", 1);
    case 'r': return sb_put(b, "\r", 1);
    case 't': return sb_put(b, "\t", 1);
    case 'v': return sb_put(b, "\v", 1);
    case 'x': digits = 2; break;
    case 'u': digits = 4; break;
    case 'U': digits = 8; break;
    case 'N':
        fail(l, esc, 3, "\\N{...} named escapes are not supported: write the character itself");
        return -2;
    default:
        if (c >= '0' && c <= '7') {
            cp = (uint32_t)(c - '0');
            for (int k = 0; k < 2 && peek(l, 0) >= '0' && peek(l, 0) <= '7'; k++)
                cp = cp * 8 + (uint32_t)(peek(l, 0) - '0'), l->p++;
            break;
        }
        if (c < 0) {
            fail(l, start, 0, "unterminated string");
            return -2;
        }
        /* Python keeps an unknown escape as written (with a warning). */
        l->p--;
        return sb_put(b, "\\", 1);
    }
    for (int k = 0; k < digits; k++) {
        int h = hex_value(peek(l, 0));
        if (h < 0) {
            fail(l, esc, (size_t)(l->p - esc + 1),
                 "truncated \\%c escape: it needs %d hex digits", c, digits);
            return -2;
        }
        cp = cp * 16 + (uint32_t)h;
        l->p++;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        fail(l, esc, l->p - esc, "escape is not a Unicode character that UTF-8 can hold");
        return -2;
    }
    if (cp == 0) {
        fail(l, esc, l->p - esc, "a NUL character in a string is not supported");
        return -2;
    }
    return sb_utf8(b, cp);
}

/* One string literal (prefix, quotes) appended to b. */
static int read_string_part(lexer *l, sbuf *b) {
    const size_t start = l->p, pre = string_prefix(l, l->p);
    int raw = 0;
    for (size_t k = 0; k < pre; k++) {
        int c = peek(l, (size_t)k);
        if (c == 'r' || c == 'R') raw = 1;
        if (c == 'b' || c == 'B') {
            fail(l, start, 0, "a bytes literal is not a config value: write a str");
            return -2;
        }
        if (c == 'f' || c == 'F') {
            fail(l, start, 0, "an f-string is evaluated by Python: write the text itself");
            return -2;
        }
    }
    l->p += pre;
    const char q = l->s[l->p];
    const int triple = peek(l, 1) == q && peek(l, 2) == q;
    l->p += triple ? 3 : 1;
    for (;;) {
        int c = peek(l, 0);
        if (c < 0 || (!triple && c == '\n')) {
            fail(l, start, 0, "unterminated string");
            return -2;
        }
        if (c == q && (!triple || (peek(l, 1) == q && peek(l, 2) == q))) {
            l->p += triple ? 3 : 1;
            return 0;
        }
        if (c == 0) {
            fail(l, l->p, 0, "a NUL character in a string is not supported");
            return -2;
        }
        if (c == '\\') {
            l->p++;
            if (raw) {
                /* A raw string keeps the backslash and the character after it
                 * (which may be the quote). */
                int d = peek(l, 0);
                if (d < 0) {
                    fail(l, start, 0, "unterminated string");
                    return -2;
                }
                char two[2] = {'\\', (char)d};
                l->p++;
                if (sb_put(b, two, 2)) return -1;
                continue;
            }
            int r = read_escape(l, b, start);
            if (r) return r;
            continue;
        }
        char ch = (char)c;
        l->p++;
        if (sb_put(b, &ch, 1)) return -1;
    }
}

static cJSON *parse_string(lexer *l) {
    sbuf b = {NULL, 0, 0};
    if (sb_put(&b, "", 0)) return fail(l, l->p, 0, "out of memory");
    /* Adjacent literals concatenate ('a' 'b' is 'ab'), across lines inside
     * brackets. */
    do {
        int r = read_string_part(l, &b);
        if (r) {
            free(b.s);
            return r == -1 ? fail(l, l->p, 0, "out of memory") : NULL;
        }
        size_t save = l->p;
        if (skip_space(l) || !starts_string(l)) {
            l->p = save;
            break;
        }
    } while (1);
    cJSON *s = cJSON_CreateString(b.s);
    free(b.s);
    return s ? s : fail(l, l->p, 0, "out of memory");
}

/* ------------------------------------------------------------------------ */
/* Numbers                                                                   */

static cJSON *parse_number(lexer *l) {
    const size_t start = l->p;
    char digits[MAX_NUMBER_CHARS + 1];
    size_t k = 0;
    int base = 10, is_float = 0;
    if (peek(l, 0) == '0' && (peek(l, 1) == 'x' || peek(l, 1) == 'X' || peek(l, 1) == 'o' ||
                              peek(l, 1) == 'O' || peek(l, 1) == 'b' || peek(l, 1) == 'B')) {
        int c = peek(l, 1) | 0x20;
        base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
        l->p += 2;
    }
    /* Digits with single underscores between them, then (base 10) a
     * fraction and an exponent. */
    int prev_digit = base != 10 ? 1 : 0, seen_exp = 0;
    for (;;) {
        int c = peek(l, 0);
        int digit = base == 16 ? hex_value(c) >= 0 : base == 8 ? (c >= '0' && c <= '7')
                  : base == 2 ? (c == '0' || c == '1') : is_digit(c);
        if (digit) {
            if (k >= MAX_NUMBER_CHARS)
                return fail(l, start, 0, "number literal longer than %d characters",
                            MAX_NUMBER_CHARS);
            digits[k++] = (char)c;
            prev_digit = 1;
            l->p++;
        } else if (c == '_' && prev_digit && l->p + 1 < l->n &&
                   (base == 16 ? hex_value(peek(l, 1)) >= 0 : is_digit(peek(l, 1)))) {
            prev_digit = 0;
            l->p++;
        } else if (base == 10 && c == '.' && !is_float) {
            is_float = 1;
            digits[k++] = '.';
            prev_digit = 0;
            l->p++;
        } else if (base == 10 && (c == 'e' || c == 'E') && !seen_exp && k > 0 &&
                   (is_digit(peek(l, 1)) ||
                    ((peek(l, 1) == '+' || peek(l, 1) == '-') && is_digit(peek(l, 2))))) {
            is_float = seen_exp = 1;
            digits[k++] = 'e';
            l->p++;
            if (peek(l, 0) == '+' || peek(l, 0) == '-') digits[k++] = (char)l->s[l->p++];
            prev_digit = 0;
        } else {
            break;
        }
        if (k + 2 >= MAX_NUMBER_CHARS)
            return fail(l, start, 0, "number literal longer than %d characters",
                        MAX_NUMBER_CHARS);
    }
    digits[k] = '\0';
    const int c = peek(l, 0);
    if (c == 'j' || c == 'J')
        return fail(l, start, l->p - start + 1, "a complex number is not a config value");
    if (is_ident_char(c) || k == 0 || (k == 1 && digits[0] == '.'))
        return fail(l, start, l->p - start + 1, "invalid number literal");
    double v;
    if (base == 10) {
        /* Python: "leading zeros in decimal integer literals are not permitted". */
        if (!is_float && digits[0] == '0' && strspn(digits, "0") != k)
            return fail(l, start, l->p - start,
                        "leading zeros in a decimal integer are not permitted (write 0o... "
                        "for octal)");
        v = strtod(digits, NULL);
    } else {
        v = 0;
        for (size_t i = 0; i < k; i++) v = v * base + hex_value((unsigned char)digits[i]);
    }
    cJSON *num = cJSON_CreateNumber(v);
    return num ? num : fail(l, start, 0, "out of memory");
}

/* ------------------------------------------------------------------------ */
/* Values                                                                    */

static cJSON *parse_value(lexer *l);

/* A name where a value belongs: say what Python would do with it. */
static cJSON *bad_name(lexer *l, size_t at, size_t len) {
    const size_t save = l->p;
    l->p = at + len;
    skip_space(l);
    const int call = peek(l, 0) == '(';
    l->p = save;
    if (ident_is(l, at, len, "true") || ident_is(l, at, len, "false") ||
        ident_is(l, at, len, "null"))
        return fail(l, at, len, "JSON's %.*s in a Python config: write %s", (int)len, l->s + at,
                    l->s[at] == 't' ? "True" : l->s[at] == 'f' ? "False" : "None");
    if (call)
        return fail(l, at, len,
                    "a call of '%.*s' is not a literal: clbb reads dict(...) calls only, "
                    "not Python code",
                    (int)len, l->s + at);
    return fail(l, at, len,
                "name '%.*s' is a variable or expression, not a literal: clbb does not run "
                "Python; write its value here",
                (int)len, l->s + at);
}

/* After a complete value: an operator, attribute, subscript or call would
 * make it an expression Python evaluates. */
static cJSON *check_after_value(lexer *l, cJSON *v) {
    const size_t save = l->p;
    if (skip_space(l)) { /* a new statement follows */
        l->p = save;
        return v;
    }
    int c = peek(l, 0);
    const char *ops = "+-*/%@&|^<>.[(!=~";
    if (c > 0 && strchr(ops, c) && !(c == '=' && peek(l, 1) != '=')) {
        cJSON_Delete(v);
        return fail(l, l->p, 0,
                    "an expression (arithmetic, comparison, attribute, subscript or call) "
                    "is not a literal: write its value");
    }
    size_t len = ident_len(l, l->p);
    if (len && (ident_is(l, l->p, len, "if") || ident_is(l, l->p, len, "for") ||
                ident_is(l, l->p, len, "and") || ident_is(l, l->p, len, "or") ||
                ident_is(l, l->p, len, "in") || ident_is(l, l->p, len, "is") ||
                ident_is(l, l->p, len, "not"))) {
        cJSON_Delete(v);
        return fail(l, l->p, len, "an expression ('%.*s') is not a literal: write its value",
                    (int)len, l->s + l->p);
    }
    l->p = save;
    return v;
}

static int enter(lexer *l) {
    if (l->depth >= MAX_DEPTH) {
        fail(l, l->p, 1, "nested deeper than %d levels", MAX_DEPTH);
        return -1;
    }
    l->depth++;
    return 0;
}

/* Elements of [...] or (...) into an array; the opener is at l->p. A
 * parenthesized single value without a comma is that value. */
static cJSON *parse_sequence(lexer *l, char close) {
    const size_t open = l->p;
    if (enter(l)) return NULL;
    l->p++;
    cJSON *arr = cJSON_CreateArray();
    if (!arr) return fail(l, open, 1, "out of memory");
    int count = 0, comma = 0;
    for (;;) {
        skip_space(l);
        if (peek(l, 0) == close) {
            l->p++;
            break;
        }
        if (at_end(l)) {
            cJSON_Delete(arr);
            return fail(l, open, 1, "'%c' is never closed", l->s[open]);
        }
        if (count && !comma) {
            cJSON_Delete(arr);
            return fail(l, l->p, 0, "expected ',' or '%c'", close);
        }
        if (peek(l, 0) == '*') {
            cJSON_Delete(arr);
            return fail(l, l->p, 0, "*unpacking is not a literal");
        }
        cJSON *v = parse_value(l);
        if (!v) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, v);
        count++;
        skip_space(l);
        comma = peek(l, 0) == ',';
        if (comma) l->p++;
    }
    l->depth--;
    if (close == ')' && count == 1 && !comma) {
        /* (x) is x, not a tuple. */
        cJSON *only = cJSON_DetachItemFromArray(arr, 0);
        cJSON_Delete(arr);
        return only;
    }
    return arr;
}

/* {'k': v, ...} with string keys; the '{' is at l->p. */
static cJSON *parse_braces(lexer *l) {
    const size_t open = l->p;
    if (enter(l)) return NULL;
    l->p++;
    skip_space(l);
    if (peek(l, 0) == '{')
        return fail(l, open, 0,
                    "{{...}} is a substitution of mmengine's base configs: clbb reads one file "
                    "only; write the value itself");
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return fail(l, open, 1, "out of memory");
    int count = 0, comma = 0;
    for (;;) {
        skip_space(l);
        if (peek(l, 0) == '}') {
            l->p++;
            break;
        }
        if (at_end(l)) {
            cJSON_Delete(obj);
            return fail(l, open, 1, "'{' is never closed");
        }
        if (count && !comma) {
            cJSON_Delete(obj);
            return fail(l, l->p, 0, "expected ',' or '}'");
        }
        if (peek(l, 0) == '*') {
            cJSON_Delete(obj);
            return fail(l, l->p, 0, "**unpacking is not a literal: write the keys");
        }
        const size_t key_at = l->p;
        cJSON *key = parse_value(l);
        if (!key) {
            cJSON_Delete(obj);
            return NULL;
        }
        skip_space(l);
        if (peek(l, 0) != ':') {
            cJSON_Delete(key);
            cJSON_Delete(obj);
            return peek(l, 0) == ',' || peek(l, 0) == '}'
                       ? fail(l, open, 0, "a set is not a config value (a dict needs 'key': value)")
                       : fail(l, l->p, 0, "expected ':' after the dict key");
        }
        if (!cJSON_IsString(key)) {
            cJSON_Delete(key);
            cJSON_Delete(obj);
            return fail(l, key_at, 0, "dict keys must be strings");
        }
        l->p++;
        skip_space(l);
        cJSON *v = parse_value(l);
        if (!v) {
            cJSON_Delete(key);
            cJSON_Delete(obj);
            return NULL;
        }
        /* A repeated key stays repeated: the parser reports it. */
        cJSON_AddItemToObject(obj, key->valuestring, v);
        cJSON_Delete(key);
        count++;
        skip_space(l);
        comma = peek(l, 0) == ',';
        if (comma) l->p++;
    }
    l->depth--;
    return obj;
}

/* dict(k=v, ...); l->p is at the '('. */
static cJSON *parse_dict_call(lexer *l, size_t name_at) {
    const size_t open = l->p;
    if (enter(l)) return NULL;
    l->p++;
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return fail(l, open, 1, "out of memory");
    int count = 0, comma = 0;
    for (;;) {
        skip_space(l);
        if (peek(l, 0) == ')') {
            l->p++;
            break;
        }
        if (at_end(l)) {
            cJSON_Delete(obj);
            return fail(l, name_at, l->p - name_at > 40 ? 40 : l->p - name_at,
                        "dict( is never closed");
        }
        if (count && !comma) {
            cJSON_Delete(obj);
            return fail(l, l->p, 0, "expected ',' or ')' in dict(...)");
        }
        if (peek(l, 0) == '*') {
            cJSON_Delete(obj);
            return fail(l, l->p, 0, "**unpacking in dict() is not a literal: write the keys");
        }
        const size_t key_at = l->p;
        const size_t len = ident_len(l, key_at);
        l->p += len;
        skip_space(l);
        if (!len || peek(l, 0) != '=' || peek(l, 1) == '=') {
            cJSON_Delete(obj);
            return fail(l, key_at, 0, "dict() takes keyword arguments NAME=value only");
        }
        char key[128];
        if (len >= sizeof key) {
            cJSON_Delete(obj);
            return fail(l, key_at, 40, "keyword longer than %zu characters", sizeof key - 1);
        }
        memcpy(key, l->s + key_at, len);
        key[len] = '\0';
        l->p++;
        skip_space(l);
        cJSON *v = parse_value(l);
        if (!v) {
            cJSON_Delete(obj);
            return NULL;
        }
        cJSON_AddItemToObject(obj, key, v);
        count++;
        skip_space(l);
        comma = peek(l, 0) == ',';
        if (comma) l->p++;
    }
    l->depth--;
    return obj;
}

static cJSON *parse_value(lexer *l) {
    skip_space(l);
    const size_t at = l->p;
    const int c = peek(l, 0);
    cJSON *v = NULL;
    if (c < 0) return fail(l, at, 0, "a value is missing");
    if (c == '-' || c == '+') {
        if (enter(l)) return NULL;
        l->p++;
        cJSON *x = parse_value(l);
        l->depth--;
        if (!x) return NULL;
        if (!cJSON_IsNumber(x)) {
            cJSON_Delete(x);
            return fail(l, at, 0, "a sign before something that is not a number");
        }
        if (c == '-') cJSON_SetNumberValue(x, -x->valuedouble);
        return x; /* the inner value was checked already */
    }
    if (starts_string(l)) {
        v = parse_string(l);
    } else if (is_digit(c) || (c == '.' && is_digit(peek(l, 1)))) {
        v = parse_number(l);
    } else if (c == '[') {
        v = parse_sequence(l, ']');
    } else if (c == '(') {
        v = parse_sequence(l, ')');
    } else if (c == '{') {
        v = parse_braces(l);
    } else if (is_ident_start(c)) {
        const size_t len = ident_len(l, at);
        if (ident_is(l, at, len, "True")) v = cJSON_CreateTrue();
        else if (ident_is(l, at, len, "False")) v = cJSON_CreateFalse();
        else if (ident_is(l, at, len, "None")) v = cJSON_CreateNull();
        else if (ident_is(l, at, len, "dict")) {
            l->p += len;
            skip_space(l);
            if (peek(l, 0) != '(') return bad_name(l, at, len);
            v = parse_dict_call(l, at);
            if (!v) return NULL;
            return check_after_value(l, v);
        } else {
            return bad_name(l, at, len);
        }
        if (!v) return fail(l, at, len, "out of memory");
        l->p += len;
    } else {
        return fail(l, at, 0, "unexpected character: a value must start here");
    }
    if (!v) return NULL;
    return check_after_value(l, v);
}

/* ------------------------------------------------------------------------ */
/* The text: one expression or assignments                                   */

/* `NAME =` (not `==`) at l->p: returns the name's length, else 0. */
static size_t assignment_at(lexer *l) {
    const size_t save = l->p, len = ident_len(l, l->p);
    if (!len) return 0;
    l->p += len;
    skip_space(l);
    const int is = peek(l, 0) == '=' && peek(l, 1) != '=';
    l->p = save;
    return is ? len : 0;
}

/* After a top-level value: an optional trailing comma (a line copied out of
 * a dict(...)), then a newline, ';' or the end. */
static int end_of_statement(lexer *l, int module) {
    int newline = skip_space(l);
    if (peek(l, 0) == ',') {
        l->p++;
        newline = skip_space(l);
    }
    if (at_end(l)) return 1;
    if (peek(l, 0) == ';') {
        l->p++;
        skip_space(l);
        return 1;
    }
    if (module && newline) return 1;
    fail(l, l->p, 0, module ? "expected a new line after the assignment" : "extra text after the value");
    return 0;
}

/* A Python statement keyword (import, from, ...) at l->p. */
static int statement_at(const lexer *l) {
    static const char *const words[] = {"import", "from", "if", "for", "def", "with", "del",
                                        "class", "while", "try", "assert"};
    const size_t k = ident_len(l, l->p);
    for (size_t i = 0; k && i < CLBB_ARRAY_SIZE(words); i++)
        if (ident_is(l, l->p, k, words[i])) return 1;
    return 0;
}

static cJSON *parse_module(lexer *l) {
    cJSON *names = cJSON_CreateObject();
    if (!names) return fail(l, l->p, 0, "out of memory");
    while (!at_end(l)) {
        const size_t at = l->p, len = assignment_at(l);
        if (!len) {
            const int statement = statement_at(l);
            cJSON_Delete(names);
            return fail(l, at, 0,
                        statement ? "a Python statement: clbb reads assignments of literals only "
                                    "(NAME = value)"
                                  : "only assignments NAME = value are read here (not "
                                    "attribute or item assignments, augmented assignments or "
                                    "expressions)");
        }
        char name[128];
        if (len >= sizeof name) {
            cJSON_Delete(names);
            return fail(l, at, 40, "name longer than %zu characters", sizeof name - 1);
        }
        memcpy(name, l->s + at, len);
        name[len] = '\0';
        l->p += len;
        skip_space(l);
        l->p++; /* '=' */
        skip_space(l);
        cJSON *v = parse_value(l);
        if (!v) {
            cJSON_Delete(names);
            return NULL;
        }
        /* `model = ...` written twice: the later one counts, as in Python. */
        if (cJSON_GetObjectItemCaseSensitive(names, name))
            cJSON_ReplaceItemInObjectCaseSensitive(names, name, v);
        else
            cJSON_AddItemToObject(names, name, v);
        if (!end_of_statement(l, 1)) {
            cJSON_Delete(names);
            return NULL;
        }
    }
    return names;
}

clbb_status clbb__pyliteral_parse(const char *text, size_t length, cJSON **out, int *module,
                                  size_t *fail_at, char *err, size_t err_size) {
    lexer l = {text, length, 0, 0, err, err_size, 0, 0};
    *out = NULL;
    *module = 0;
    *fail_at = 0;
    skip_space(&l);
    cJSON *root = NULL;
    if (at_end(&l)) {
        fail(&l, l.p, 0, "the text is empty");
    } else if (assignment_at(&l) || statement_at(&l)) {
        *module = 1;
        root = parse_module(&l);
    } else {
        root = parse_value(&l);
        if (root && !end_of_statement(&l, 0)) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (!root) {
        if (!l.failed) fail(&l, l.p, 0, "out of memory");
        *fail_at = l.fail_at;
        *module = 0;
        return CLBB_ERR_CONFIG;
    }
    *out = root;
    return CLBB_OK;
}
