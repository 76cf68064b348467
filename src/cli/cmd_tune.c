/* clbb tune (not yet written). */
#include "cli.h"

int clbb_cmd_tune(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error(CLI_USAGE, "tune is not implemented yet");
}
