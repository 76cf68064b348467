/* The option parser of every subcommand (see options.h). */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The entry for `name` (its length: `--opt=value` is matched on the part
 * before '='). */
static const cli_opt *find(const cli_opt *opts, const char *name, size_t len) {
    for (const cli_opt *o = opts; o->name || o->kind == CLI_ARGS; o++)
        if (o->name && strlen(o->name) == len && !strncmp(o->name, name, len)) return o;
    return NULL;
}

static const cli_opt *find_args(const cli_opt *opts) {
    for (const cli_opt *o = opts; o->name || o->kind == CLI_ARGS; o++)
        if (!o->name) return o;
    return NULL;
}

static int parse_u64(const char *v, uint64_t *out) {
    char *end;
    if (v[0] < '0' || v[0] > '9') return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || *end) return -1;
    *out = x;
    return 0;
}

/* Stores `v` for option `o` (named `name` on the command line). */
static int store(const cli_opt *o, const char *name, const char *v) {
    switch (o->kind) {
    case CLI_FLAG: *(int *)o->dest = 1; break;
    case CLI_STRING: *(const char **)o->dest = v; break;
    case CLI_INT:
        if (cli_parse_int(v, o->min, o->max, (long *)o->dest))
            return cli_error(CLI_USAGE, "%s: '%s' is not an integer in %ld..%ld", name, v, o->min,
                             o->max);
        break;
    case CLI_U64: {
        uint64_t x;
        if (parse_u64(v, &x) || x < (uint64_t)o->min)
            return cli_error(CLI_USAGE, "%s: '%s' is not a%s number", name, v,
                             o->min > 0 ? " non-zero" : "");
        *(uint64_t *)o->dest = x;
        break;
    }
    case CLI_SHAPE:
        if (cli_parse_shape(v, (clbb_shape *)o->dest))
            return cli_error(CLI_USAGE, "%s: '%s' is not N,C,H,W with positive integers", name, v);
        break;
    case CLI_PRECISION:
        if (clbb_precision_parse(v, (clbb_precision *)o->dest) != CLBB_OK)
            return cli_error(CLI_USAGE, "%s: '%s' is not fp32, tf32x3, tf32 or fp16", name, v);
        break;
    case CLI_ARGS: break;
    }
    if (o->given) *o->given = 1;
    return CLI_OK;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            cli_usage(stdout, cmd);
            return CLI_HELP;
        }
        if (arg[0] != '-' || !arg[1]) { /* positional ("-" too: stdin or stdout) */
            const cli_opt *a = find_args(opts);
            if (!a) return cli_error(CLI_USAGE, "%s: unexpected argument '%s'", cmd, arg);
            cli_args *list = a->dest;
            if (list->n == CLI_MAX_ARGS)
                return cli_error(CLI_USAGE, "%s: more than %d arguments", cmd, CLI_MAX_ARGS);
            list->v[list->n++] = arg;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const cli_opt *o = find(opts, arg, len);
        if (!o)
            return cli_error(CLI_USAGE, "%s: unknown option '%.*s' (clbb %s --help lists them)",
                             cmd, (int)len, arg, cmd);
        const char *v = NULL;
        if (o->kind == CLI_FLAG) {
            if (eq) return cli_error(CLI_USAGE, "option '%s' takes no value", o->name);
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
            /* a next argument that is an option is not taken as the value:
             * `--output --seed 3` means a forgotten value */
            v = argv[++i];
        }
        if (o->kind != CLI_FLAG && (!v || !v[0]))
            return cli_error(CLI_USAGE, "option '%s' needs a value", o->name);
        int rc = store(o, o->name, v);
        if (rc) return rc;
    }
    return CLI_OK;
}
