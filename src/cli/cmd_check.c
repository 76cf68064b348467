/* clbb check: the conformance tables (ops, blocks, whole backbones) on a
 * device against the C reference; a table per level, non-zero exit on any
 * failure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

int clbb_cmd_check(int argc, char **argv) {
    const char *device = NULL;
    clbb_check_options o;
    clbb_check_options_init(&o);
    const cli_opt opts[] = {
        {"--device", CLI_STRING, &device, 0, 0, NULL},
        CLI_PROFILE_OPT,
        {"--ops", CLI_FLAG, &o.ops, 0, 0, NULL},
        {"--blocks", CLI_FLAG, &o.blocks, 0, 0, NULL},
        {"--models", CLI_FLAG, &o.models, 0, 0, NULL},
        {"--quick", CLI_FLAG, &o.quick, 0, 0, NULL},
        {"--small", CLI_FLAG, &o.small, 0, 0, NULL},
        {"--only", CLI_STRING, &o.only, 0, 0, NULL},
        {"-v", CLI_FLAG, &o.verbose, 0, 0, NULL},
        {"--verbose", CLI_FLAG, &o.verbose, 0, 0, NULL},
        {"--precision", CLI_PRECISION, &o.precision, 0, 0, NULL},
        {"--seed", CLI_U64, &o.seed, 1, 0, NULL},
        CLI_OPT_END,
    };
    int prc = cli_parse("check", argc, argv, opts);
    if (prc) return CLI_PARSE_EXIT(prc);
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
