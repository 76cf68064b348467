/* Parameter texts "NAME=VALUE,...": kernel tuning strings, checked against
 * the keys an algorithm's family declares. One parser for every algorithm,
 * so that an unknown name is an error everywhere. */
#include <stdlib.h>
#include <string.h>

#include "base.h"

static int is_pow2(long v) { return v > 0 && (v & (v - 1)) == 0; }

static void list_names(const clbb_param_key *keys, size_t n, char *buf, size_t size) {
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) clbb__strlcatf(buf, size, "%s%s", i ? ", " : "", keys[i].name);
    if (!n) clbb__strlcpy(buf, "none", size);
}

clbb_status clbb__params_parse(const char *text, const clbb_param_key *keys, size_t num_keys,
                               int *values, const char *what, char *eb, size_t es) {
    for (size_t i = 0; i < num_keys; i++) values[i] = -1;
    if (!text) return CLBB_OK;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ','), *eq = strchr(p, '=');
        if (!end) end = p + strlen(p);
        else if (!end[1])
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "%s: tuning '%s' ends with a comma", what, text);
        if (!eq || eq > end || eq == p)
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "%s: tuning '%s': expected NAME=VALUE at '%.*s'", what, text,
                                  (int)(end - p), p);
        size_t k = 0, len = (size_t)(eq - p);
        while (k < num_keys && !(strlen(keys[k].name) == len && !strncmp(p, keys[k].name, len)))
            k++;
        if (k == num_keys) {
            char names[160];
            list_names(keys, num_keys, names, sizeof names);
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "%s: tuning '%s': unknown name '%.*s' (this kernel takes %s)",
                                  what, text, (int)len, p, names);
        }
        if (values[k] >= 0)
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "%s: tuning '%s': %s is given twice", what, text, keys[k].name);
        char *num_end;
        long v = strtol(eq + 1, &num_end, 10);
        if (num_end != end || num_end == eq + 1 || eq[1] == '-' || eq[1] == '+' ||
            eq[1] == ' ' || v < keys[k].lo || v > keys[k].hi || (keys[k].pow2 && !is_pow2(v)))
            return clbb__fail_buf(eb, es, CLBB_ERR_INVALID_ARGUMENT,
                                  "%s: tuning %s = '%.*s': want %s in %d..%d", what, keys[k].name,
                                  (int)(end - eq - 1), eq + 1,
                                  keys[k].pow2 ? "a power of two" : "an integer", keys[k].lo,
                                  keys[k].hi);
        values[k] = (int)v;
        p = *end ? end + 1 : end;
    }
    return CLBB_OK;
}
