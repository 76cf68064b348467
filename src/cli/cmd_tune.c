/* clbb tune: per-layer kernel selection for a model and input shape on a
 * device, stored in the device's tuning file that later runs read. */
#include <stdlib.h>
#include <string.h>

#include "model_args.h"

int clbb_cmd_tune(int argc, char **argv) {
    cli_model_args a = {0};
    const char *out = NULL;
    long iters = 10, budget = 0;
    const cli_opt opts[] = {
        CLI_MODEL_OPTS(&a),
        {"--out", CLI_STRING, &out, 0, 0, NULL},
        {"--iters", CLI_INT, &iters, 1, 1000, NULL},
        {"--budget", CLI_INT, &budget, 1, 7 * 24 * 3600, NULL},
        CLI_OPT_END,
    };
    int rc = cli_parse("tune", argc, argv, opts);
    if (rc) return CLI_PARSE_EXIT(rc);
    if (a.input || !a.has_shape) return cli_error(CLI_USAGE, "tune needs --shape N,C,H,W");
    clbb_model_config cfg;
    if ((rc = cli_model_config(&a, &cfg))) return rc;
    /* before the tuning: a bad --out fails at once */
    if (out && (rc = cli_check_writable_file("--out", out))) return rc;
    if (a.shape.c != cfg.in_channels)
        return cli_error(CLI_USAGE, "--shape has %d channels, the model's in_channels is %d",
                         a.shape.c, cfg.in_channels);
    clbb_context *ctx = NULL;
    clbb_model *m = NULL;
    if ((rc = cli_context(a.device, 1, &ctx))) return rc;
    if ((rc = cli_model_create(&a, &cfg, ctx, &m))) goto done;
    clbb_tune_options o;
    clbb_tune_options_init(&o);
    o.iters = (int)iters;
    o.path = out;
    o.log = stdout;
    o.budget_s = (double)budget;
    clbb_tune_result r;
    clbb_status st = clbb_model_tune_with(m, a.shape, &o, &r);
    if (st != CLBB_OK) {
        rc = cli_error(cli_code(st), "tune failed: %s", clbb_last_error(ctx));
        goto done;
    }
    printf("tuning table written to %s\n", out ? out : "the device's default file in the cache directory");
    rc = CLI_OK;
done:
    clbb_model_destroy(m);
    clbb_context_destroy(ctx);
    return rc;
}
