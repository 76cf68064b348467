/* The layout of a context, for the core and the launchers (src/cl) only:
 * models, the check harness and the CLI see a context through functions. */
#ifndef CLBB_CORE_CONTEXT_IMPL_H
#define CLBB_CORE_CONTEXT_IMPL_H

#include "internal.h"

typedef struct clbb_program_entry {
    uint8_t key[32];
    cl_program program;
} clbb_program_entry;

typedef struct clbb_profile_record {
    cl_event event;
    int tag; /* index of the op that enqueued it */
} clbb_profile_record;

/* A row of the tuning table: the device it was measured on ("" = any). */
typedef struct clbb_tuning_row {
    char vendor[32], device[128], driver[64];
} clbb_tuning_row;

typedef struct clbb_tuning_entry {
    int row;
    char key[192];
    clbb_tuning_choice choice;
} clbb_tuning_entry;

struct clbb_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl_ctx;
    cl_command_queue queue;
    int owns_cl;
    int profiling;
    clbb_device_info info;
    clbb_vendor vendor;
    /* what AUTO means: CPU kernels (one work-item per work-group, explicit
     * vectors) on CPU devices; CLBB_CPU_KERNELS=0/1 overrides (oclgrind
     * checks the GPU kernels on its CPU device) */
    clbb_kernel_family family;
    char cache_dir[1024]; /* "" when the disk cache is off */
    clbb_program_entry *programs;
    size_t num_programs, cap_programs;
    clbb_context_stats stats;
    char error[CLBB_ERROR_MAX];
    /* fault injection: the countdown-th call of a kind fails (0: off) */
    uint64_t fault_countdown[CLBB_FAULT_KINDS];
    uint64_t fault_calls[CLBB_FAULT_KINDS];
    /* event capture for per-op profiling (NULL when off) */
    clbb_profile_record *prof;
    size_t prof_count, prof_cap;
    int prof_tag;
    /* scratch shared by every op of the context: ops run one after another
     * on the in-order queue and use their workspace only inside their own
     * run, so one buffer of the largest size serves them all */
    cl_mem scratch;
    size_t scratch_bytes;
    /* the tuning table */
    clbb_tuning_row *tuning_rows;
    size_t num_tuning_rows;
    clbb_tuning_entry *tuning;
    size_t num_tuning;
    /* tensor cores (src/cl/mma.c): 0 not probed yet, 1 present, 2 absent,
     * 3 emulated (CLBB_MMA=emu) */
    int mma;
    /* the device profile planned with (NULL: none); info holds the
     * clamped limits then, and the launch path records what it used */
    const clbb_device_profile *profile;
    size_t launch_max_work_items;
    uint64_t launch_max_local;
    /* clbb_context_set_progress() (NULL: none) */
    clbb_progress_fn progress;
    void *progress_user;
};

/* Embedded kernel sources (generated from cl/ *.cl at build time). */
typedef struct clbb_kernel_source {
    const char *name;
    const unsigned char *data;
    size_t size;
} clbb_kernel_source;
const clbb_kernel_source *clbb__kernel_source(const char *name);

/* SHA-256 (program cache keys, tuning file names). */
typedef struct clbb_sha256 {
    uint32_t h[8];
    uint64_t length;
    uint8_t block[64];
    size_t fill;
} clbb_sha256;
void clbb__sha256_init(clbb_sha256 *s);
void clbb__sha256_update(clbb_sha256 *s, const void *data, size_t size);
void clbb__sha256_final(clbb_sha256 *s, uint8_t out[32]);

/* Frees the tuning table. */
void clbb__tuning_clear(clbb_context *ctx);

#endif
