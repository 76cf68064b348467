/* The clbb command-line tool: one file per subcommand. */
#ifndef CLBB_CLI_H
#define CLBB_CLI_H

#include <stdio.h>

#include "clbb.h"

/* Exit statuses (SPEC B.4). */
enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

int clbb_cmd_devices(int argc, char **argv);
int clbb_cmd_check(int argc, char **argv);
int clbb_cmd_run(int argc, char **argv);
int clbb_cmd_bench(int argc, char **argv);
int clbb_cmd_tune(int argc, char **argv);
int clbb_cmd_version(int argc, char **argv);
int clbb_cmd_profiles(int argc, char **argv);

/* Usage of subcommand `cmd` (NULL or unknown: every command's) on f. */
void cli_usage(FILE *f, const char *cmd);

/* Prints "clbb: error: ..." on stderr; returns code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit code for a library status: usage/input errors 2, device errors 1. */
int cli_code(clbb_status st);

/* Creates a context for --device (NULL: default) under --profile
 * (cli_profile); prints errors. */
int cli_context(const char *device, int profiling, clbb_context **ctx);

/* --profile NAME of the command being run (NULL: CLBB_DEVICE_PROFILE):
 * one value per process, set by the option table entry CLI_PROFILE_OPT. */
extern const char *cli_profile;

/* Monotonic wall clock in milliseconds. */
double cli_now_ms(void);

/* Parses "N,C,H,W". Returns 0 on success. */
int cli_parse_shape(const char *s, clbb_shape *shape);

/* Whether the file `path` (an existing one, or a new one in an existing
 * directory) / the directory `path` (existing, or creatable: its nearest
 * existing ancestor is a writable directory) can be written; else prints
 * "OPT: cannot write 'PATH': why" and returns CLI_USAGE. */
int cli_check_writable_file(const char *opt, const char *path);
int cli_check_writable_dir(const char *opt, const char *path);

/* Parses a non-negative integer option value; returns 0 on success. */
int cli_parse_int(const char *s, long min, long max, long *out);

#endif
