/* clbb bench (not yet written). */
#include "cli.h"

int clbb_cmd_bench(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error(CLI_USAGE, "bench is not implemented yet");
}
