/**
 * @file clbb/model.h
 * @brief Backbones: MMDetection ResNet / ResNetV1d / ResNeXt (with optional
 *        Ghost convolutions) and GhostNet, configured with MMDetection's
 *        argument names, loaded from .safetensors, run on the device.
 *
 * Lifecycle: create (config) → load weights or init from a seed → forward
 * (any batch and spatial size; the first forward at a new input shape plans
 * it: shapes, kernels, buffers) → read outputs. Outputs come in ascending
 * stage order, as MMDetection returns them.
 *
 * Threading: a model belongs to its context's thread. Models on different
 * contexts may run concurrently.
 */
#ifndef CLBB_MODEL_H
#define CLBB_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "context.h"
#include "ops.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clbb_model_type {
    CLBB_MODEL_RESNET = 0,
    CLBB_MODEL_RESNET_V1D = 1, /**< ResNet with deep_stem and avg_down forced on */
    CLBB_MODEL_RESNEXT = 2,
    CLBB_MODEL_GHOSTNET = 3,
} clbb_model_type;

typedef enum clbb_norm_type {
    CLBB_NORM_BN = 0,
    CLBB_NORM_SYNCBN = 1, /**< same as BN at inference */
    CLBB_NORM_GN = 2,
} clbb_norm_type;

#define CLBB_MAX_STAGES 4
#define CLBB_MAX_OUT_INDICES 10
#define CLBB_MAX_PLUGINS 8

/** One entry of MMDetection's `plugins` list (validated; not executable). */
typedef struct clbb_plugin_config {
    char type[32];     /**< ContextBlock, GeneralizedAttention, NonLocal2d, ... */
    char postfix[32];  /**< "" if absent */
    int position;      /**< 1, 2 or 3: after_conv1/2/3 */
    int num_stages;    /**< 0: stages is None (all stages) */
    int stages[CLBB_MAX_STAGES];
} clbb_plugin_config;

/**
 * A backbone configuration: the C mirror of the JSON config (SPEC B.1).
 * clbb_model_config_init() fills MMDetection's defaults for a type.
 */
typedef struct clbb_model_config {
    clbb_model_type type;
    /* ResNet family */
    int depth;
    int in_channels;
    int stem_channels;           /**< 0: None (= base_channels) */
    int base_channels;
    int num_stages;
    int num_strides, strides[CLBB_MAX_STAGES];
    int num_dilations, dilations[CLBB_MAX_STAGES];
    int num_out_indices, out_indices[CLBB_MAX_OUT_INDICES];
    int style_caffe;             /**< style: 0 'pytorch', 1 'caffe' */
    int deep_stem, avg_down;
    int frozen_stages;           /**< training only */
    int norm_eval, with_cp;      /**< training only */
    int zero_init_residual;      /**< init only */
    clbb_norm_type norm_type;
    float norm_eps;
    int norm_num_groups;         /**< GN only */
    int norm_requires_grad;      /**< training only */
    int ghost_conv;              /**< conv_cfg type Ghost */
    int ghost_ratio, ghost_dw_size, ghost_relu;
    int groups, base_width;      /**< ResNeXt */
    int has_dcn;                 /**< dcn given (validated, unsupported) */
    char dcn_type[16];
    int num_stage_with_dcn, stage_with_dcn[CLBB_MAX_STAGES];
    int num_plugins;
    clbb_plugin_config plugins[CLBB_MAX_PLUGINS];
    /** Weights file named by pretrained / init_cfg Pretrained ("" none). */
    char pretrained[1024];
    /* GhostNet */
    float width;
} clbb_model_config;

/** Fills MMDetection's constructor defaults for @p type (depth 50 / width 1). */
CLBB_API void clbb_model_config_init(clbb_model_config *config, clbb_model_type type);

/**
 * Parses a JSON config (SPEC B.1) into @p config and validates it as
 * MMDetection's constructor does.
 * @param errbuf receives a message naming the argument on failure (may be NULL).
 * @return CLBB_OK, CLBB_ERR_CONFIG, CLBB_ERR_INVALID_ARGUMENT.
 */
CLBB_API clbb_status clbb_model_config_parse_json(const char *json, size_t length,
                                         clbb_model_config *config,
                                         char *errbuf, size_t errbuf_size);

/**
 * Validates a config struct (the same checks the JSON path performs).
 * @return CLBB_OK or CLBB_ERR_CONFIG / CLBB_ERR_UNSUPPORTED with a message.
 */
CLBB_API clbb_status clbb_model_config_validate(const clbb_model_config *config,
                                       char *errbuf, size_t errbuf_size);

/**
 * Ready-made configs of `clbb run --arch`: resnet18..152, resnet18v1d..
 * resnet152v1d (alias resnet50v1d etc.), resnext50_32x4d, resnext101_32x4d,
 * resnext101_64x4d, resnext101_32x8d, ghostnet (width 1.0), ghostnet_050,
 * ghostnet_130, ghost_resnet50.
 * @return CLBB_ERR_INVALID_ARGUMENT for an unknown name.
 */
CLBB_API clbb_status clbb_model_config_preset(const char *name, clbb_model_config *config);

/** NULL-terminated list of preset names. */
CLBB_API const char *const *clbb_model_preset_names(void);

/**
 * Precision of a model's forward. FP32: fp32 storage and arithmetic (the
 * default). FP16: activations stored as IEEE binary16 (half the bytes
 * between layers), weights, BN scale/shift and accumulation in fp32; every
 * device runs it (vload_half / vstore_half need no cl_khr_fp16).
 */
typedef enum clbb_precision {
    CLBB_PRECISION_FP32 = 0,
    CLBB_PRECISION_FP16 = 1,
} clbb_precision;

#define CLBB_PRECISION_COUNT 2

/** "fp32", "fp16"; NULL if unknown. Thread-safe. */
CLBB_API const char *clbb_precision_name(clbb_precision precision);

/** Parses "fp32" / "fp16".
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL or an unknown name). */
CLBB_API clbb_status clbb_precision_parse(const char *name, clbb_precision *precision);

/** Opaque model handle. */
typedef struct clbb_model clbb_model;

/**
 * Creates a model (weights uninitialized until load or init); precision FP32.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL); CLBB_ERR_CONFIG /
 *         CLBB_ERR_UNSUPPORTED (the config does not validate, named);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_create(clbb_context *ctx, const clbb_model_config *config, clbb_model **out);

/** Parses, validates and creates from JSON text. Statuses as
 *  clbb_model_config_parse_json() and clbb_model_create(). */
CLBB_API clbb_status clbb_model_create_from_json(clbb_context *ctx, const char *json, size_t length,
                                        clbb_model **out);

/**
 * Sets the precision of later forwards (drops the current plan; the next
 * forward plans and builds again). Outputs are read as fp32 whatever it is.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, unknown precision).
 */
CLBB_API clbb_status clbb_model_set_precision(clbb_model *model, clbb_precision precision);

/** Destroys a model and its device buffers. NULL: no-op. */
CLBB_API void clbb_model_destroy(clbb_model *model);

/**
 * Initializes every parameter as MMDetection's init_weights() does (Kaiming
 * normal fan_out for convs, norm weight 1 / bias 0, running mean 0 / var 1,
 * zero_init_residual), from @p seed. GhostNet: PyTorch's default conv init.
 */
CLBB_API clbb_status clbb_model_init_weights(clbb_model *model, uint64_t seed);

/** Result of clbb_model_load_weights(). */
typedef struct clbb_weights_report {
    int loaded;          /**< tensors bound to the model */
    int ignored;         /**< extra keys (fc.*, neck.*, num_batches_tracked, ...) */
    int prefix_stripped; /**< 1 if keys were found under "backbone." */
} clbb_weights_report;

/**
 * Loads a .safetensors file by PyTorch key name (SPEC B.2). On any error the
 * model's previous weights are kept.
 * @param report may be NULL.
 * @return CLBB_ERR_IO, CLBB_ERR_FORMAT (naming the key or byte offset).
 */
CLBB_API clbb_status clbb_model_load_weights(clbb_model *model, const char *path,
                                    clbb_weights_report *report);

/** Writes the model's parameters (F32, PyTorch key names) to .safetensors. */
CLBB_API clbb_status clbb_model_save_weights(const clbb_model *model, const char *path);

/**
 * Forces one convolution algorithm on every conv layer it applies to (the
 * others keep the automatic choice); CLBB_CONV_ALGO_AUTO restores the
 * per-layer choice. Drops the current plan.
 */
CLBB_API clbb_status clbb_model_set_conv_algo(clbb_model *model, clbb_conv_algo algo);

/** Number of parameters (conv weights and norm affine; no BN buffers). */
CLBB_API int64_t clbb_model_num_params(const clbb_model *model);

/** Number of outputs (len(out_indices)). */
CLBB_API int clbb_model_num_outputs(const clbb_model *model);

/**
 * Plans the model for an input shape without running it (a forward does
 * this implicitly). Computes output shapes and device memory.
 * @return CLBB_ERR_SHAPE (channels differ from in_channels, too small),
 *         CLBB_ERR_DEVICE_MEMORY (does not fit; the message gives the numbers).
 */
CLBB_API clbb_status clbb_model_plan(clbb_model *model, clbb_shape input);

/** Output shape @p index for the planned input shape. */
CLBB_API clbb_status clbb_model_output_shape(const clbb_model *model, int index, clbb_shape *shape);

/**
 * Runs the backbone on a dense NCHW host input of @p shape (blocking copy in,
 * converted to the precision's storage; asynchronous compute). Outputs stay
 * on the device until read.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL); CLBB_ERR_INVALID_STATE
 *         (no weights); CLBB_ERR_SHAPE (channels, too small);
 *         CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_BUILD; CLBB_ERR_DEVICE.
 */
CLBB_API clbb_status clbb_model_forward(clbb_model *model, clbb_shape shape, const float *input);

/** Runs the backbone on a device tensor of any dtype and layout (copied,
 *  converted, into the model's input; no host synchronization). Statuses
 *  as clbb_model_forward(). */
CLBB_API clbb_status clbb_model_forward_tensor(clbb_model *model, const clbb_tensor *input);

/** Output tensor @p index of the last forward (owned by the model; its
 *  dtype is the precision's storage).
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT; CLBB_ERR_INVALID_STATE. */
CLBB_API clbb_status clbb_model_output(const clbb_model *model, int index, const clbb_tensor **out);

/** Copies output @p index into dense host floats (blocking).
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT; CLBB_ERR_INVALID_STATE (not
 *          planned); CLBB_ERR_SHAPE (count); CLBB_ERR_DEVICE. */
CLBB_API clbb_status clbb_model_read_output(clbb_model *model, int index, float *data, size_t count);

/** Memory of the planned model on the device. */
typedef struct clbb_model_memory {
    uint64_t weights_bytes;     /**< packed parameters */
    uint64_t activations_bytes; /**< activation buffers after liveness reuse */
    uint64_t workspace_bytes;   /**< op scratch (im2col, Winograd, split-K), shared by all ops of the context */
    uint64_t naive_activation_bytes; /**< without reuse, for comparison */
} clbb_model_memory;

CLBB_API clbb_status clbb_model_memory_usage(const clbb_model *model, clbb_model_memory *mem);

/**
 * Runs the same backbone with the plain-C reference ops (double accumulation,
 * BN unfolded, nothing fused) on a dense host input. @p outputs receives
 * malloc'ed arrays (caller frees each) and @p shapes their shapes; both
 * arrays must hold clbb_model_num_outputs() entries.
 */
CLBB_API clbb_status clbb_model_forward_reference(clbb_model *model, clbb_shape shape, const float *input,
                                         float **outputs, clbb_shape *shapes);

/**
 * Tunes every conv layer of the model at @p input: times each applicable
 * algorithm and kernel-parameter candidate (median of @p iters profiled
 * runs), rejects any whose output differs from the direct kernel by more
 * than 1e-5 relative L2, and stores the fastest per layer in the context's
 * tuning table, then writes the table to @p path (NULL: the device's
 * default file in the cache directory, which later contexts load by
 * themselves). The context must have profiling on. @p log (may be NULL)
 * receives one line per layer.
 */
CLBB_API clbb_status clbb_model_tune(clbb_model *model, clbb_shape input, int iters,
                                     const char *path, FILE *log);

/** Per-layer timing of one profiled forward (for `clbb bench`). */
typedef struct clbb_layer_profile {
    char name[160];
    char kind[32];
    char algorithm[96];
    clbb_shape out_shape;
    double ms;
    double flops;
    double bytes;
} clbb_layer_profile;

/**
 * Runs one forward with profiling events (the context must have profiling
 * on) and fills per-op timings in execution order.
 * @param count receives the number of ops (may exceed capacity).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT; CLBB_ERR_INVALID_STATE (no
 *         forward yet, no profiling); CLBB_ERR_DEVICE; CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_profile(clbb_model *model, clbb_layer_profile *layers, size_t capacity,
                               size_t *count, double *total_ms);

/** Timings of clbb_model_benchmark(). */
typedef struct clbb_model_timing {
    double wall_median_ms;   /**< whole forwards, host clock, median */
    double wall_min_ms;
    double kernel_median_ms; /**< sum of the ops' profiling events, median */
    double gflop;            /**< work of one forward */
    size_t num_layers;       /**< ops of the plan (may exceed the capacity given) */
} clbb_model_timing;

/**
 * Times forwards on @p input (already on the device): a first forward
 * (planning), @p warmup more, then @p iters timed by the host clock (each
 * finished before the next) and @p iters profiled; per-layer medians go into
 * @p layers (capacity entries; may be NULL). The context must have
 * profiling on.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, iters < 1, warmup < 0);
 *         CLBB_ERR_INVALID_STATE (no profiling, no weights); the statuses of
 *         clbb_model_forward().
 */
CLBB_API clbb_status clbb_model_benchmark(clbb_model *model, const clbb_tensor *input, int warmup,
                                          int iters, clbb_model_timing *timing,
                                          clbb_layer_profile *layers, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_MODEL_H */
