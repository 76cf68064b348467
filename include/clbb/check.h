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
    /** NULL or "": no report file. Else the path of a JSON report of the
     *  run (device, driver, extensions, profile, seed, options and every
     *  case with its errors, tolerance, result and timing; docs/report.md
     *  documents every key), with a Markdown summary next to it: the path
     *  with its ".json" ending replaced by ".md" ("run.json" -> "run.md"),
     *  or with ".md" appended when it has no ".json" ending. Both files
     *  are written whole (under a temporary name, then renamed) once every
     *  case has run; the directory must exist. */
    const char *report_path;
    /** With a report: timed runs per case (the median is reported; op
     *  cases through profiling events, which need a context created with
     *  profiling on, else their timing is null; blocks and backbones by
     *  the host clock around whole forwards). 0: no timings. Default 3. */
    int report_runs;
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
 *         failures NULL, an unknown precision, report_runs < 0);
 *         CLBB_ERR_IO (the report could not be written: the message names
 *         the file; the cases have run and @p failures is set);
 *         CLBB_ERR_OUT_OF_MEMORY (no host memory for the report).
 */
CLBB_API clbb_status clbb_check(clbb_context *ctx, const clbb_check_options *options,
                                int *failures);

/** Options of clbb_check_compare(). Fill with
 *  clbb_check_compare_options_init(). */
typedef struct clbb_check_compare_options {
    /** A case whose error (its larger ratio to the tolerance: rel_l2 over
     *  its bound, or the worst element over its bound) grew by more than
     *  this factor is a regression. Default 4. */
    double error_factor;
    /** ... unless B's error is below this fraction of the tolerance
     *  (growth in the noise of correct rounding). Default 0.05. */
    double error_floor;
    /** A case more than this many percent slower in B is a regression.
     *  Default 25. */
    double slower_percent;
    /** Timings where both are below this many milliseconds are not compared
     *  (launch noise). Default 0.05. */
    double min_ms;
    /** Where the text goes (NULL: stdout). */
    FILE *out;
    /** NULL or "": none. Else a Markdown version of the comparison is
     *  written there (whole, or not at all). */
    const char *markdown_path;
} clbb_check_compare_options;

/** Fills @p options with the defaults. Thread-safe.
 *  @param options the struct to fill; NULL: no-op. */
CLBB_API void clbb_check_compare_options_init(clbb_check_compare_options *options);

/**
 * Compares two reports of clbb_check() (`clbb check --report`), e.g. of two
 * devices or two drivers, with no device needed. Prints, in this order: the
 * regressions (cases that passed in @p a_path and fail, error out or are
 * skipped in @p b_path; errors grown past error_factor; timings slower by
 * more than slower_percent), the fixes (failed or skipped in A, passing in
 * B), the cases only in B (new) or only in A (missing), then a summary.
 * Cases are matched by table and name. Context-free and thread-safe (with
 * distinct outputs).
 * @param a_path the reference report (JSON).
 * @param b_path the report compared with it.
 * @param options NULL for the defaults.
 * @param regressions receives the number of regressions (0: none).
 * @param errbuf NULL or a buffer receiving a message naming the file and
 *        the key of a failure.
 * @param errbuf_size its size in bytes.
 * @return CLBB_OK (whatever the regressions); CLBB_ERR_INVALID_ARGUMENT
 *         (a path or regressions NULL, negative thresholds); CLBB_ERR_IO
 *         (a report cannot be read, the Markdown file cannot be written);
 *         CLBB_ERR_FORMAT (a report is not JSON, not a clbb check report, of
 *         an unknown schema version, or a key has the wrong type);
 *         CLBB_ERR_OUT_OF_MEMORY. Nothing is printed on failure.
 */
CLBB_API clbb_status clbb_check_compare(const char *a_path, const char *b_path,
                                        const clbb_check_compare_options *options,
                                        int *regressions, char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_CHECK_API_H */
