/* clbb run (not yet written). */
#include "cli.h"

int clbb_cmd_run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_error(CLI_USAGE, "run is not implemented yet");
}
