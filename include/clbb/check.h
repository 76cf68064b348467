/**
 * @file clbb/check.h
 * @brief The conformance check: every op, block and backbone of clbb run on
 *        a device against the plain-C reference (double accumulation), as
 *        `clbb check` runs it. For driver and hardware teams: a device
 *        passes when every case passes.
 *
 * Op cases cover tile edges, odd sizes, batches, groups, strides,
 * dilations and paddings, every kernel family of every op, and explicit
 * kernel tunings, with fresh random data from the seed, poisoned outputs
 * and guard bands. A case passes when its relative L2 error and every
 * element's error |y - ref| <= atol + rtol |ref| are within the op's
 * tolerance for the dtype; blocks and backbones likewise, with atol
 * relative to the output's RMS.
 */
#ifndef CLBB_CHECK_API_H
#define CLBB_CHECK_API_H

#include <stdint.h>
#include <stdio.h>

#include "context.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of clbb_check(). Fill with clbb_check_options_init(). */
typedef struct clbb_check_options {
    /** Non-zero: run the op tables (ops, blocks and models all zero: every
     *  level). */
    int ops;
    int blocks; /**< Non-zero: run the single residual / Ghost blocks. */
    int models; /**< Non-zero: run the whole backbones. */
    /** Non-zero: only each table's quick subset. */
    int quick;
    /** Non-zero: only op cases of small work and clbb's own kernels (for
     *  simulators such as oclgrind); no blocks or backbones unless asked. */
    int small;
    /** Non-zero: a line per passing case too. */
    int verbose;
    /** Precision checked: FP32 (default), FP16 (every tensor in half),
     *  TF32X3 or TF32 (tensor-core convolutions): conv and deformable conv
     *  ops are created with its math, blocks and backbones with it, each
     *  against the tolerances of that precision; where the device has no
     *  matrix units the ops run fp32 products and the report says
     *  "fallback". */
    clbb_precision precision;
    /** Seed of the random data; 0: $CLBB_SEED, else the clock. */
    uint64_t seed;
    /** Where the report goes (NULL: stdout). */
    FILE *out;
    /** NULL or "": everything. Else a comma-separated list of words: only
     *  the op tables, blocks and backbones whose name contains one of them
     *  (e.g. "deform,softmax" or "dcn,gcb"). */
    const char *only;
} clbb_check_options;

/** Fills @p options with the defaults (every level, FP32). Thread-safe.
 *  @param options the struct to fill; NULL: no-op. */
CLBB_API void clbb_check_options_init(clbb_check_options *options);

/**
 * Runs the conformance tables on @p ctx's device and writes a report: the
 * device and seed (`CLBB_SEED=<seed>` reproduces a run), a line per op
 * family (cases, ran, skipped as unsupported, worst errors, result), every
 * failing case with its numbers, then blocks and backbones. Blocks until
 * every case has run. Uses the context (its thread only, see clbb/context.h).
 * @param ctx the device's context.
 * @param options NULL for the defaults.
 * @param failures receives the number of failed cases (0: the device
 *        passes); a case whose run returns an error (out of host or device
 *        memory, a build failure, ...) counts as failed and is reported.
 * @return CLBB_OK (whatever the failures); CLBB_ERR_INVALID_ARGUMENT (ctx or
 *         failures NULL, an unknown precision).
 */
CLBB_API clbb_status clbb_check(clbb_context *ctx, const clbb_check_options *options,
                                int *failures);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_CHECK_API_H */
