/* clbb check: the conformance tables (ops, blocks, whole backbones) on a
 * device against the C reference; a table per level, non-zero exit on any
 * failure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int clbb_cmd_check(int argc, char **argv) {
    const char *device = NULL;
    clbb_check_options o;
    clbb_check_options_init(&o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--ops")) o.ops = 1;
        else if (!strcmp(argv[i], "--blocks")) o.blocks = 1;
        else if (!strcmp(argv[i], "--models")) o.models = 1;
        else if (!strcmp(argv[i], "--quick")) o.quick = 1;
        else if (!strcmp(argv[i], "--small")) o.small = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) o.only = argv[++i];
        else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) o.verbose = 1;
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
            if (clbb_precision_parse(argv[++i], &o.precision) != CLBB_OK)
                return cli_error(CLI_USAGE, "--precision: '%s' is not fp32 or fp16", argv[i]);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            char *end;
            o.seed = strtoull(argv[++i], &end, 0);
            if (*end || !o.seed)
                return cli_error(CLI_USAGE, "--seed: '%s' is not a non-zero number", argv[i]);
        } else return cli_error(CLI_USAGE, "check: unknown or incomplete option '%s'", argv[i]);
    }
    clbb_context *ctx;
    int rc = cli_context(device, 0, &ctx);
    if (rc) return rc;
    int failed = 0;
    clbb_status st = clbb_check(ctx, &o, &failed);
    if (st != CLBB_OK) rc = cli_error(cli_code(st), "check: %s", clbb_last_error(ctx));
    clbb_context_destroy(ctx);
    if (rc) return rc;
    return failed ? CLI_RUNTIME : CLI_OK;
}
