/* Option tables of the subcommands: one parser for every command, so that
 * each accepts `--opt value` and `--opt=value`, `-h`/`--help`, and says
 * the same thing about a missing value or an unknown option. */
#ifndef CLBB_CLI_OPTIONS_H
#define CLBB_CLI_OPTIONS_H

#include <stdint.h>

#include "cli.h"

typedef enum cli_opt_kind {
    CLI_FLAG,      /* int *: set to 1; takes no value */
    CLI_STRING,    /* const char **: the value */
    CLI_INT,       /* long *: an integer in min..max */
    CLI_U64,       /* uint64_t *: a number (decimal or 0x...); min 1 refuses 0 */
    CLI_SHAPE,     /* clbb_shape *: N,C,H,W of positive integers */
    CLI_PRECISION, /* clbb_precision *: fp32, tf32x3, tf32 or fp16 */
    CLI_ARGS       /* cli_args *: the positional arguments (name NULL) */
} cli_opt_kind;

#define CLI_MAX_ARGS 64

/* Positional arguments, borrowed from argv. */
typedef struct cli_args {
    int n;
    const char *v[CLI_MAX_ARGS];
} cli_args;

typedef struct cli_opt {
    const char *name; /* "--output", "-v"; NULL for CLI_ARGS */
    cli_opt_kind kind;
    void *dest;
    long min, max; /* CLI_INT's range, CLI_U64's lower bound */
    int *given;    /* optional: set to 1 when the option is given */
} cli_opt;

/* --profile NAME, shared by every command that creates a context. */
#define CLI_PROFILE_OPT {"--profile", CLI_STRING, &cli_profile, 0, 0, NULL}

/* Ends a table. */
#define CLI_OPT_END {NULL, CLI_FLAG, NULL, 0, 0, NULL}

/* parse's result beside CLI_OK and CLI_USAGE: --help was printed. */
enum { CLI_HELP = -1 };

/* Parses argv[1..argc) of subcommand `cmd` (its usage for --help) against
 * `opts` (CLI_OPT_END-terminated; the last occurrence of an option wins).
 * Returns CLI_OK, CLI_HELP (usage printed on stdout) or CLI_USAGE (the
 * error printed). */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts);

/* What a command returns for cli_parse's result: CLI_HELP is success. */
#define CLI_PARSE_EXIT(rc) ((rc) == CLI_HELP ? CLI_OK : (rc))

#endif
