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
 * The plan (ops, device buffers, output tensors) is dropped and rebuilt by
 * the next forward after anything that changes it: a forward or
 * clbb_model_plan() at another input shape, clbb_model_set_precision(),
 * clbb_model_set_conv_algo(), loading or initializing weights,
 * clbb_model_tune().
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

/** The backbone family: MMDetection's `type`. */
typedef enum clbb_model_type {
    CLBB_MODEL_RESNET = 0,     /**< ResNet */
    CLBB_MODEL_RESNET_V1D = 1, /**< ResNet with deep_stem and avg_down forced on */
    CLBB_MODEL_RESNEXT = 2,    /**< ResNeXt: groups and base_width */
    CLBB_MODEL_GHOSTNET = 3,   /**< GhostNet (timm / huawei-noah) */
} clbb_model_type;

/** norm_cfg's type. */
typedef enum clbb_norm_type {
    CLBB_NORM_BN = 0,     /**< BatchNorm2d (inference: folded into the convs) */
    CLBB_NORM_SYNCBN = 1, /**< same as BN at inference */
    CLBB_NORM_GN = 2,     /**< GroupNorm with num_groups */
} clbb_norm_type;

/** Most stages of a ResNet (num_stages 1..4). */
#define CLBB_MAX_STAGES 4
/** Most out_indices entries (GhostNet has ten blocks). */
#define CLBB_MAX_OUT_INDICES 10
/** Most entries of a `plugins` list. */
#define CLBB_MAX_PLUGINS 8

/** One entry of MMDetection's `plugins` list: where it goes and its layer's
 *  arguments (mmcv's names and defaults; only the type's own are read). The
 *  JSON parser fills mmcv's defaults before reading a cfg; a struct built by
 *  hand must set every field of its type (validation checks them as mmcv's
 *  constructor does, with in_channels planes -- the ResNeXt width -- after
 *  conv1/conv2 and planes * 4 after conv3). */
typedef struct clbb_plugin_config {
    char type[32];     /**< ContextBlock, GeneralizedAttention, NonLocal2d */
    char postfix[32];  /**< "" if absent */
    int position;      /**< 1, 2 or 3: after_conv1/2/3 */
    int num_stages;    /**< 0: stages is None (all stages) */
    int stages[CLBB_MAX_STAGES]; /**< stages (True/False per stage) when num_stages > 0 */
    /* ContextBlock(in_channels, ratio, pooling_type='att',
     * fusion_types=('channel_add',)) */
    double ratio;      /**< required: NaN reads as not given */
    int pooling_att;   /**< 1 'att', 0 'avg' */
    int fusion_add;    /**< fusion_types has 'channel_add' */
    int fusion_mul;    /**< fusion_types has 'channel_mul' */
    /* NonLocal2d(in_channels, reduction=2, use_scale=True, conv_cfg=None,
     * norm_cfg=None, mode='embedded_gaussian', sub_sample=False) */
    int reduction;     /**< NonLocal2d reduction (default 2) */
    int use_scale;     /**< NonLocal2d use_scale (default 1) */
    int sub_sample;    /**< NonLocal2d sub_sample (default 0) */
    char mode[24];     /**< gaussian, embedded_gaussian, dot_product, concatenation */
    int nl_norm_bn;    /**< norm_cfg BN on conv_out (conv_out.bn.*) */
    /* GeneralizedAttention(in_channels, spatial_range=-1, num_heads=9,
     * position_embedding_dim=-1, position_magnitude=1, kv_stride=2,
     * q_stride=1, attention_type='1111') */
    int spatial_range;          /**< GeneralizedAttention spatial_range (-1) */
    int num_heads;              /**< GeneralizedAttention num_heads (9) */
    int position_embedding_dim; /**< GeneralizedAttention position_embedding_dim (-1) */
    int position_magnitude;     /**< GeneralizedAttention position_magnitude (1) */
    int kv_stride;              /**< GeneralizedAttention kv_stride (2) */
    int q_stride;               /**< GeneralizedAttention q_stride (1) */
    char attention_type[8]; /**< four '0'/'1' characters */
} clbb_plugin_config;

/**
 * A backbone configuration: the C mirror of MMDetection's backbone
 * constructor arguments, as clbb_model_config_parse_json() reads them from
 * a `backbone=dict(...)` written as JSON. clbb_model_config_init() fills
 * MMDetection's defaults for a type; clbb_model_config_validate() checks it.
 */
typedef struct clbb_model_config {
    clbb_model_type type;        /**< MMDetection's `type` */
    /* ResNet family */
    int depth;                   /**< 18, 34, 50, 101, 152 (ResNeXt: 50, 101, 152) */
    int in_channels;             /**< image channels (default 3) */
    int stem_channels;           /**< 0: None (= base_channels) */
    int base_channels;           /**< default 64 */
    int num_stages;              /**< 1..4, default 4 */
    int num_strides;             /**< entries of strides */
    int strides[CLBB_MAX_STAGES];   /**< per stage, default (1, 2, 2, 2) */
    int num_dilations;           /**< entries of dilations */
    int dilations[CLBB_MAX_STAGES]; /**< per stage, default (1, 1, 1, 1) */
    int num_out_indices;         /**< entries of out_indices */
    int out_indices[CLBB_MAX_OUT_INDICES]; /**< the stages (GhostNet: blocks) returned */
    int style_caffe;             /**< style: 0 'pytorch', 1 'caffe' */
    int deep_stem;               /**< three 3x3 stem convs (ResNetV1d: 1) */
    int avg_down;                /**< AvgPool in the downsample (ResNetV1d: 1) */
    int frozen_stages;           /**< training only */
    int norm_eval;               /**< training only */
    int with_cp;                 /**< training only */
    int zero_init_residual;      /**< init only */
    clbb_norm_type norm_type;    /**< norm_cfg type */
    float norm_eps;              /**< norm_cfg eps (default 1e-5) */
    int norm_num_groups;         /**< GN only */
    int norm_requires_grad;      /**< training only */
    int ghost_conv;              /**< conv_cfg type Ghost */
    int ghost_ratio;             /**< conv_cfg Ghost ratio (2) */
    int ghost_dw_size;           /**< conv_cfg Ghost dw_size (3) */
    int ghost_relu;              /**< conv_cfg Ghost relu (1) */
    int groups;                  /**< ResNeXt groups */
    int base_width;              /**< ResNeXt base_width */
    int has_dcn;                 /**< dcn given */
    char dcn_type[16];           /**< DCN (DeformConv2dPack) or DCNv2 (Modulated...) */
    int dcn_deform_groups;       /**< default 1 */
    int dcn_fallback_on_stride;  /**< default 0 (MMDetection's quirk: docs/config.md, dcn) */
    int num_stage_with_dcn;      /**< entries of stage_with_dcn */
    int stage_with_dcn[CLBB_MAX_STAGES]; /**< per stage: dcn applies */
    int num_plugins;             /**< entries of plugins */
    clbb_plugin_config plugins[CLBB_MAX_PLUGINS]; /**< the plugins list, in order */
    /** Weights file named by pretrained / init_cfg Pretrained ("" none).
     *  Recorded only: clbb_model_create() does not load it (the CLI and the
     *  Python package pass it to clbb_model_load_weights(), which refuses a
     *  URL such as torchvision://resnet50 saying how to convert a local
     *  file). */
    char pretrained[1024];
    /* GhostNet */
    float width;                 /**< GhostNet width multiplier (1.0) */
} clbb_model_config;

/** Fills MMDetection's constructor defaults for @p type (depth 50 / width 1;
 *  GhostNet out_indices 2, 4, 6, 9). Thread-safe.
 *  @param config the struct to fill; NULL: no-op.
 *  @param type   the backbone family. */
CLBB_API void clbb_model_config_init(clbb_model_config *config, clbb_model_type type);

/** What clbb_model_config_parse() found out about a config text besides
 *  the config itself. */
typedef struct clbb_config_info {
    int python_literal; /**< 1: read as Python literals (MMDetection's
                             `dict(...)` form), 0: as JSON */
    int from_detector;  /**< 1: the `backbone` of a model / detector dict */
    char note[192];     /**< "" or what the reader chose, for the user
                             ("using model.backbone of 'FasterRCNN' ...") */
} clbb_config_info;

/**
 * Parses a backbone config written as JSON or as MMDetection writes it in
 * Python, and validates it as clbb_model_config_parse_json() does.
 *
 * The Python form is the literal subset of Python that MMDetection configs
 * use: `dict(k=v, ...)` calls, `{...}` dicts with quoted keys, lists,
 * tuples (read as lists), single-, double- or triple-quoted strings with
 * Python's escapes and r/u prefixes, ints and floats (signs, exponents,
 * 0x/0o/0b, underscores), True/False/None, trailing commas, `#` comments.
 * The text may be one such value, optionally as `backbone=dict(...)` (a
 * trailing comma allowed), or a file of `NAME = value` assignments (an
 * MMDetection config file). Text that is valid JSON is read as JSON.
 *
 * The backbone is the value itself, `backbone = ...`, or, for a whole
 * config (`model = dict(type='FasterRCNN', backbone=dict(...), ...)`, a
 * detector dict, or a JSON object with a "model"), the model's `backbone`;
 * then @p info says so (from_detector, note) and the rest is not read.
 * Nothing is evaluated: a variable, a call other than dict(), arithmetic,
 * a `{{_base_.x}}` substitution or an inherited config's partial backbone
 * is refused with its line, column and text; so is malformed JSON.
 * @param text the config text (JSON or Python; a UTF-8 byte order mark is
 *        skipped); not kept.
 * @param length bytes of @p text (no NUL needed; trailing NULs allowed).
 * @param config as in clbb_model_config_parse_json().
 * @param info may be NULL; zeroed first, filled on success and also on a
 *        failure after the backbone was chosen.
 * @param errbuf receives the message on failure (may be NULL): for syntax
 *        errors "line L, column C" and the offending text.
 * @param errbuf_size bytes of @p errbuf (the message is truncated to fit).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (text or config NULL);
 *         CLBB_ERR_CONFIG (empty or malformed text, a non-literal, no
 *         backbone in a model config; the values, as
 *         clbb_model_config_parse_json()); CLBB_ERR_UNSUPPORTED (as
 *         clbb_model_config_parse_json()). Thread-safe.
 */
CLBB_API clbb_status clbb_model_config_parse(const char *text, size_t length,
                                             clbb_model_config *config, clbb_config_info *info,
                                             char *errbuf, size_t errbuf_size);

/**
 * Reads a config file (JSON or the Python form: see
 * clbb_model_config_parse()) into @p config. Thread-safe.
 * @param path the file (at most 64 MiB).
 * @param config as in clbb_model_config_parse().
 * @param info may be NULL (see clbb_model_config_parse()).
 * @param errbuf receives a message naming the file on failure (may be NULL).
 * @param errbuf_size bytes of @p errbuf.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path or config NULL);
 *         CLBB_ERR_IO (cannot be opened or read, not a regular file);
 *         CLBB_ERR_OUT_OF_MEMORY; CLBB_ERR_CONFIG (larger than 64 MiB; as
 *         clbb_model_config_parse()); CLBB_ERR_UNSUPPORTED.
 */
CLBB_API clbb_status clbb_model_config_load(const char *path, clbb_model_config *config,
                                            clbb_config_info *info, char *errbuf,
                                            size_t errbuf_size);

/**
 * Parses a JSON config into @p config and validates it as MMDetection's
 * constructor does (the Python form of clbb_model_config_parse() is
 * accepted too, so that every entry point reads the same texts). The JSON is the `backbone=dict(...)` of an MMDetection
 * config: an object with "type" (ResNet, ResNetV1d, ResNeXt or GhostNet)
 * and that constructor's keyword arguments under their own names and
 * types (depth, out_indices, norm_cfg, conv_cfg such as {"type": "Ghost"},
 * init_cfg / pretrained, ...); an unknown key, a wrong type or a value
 * MMDetection would reject is an error naming the argument. Every key,
 * type, default and check is listed in docs/config.md of the source tree.
 * Thread-safe.
 * @param json   the text.
 * @param length bytes of @p json (no NUL needed; trailing whitespace and
 *        NULs are allowed).
 * @param config untouched when the JSON does not parse; when it parses but
 *        does not validate it still receives the values, so a caller can
 *        report what was asked for.
 * @param errbuf,errbuf_size receive a message naming the argument on
 *        failure (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (json or config NULL);
 *         CLBB_ERR_CONFIG (empty or malformed JSON, extra data -- with the
 *         line, column and text --, a missing "type" or depth, frozen_stages
 *         above num_stages, an unknown or repeated key, a wrong type, a value
 *         MMDetection rejects); CLBB_ERR_UNSUPPORTED (valid for MMDetection
 *         but not implemented by clbb: another MMDetection backbone, a norm
 *         other than BN/SyncBN/GN, a conv other than Conv/Ghost, a dcn type
 *         other than DCN/DCNv2, a plugin clbb does not build (NonLocal2d
 *         with a conv_cfg other than Conv2d or a norm_cfg other than BN with
 *         eps 1e-5, a ContextBlock with int(in_channels * ratio) < 1), an
 *         init_cfg prefix other than "backbone.", more
 *         out_indices or plugins than the struct holds, layers beyond clbb's
 *         channel limit).
 */
CLBB_API clbb_status clbb_model_config_parse_json(const char *json, size_t length,
                                         clbb_model_config *config,
                                         char *errbuf, size_t errbuf_size);

/**
 * Validates a config struct (the checks the JSON path makes on values;
 * type checks have no struct counterpart). Thread-safe.
 * @param config the config.
 * @param errbuf,errbuf_size receive the message (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (config NULL); CLBB_ERR_CONFIG
 *         (a value MMDetection rejects, an unknown type); CLBB_ERR_UNSUPPORTED
 *         (a dcn type other than DCN/DCNv2, a plugin clbb does not build, too
 *         many out_indices, layers beyond clbb's channel limit), each with a
 *         message naming the argument in @p errbuf.
 */
CLBB_API clbb_status clbb_model_config_validate(const clbb_model_config *config,
                                       char *errbuf, size_t errbuf_size);

/**
 * Ready-made configs of `clbb run --arch`: resnet18, resnet34, resnet50,
 * resnet101, resnet152, resnet18v1d .. resnet152v1d (same depths),
 * resnext50_32x4d, resnext101_32x4d, resnext101_64x4d, resnext101_32x8d,
 * ghostnet (width 1.0), ghostnet_050, ghostnet_130, ghost_resnet50
 * (ResNet-50 with Ghost convs), resnet50_dcn_c3c5, resnet50_dcnv2_c3c5,
 * resnet101_dcn_c3c5 (dcn DCN / DCNv2, deform_groups 1, stage_with_dcn
 * (False, True, True, True): MMDetection's dconv/mdconv-c3-c5),
 * resnet50_gcb_r16_c3c5 and resnet50_gcb_r4_c3c5 (GCNet: ContextBlock ratio
 * 1/16 or 1/4 after conv3 in stages 2-4), resnet50_nonlocal_c4 (NonLocal2d,
 * mmcv's defaults, after conv3 in stage 3), resnet50_attn1111_c4c5 and
 * resnet50_attn0010_c4c5 (MMDetection's empirical attention); the other
 * fields are clbb_model_config_init()'s defaults.
 * Thread-safe.
 * @param name   a preset name.
 * @param config receives the config.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, or an unknown name: see
 *         clbb_model_preset_names()).
 */
CLBB_API clbb_status clbb_model_config_preset(const char *name, clbb_model_config *config);

/** The preset names of clbb_model_config_preset(). Thread-safe.
 *  @return a static NULL-terminated list. */
CLBB_API const char *const *clbb_model_preset_names(void);

/**
 * Precision of a model's forward. FP32: fp32 storage and arithmetic (the
 * default). FP16: activations stored as IEEE binary16 (half the bytes
 * between layers), BN scale/shift and accumulation in fp32, fp16 tensor-
 * core products where the device has them (::CLBB_MATH_FP16); every device
 * runs it (vload_half / vstore_half need no cl_khr_fp16). TF32X3 and TF32:
 * fp32 storage, convolutions on tensor cores (::CLBB_MATH_TF32X3,
 * ::CLBB_MATH_TF32); a device without them runs strict fp32 (more accurate).
 */
typedef enum clbb_precision {
    CLBB_PRECISION_FP32 = 0,   /**< fp32 storage and arithmetic */
    CLBB_PRECISION_FP16 = 1,   /**< fp16 activations, fp32 accumulation */
    CLBB_PRECISION_TF32X3 = 2, /**< fp32 storage, 3xTF32 tensor-core convs */
    CLBB_PRECISION_TF32 = 3,   /**< fp32 storage, TF32 tensor-core convs */
} clbb_precision;

/** Number of precisions (for tables). */
#define CLBB_PRECISION_COUNT 4

/** Name of a precision. Thread-safe.
 *  @param precision any value.
 *  @return "fp32", "fp16", "tf32x3", "tf32" (static); NULL if unknown. */
CLBB_API const char *clbb_precision_name(clbb_precision precision);

/** Parses "fp32" / "fp16" / "tf32x3" / "tf32". Thread-safe.
 *  @param name      the text.
 *  @param precision receives the value.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL or an unknown name). */
CLBB_API clbb_status clbb_precision_parse(const char *name, clbb_precision *precision);

/** Opaque model handle. */
typedef struct clbb_model clbb_model;

/**
 * Creates a model (weights uninitialized until load or init); precision FP32.
 * The config is copied. Builds the layer graph on the host only: nothing is
 * allocated on the device before the first plan.
 * @param ctx    the context the model runs on.
 * @param config the configuration (copied).
 * @param out receives the model (NULL on failure); free with
 *        clbb_model_destroy() before the context.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, config or out NULL);
 *         CLBB_ERR_CONFIG / CLBB_ERR_UNSUPPORTED (the config does not
 *         validate, as clbb_model_config_validate()); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_create(clbb_context *ctx, const clbb_model_config *config, clbb_model **out);

/** Parses, validates and creates from JSON text or the Python form (see
 *  clbb_model_config_parse(); its note is not kept: parse first to show
 *  it).
 *  @param ctx    the context the model runs on.
 *  @param json   the text.
 *  @param length bytes of @p json.
 *  @param out    receives the model (NULL on failure); free with
 *                clbb_model_destroy().
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx, json or out NULL);
 *          CLBB_ERR_CONFIG; CLBB_ERR_UNSUPPORTED (as
 *          clbb_model_config_parse_json()); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_model_create_from_json(clbb_context *ctx, const char *json, size_t length,
                                        clbb_model **out);

/**
 * Sets the precision of later forwards (drops the current plan; the next
 * forward plans and builds again). Outputs are read as fp32 whatever it is.
 * A mode the device cannot run falls back to the nearest mode at least as
 * accurate (TF32 -> TF32X3 -> FP32; FP16 keeps its half storage with fp32
 * products where the device has no fp16 tensor cores), never to a less
 * accurate one; clbb_model_precision_info() says what runs and why. Asks
 * the context which math modes its device has (clbb_context_has_math():
 * the tensor-core probe runs at the first ask), so call it on the
 * context's thread.
 * @param model the model.
 * @param precision the requested precision.
 * @return CLBB_OK (also when it falls back); CLBB_ERR_INVALID_ARGUMENT
 *         (NULL, unknown precision).
 */
CLBB_API clbb_status clbb_model_set_precision(clbb_model *model, clbb_precision precision);

/** What a model's precision runs as on its device (clbb_model_precision_info()). */
typedef struct clbb_precision_info {
    /** The precision asked for (clbb_model_set_precision(); FP32 by default). */
    clbb_precision requested;
    /** The precision that runs: the requested one, or the nearest at least
     *  as accurate that the device has (TF32 -> TF32X3 -> FP32). FP16 stays
     *  FP16 (half storage) even where its products fall back to fp32. */
    clbb_precision effective;
    /** The products the model's convolutions ask for (see ::clbb_math);
     *  CLBB_MATH_FP32 where the device has no matrix units for the mode.
     *  A layer whose algorithm has no tensor-core variant still computes
     *  strictly: clbb_model_profile() names each layer's algorithm. */
    clbb_math math;
    /** Non-zero when effective or math is other than the request implies. */
    int fallback;
    /** Why it fell back, one line naming the device (e.g. "no tensor cores
     *  on this device: pthread-cpu"); "" without a fallback. */
    char note[192];
} clbb_precision_info;

/**
 * Reads the requested and effective precision of a model and the reason
 * for a fallback (see clbb_model_set_precision()). Reads the model only
 * (thread-safe against other readers; not against a concurrent
 * clbb_model_set_precision()).
 * @param model the model.
 * @param info  receives the information.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or info NULL).
 */
CLBB_API clbb_status clbb_model_precision_info(const clbb_model *model, clbb_precision_info *info);

/**
 * What a precision would run as on a context's device, without a model
 * (the rule of clbb_model_set_precision(); `clbb check` reports it). Asks
 * clbb_context_has_math(): call it on the context's thread.
 * @param ctx       the context.
 * @param precision the requested precision.
 * @param info      receives the information.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (ctx or info NULL, unknown
 *         precision).
 */
CLBB_API clbb_status clbb_precision_resolve(clbb_context *ctx, clbb_precision precision,
                                            clbb_precision_info *info);

/** Destroys a model and its device buffers (before its context).
 *  @param model the model; NULL: no-op. */
CLBB_API void clbb_model_destroy(clbb_model *model);

/**
 * Initializes every parameter as MMDetection's init_weights() does, from
 * @p seed (clbb's splitmix64 stream): conv weights Kaiming normal (fan_out,
 * ReLU gain) and conv biases 0, norm weight 1 / bias 0, running
 * mean 0 / var 1, and with zero_init_residual the weight of the last norm
 * of each residual block 0. GhostNet gets the same conv init;
 * zero_init_residual applies to the ResNet family only. Drops the plan.
 * @param model the model.
 * @param seed  start of the random stream.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL).
 */
CLBB_API clbb_status clbb_model_init_weights(clbb_model *model, uint64_t seed);

/** Result of clbb_model_load_weights(). */
typedef struct clbb_weights_report {
    int loaded;          /**< tensors bound to the model */
    int ignored;         /**< extra keys (fc.*, neck.*, num_batches_tracked, ...) */
    int prefix_stripped; /**< 1 if keys were found under "backbone." */
} clbb_weights_report;

/**
 * Loads a .safetensors file by PyTorch key name: the backbone's state_dict
 * names, the ones clbb_model_save_weights() writes ("conv1.weight",
 * "layer1.0.bn1.running_var", ...), also accepted all under "backbone."
 * (used only when no unprefixed key matches) and, for the deep stem, with
 * timm's "conv1.N." / "bn1." names. Every parameter of the model must be
 * there with its exact shape, as F32, F16, BF16 or F64, all finite; other
 * keys (num_batches_tracked, fc.*, neck.*, ...) are ignored. On any error
 * the model's previous weights are kept; on success the plan is dropped.
 * @param model the model.
 * @param path   the .safetensors file.
 * @param report may be NULL; written only on success.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or path NULL);
 *         CLBB_ERR_IO (the file cannot be opened or read, not a regular
 *         file, a URL such as `torchvision://resnet50` or `open-mmlab://...`
 *         (anything with "://"): the message says how to convert a local
 *         file with tools/convert_checkpoint.py); CLBB_ERR_FORMAT (a
 *         malformed file, a PyTorch `.pth` (zip or pickle: the message points
 *         to the converter), missing keys (every one listed, with the file's
 *         keys under the prefix used that no parameter took, as PyTorch's
 *         load_state_dict reports them; each list cut past ~1400 characters
 *         with a count of the rest), a shape mismatch, a non-float dtype, a
 *         non-finite value, naming the key or byte offset);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_load_weights(clbb_model *model, const char *path,
                                    clbb_weights_report *report);

/** Writes the model's parameters (F32, the PyTorch key names
 *  clbb_model_load_weights() reads; no num_batches_tracked) to
 *  .safetensors, through a temporary file and a rename.
 *  @param model the model.
 *  @param path  the file written.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or path NULL, path
 *          ""); CLBB_ERR_INVALID_STATE (no weights loaded or initialized);
 *          CLBB_ERR_IO (the file cannot be written); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_model_save_weights(const clbb_model *model, const char *path);

/**
 * Forces one convolution algorithm on every conv layer it applies to, over
 * the tuning table (a layer it does not apply to, or where it refuses the
 * shape, falls back to the automatic choice); CLBB_CONV_ALGO_AUTO restores
 * the per-layer choice (tuning table, else the default). Drops the current
 * plan.
 * @param model the model.
 * @param algo  the algorithm, or CLBB_CONV_ALGO_AUTO.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL model, unknown algo).
 */
CLBB_API clbb_status clbb_model_set_conv_algo(clbb_model *model, clbb_conv_algo algo);

/** Number of parameters (conv weights and biases, norm affine; no BN
 *  running statistics).
 *  @param model the model.
 *  @return the count; 0 for NULL. */
CLBB_API int64_t clbb_model_num_params(const clbb_model *model);

/** Number of outputs: the stages out_indices lists, each once however
 *  often it is listed (MMDetection tests `i in out_indices`).
 *  @param model the model.
 *  @return the count; 0 for NULL. */
CLBB_API int clbb_model_num_outputs(const clbb_model *model);

/**
 * Plans the model for an input shape without running it (a forward does
 * this implicitly; planning the planned shape again is a no-op): infers
 * every shape, assigns activation buffers by liveness, then creates,
 * reshapes and binds every op (BN folded into convs, packed weights,
 * programs built). A conv whose tuned or forced choice is refused here
 * (unsupported, or a tuning the shape cannot take) falls back to the
 * automatic one. On failure no plan is left.
 * @param model the model.
 * @param input the input shape (N, C = in_channels, H, W).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL model, an extent below
 *         1, more than 2^31-1 input elements, weights that do not fold: a
 *         norm's var + eps <= 0 or a folded scale that is not finite);
 *         CLBB_ERR_INVALID_STATE (no weights); CLBB_ERR_SHAPE (channels
 *         differ from in_channels, input too small for a layer);
 *         CLBB_ERR_DEVICE_MEMORY (does not fit: an activation over 2^31-1
 *         elements, a buffer over the max allocation, more than the global
 *         memory, or an allocation failed; the message gives the numbers);
 *         CLBB_ERR_UNSUPPORTED (a layer's shape beyond its kernel's
 *         indexing); CLBB_ERR_BUILD; CLBB_ERR_DEVICE (kernel creation,
 *         weight mapping); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_plan(clbb_model *model, clbb_shape input);

/** Output shape @p index for the planned input shape: what a buffer for
 *  clbb_model_read_output() must hold (clbb_shape_numel() floats).
 *  @param model the model, planned (clbb_model_plan() or a forward).
 *  @param index 0..clbb_model_num_outputs()-1.
 *  @param shape receives the shape.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, index out of
 *          0..num_outputs-1); CLBB_ERR_INVALID_STATE (not planned). */
CLBB_API clbb_status clbb_model_output_shape(const clbb_model *model, int index, clbb_shape *shape);

/**
 * Runs the backbone on a dense NCHW host input of @p shape (plans it if
 * needed, as clbb_model_plan(); blocking copy in, converted to the
 * precision's storage; asynchronous compute). Outputs stay on the device
 * until read.
 * @param model the model.
 * @param shape the input's shape.
 * @param input clbb_shape_numel(shape) floats (not kept).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or input NULL; the
 *         planning cases); CLBB_ERR_INVALID_STATE (no weights);
 *         CLBB_ERR_SHAPE (channels, too small); CLBB_ERR_DEVICE_MEMORY;
 *         CLBB_ERR_UNSUPPORTED; CLBB_ERR_BUILD (as clbb_model_plan());
 *         CLBB_ERR_DEVICE (kernel creation, the upload or an enqueue
 *         failed); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_forward(clbb_model *model, clbb_shape shape, const float *input);

/** Runs the backbone on a device tensor of any dtype and layout (copied,
 *  converted, into the model's input; no host synchronization). One of
 *  this model's own tensors (clbb_model_output()) is refused as the input
 *  when its shape differs from the planned one: replanning would free it.
 *  @param model the model.
 *  @param input the input tensor (N, in_channels, H, W).
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or input NULL, an
 *          input of another context or partly overlapping the model's input
 *          tensor, one of the model's own tensors at another shape; the
 *          planning cases);
 *          CLBB_ERR_INVALID_STATE (no weights); CLBB_ERR_SHAPE;
 *          CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_UNSUPPORTED; CLBB_ERR_BUILD (as
 *          clbb_model_plan(), and the copy kernel); CLBB_ERR_DEVICE
 *          (kernel creation or an enqueue failed); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_model_forward_tensor(clbb_model *model, const clbb_tensor *input);

/** Output tensor @p index of the plan, which the last forward wrote (owned
 *  by the model and valid until the plan is dropped, see the top of this
 *  file; its dtype is the precision's storage; do not destroy it).
 *  @param model the model.
 *  @param index 0..clbb_model_num_outputs()-1.
 *  @param out   receives the tensor.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL, index out of range);
 *          CLBB_ERR_INVALID_STATE (not planned). */
CLBB_API clbb_status clbb_model_output(const clbb_model *model, int index, const clbb_tensor **out);

/** Copies output @p index into @p count dense host floats (blocking: waits
 *  for the forward), as clbb_tensor_read_f32().
 *  @param model the model.
 *  @param index 0..clbb_model_num_outputs()-1.
 *  @param data  receives @p count floats, NCHW.
 *  @param count clbb_shape_numel() of clbb_model_output_shape().
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or data NULL, index out
 *          of range); CLBB_ERR_INVALID_STATE (not planned); CLBB_ERR_SHAPE
 *          (count differs from the output's N*C*H*W); CLBB_ERR_DEVICE;
 *          CLBB_ERR_DEVICE_MEMORY (the read failed); CLBB_ERR_OUT_OF_MEMORY
 *          (the FP16 conversion buffer). */
CLBB_API clbb_status clbb_model_read_output(clbb_model *model, int index, float *data, size_t count);

/** Memory of the planned model on the device. */
typedef struct clbb_model_memory {
    uint64_t weights_bytes;     /**< packed parameters */
    uint64_t activations_bytes; /**< activation buffers after liveness reuse */
    uint64_t workspace_bytes;   /**< op scratch (im2col, Winograd, split-K), shared by all ops of the context */
    uint64_t naive_activation_bytes; /**< without reuse, for comparison */
} clbb_model_memory;

/** Fills @p mem for the planned input shape.
 *  @param model the model.
 *  @param mem   receives the sizes.
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL);
 *          CLBB_ERR_INVALID_STATE (not planned). */
CLBB_API clbb_status clbb_model_memory_usage(const clbb_model *model, clbb_model_memory *mem);

/**
 * Runs the same backbone with the plain-C reference ops (double accumulation,
 * BN unfolded, nothing fused, always fp32 whatever the precision) on a
 * dense host input, on the host only; the model's plan is kept. @p outputs
 * receives malloc'ed arrays (caller frees each) and @p shapes their shapes;
 * both arrays must hold clbb_model_num_outputs() entries. On failure
 * nothing is left allocated.
 * @param model the model.
 * @param shape   the input's shape.
 * @param input   clbb_shape_numel(shape) floats.
 * @param outputs receives one malloc'ed array per output.
 * @param shapes  receives the output shapes.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (a NULL argument, an extent
 *         below 1); CLBB_ERR_INVALID_STATE (no weights); CLBB_ERR_SHAPE
 *         (channels differ from in_channels, input too small for a layer);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_forward_reference(clbb_model *model, clbb_shape shape, const float *input,
                                         float **outputs, clbb_shape *shapes);

/**
 * Tunes every conv and deformable conv layer of the model at @p input
 * (plans it first, so it needs weights): for each distinct tuning key,
 * times each applicable algorithm and kernel-parameter candidate on random
 * data (median of @p iters profiled runs after 2 warm-ups), rejects any
 * whose output differs from the direct kernel (a deformable conv: from its
 * default kernel) by more than 1e-5 relative L2 (2e-3 in FP16), and stores the fastest in the context's tuning table (when it beats
 * the layer's default kernel; see clbb_model_tune_with()), then writes
 * the whole table to @p path (NULL: the device's default file in the cache
 * directory, which later contexts load by themselves) and drops the plan.
 * The context must have profiling on. A candidate that does not apply or
 * refuses its tuning is skipped; any other failure ends the tune (entries
 * stored so far stay in the table). @p log (may be NULL) receives one line
 * per layer (and per skipped candidate with $CLBB_TUNE_VERBOSE set).
 * @param model the model.
 * @param input the input shape tuned for.
 * @param iters timed runs per candidate.
 * @param path  the tuning file written, or NULL.
 * @param log   progress lines, or NULL.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (NULL model, iters < 1, path
 *         NULL without a cache directory; the planning cases);
 *         CLBB_ERR_INVALID_STATE (no profiling, no weights); CLBB_ERR_SHAPE;
 *         CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_UNSUPPORTED; CLBB_ERR_BUILD (as
 *         clbb_model_plan(), or a candidate's build); CLBB_ERR_DEVICE;
 *         CLBB_ERR_IO (the file cannot be written); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_tune(clbb_model *model, clbb_shape input, int iters,
                                     const char *path, FILE *log);

/** Options of clbb_model_tune_with(). Fill with clbb_tune_options_init(). */
typedef struct clbb_tune_options {
    int iters;         /**< timed runs per candidate (default 10) */
    const char *path;  /**< the tuning file written; NULL: the device's default file */
    /** NULL or where the lines go: one per layer, "[k/N] layer ... est.
     *  remaining Ns", and the budget's note. */
    FILE *log;
    /** 0: no limit. Else the tune's wall-clock bound in seconds (planning
     *  included): no candidate is started that the average candidate's time
     *  says would end past it; the layer being tuned keeps its best so far,
     *  the layers not reached keep their defaults, and the file is written. */
    double budget_s;
} clbb_tune_options;

/** What clbb_model_tune_with() did. */
typedef struct clbb_tune_result {
    int layers;           /**< distinct conv and deform layer keys of the model */
    int layers_tuned;     /**< of them, tuned over every candidate */
    int layers_changed;   /**< tuned layers whose choice differs from the default kernel */
    int candidates_total; /**< candidates of every layer */
    int candidates_tried; /**< of them, run (skipped ones included) */
    int budget_reached;   /**< 1: the budget stopped the tune early */
    double seconds;       /**< wall-clock time of the tune */
    /** The default kernels' times (ms), summed over the layers tuned (each
     *  layer key once). */
    double default_ms;
    /** The chosen kernels' times over the same layers: default_ms /
     *  tuned_ms is the speed-up of the convolutions. */
    double tuned_ms;
} clbb_tune_result;

/** Fills @p options with the defaults (10 iterations, default file, no log,
 *  no budget). Thread-safe. @param options the struct to fill; NULL: no-op. */
CLBB_API void clbb_tune_options_init(clbb_tune_options *options);

/**
 * clbb_model_tune() with options: a time budget, and a summary. Candidates
 * come from the algorithm descriptors for the kernel family of the
 * context's device (the CPU micro-kernel's VW, MV, RB, NW, SB on CPU
 * devices, the GPU tiles elsewhere, as a device profile or
 * CLBB_CPU_KERNELS sets it); an algorithm without that family is tried once
 * with its defaults. Each layer's default kernel (what runs untuned) is
 * timed too, and a candidate replaces it only when faster.
 * @param model the model.
 * @param input the input shape tuned for.
 * @param options NULL for the defaults.
 * @param result NULL or what the tune did (filled also when it fails).
 * @return as clbb_model_tune(); also CLBB_ERR_INVALID_ARGUMENT (iters < 1,
 *         budget_s negative or not finite). A budget reached is CLBB_OK.
 */
CLBB_API clbb_status clbb_model_tune_with(clbb_model *model, clbb_shape input,
                                          const clbb_tune_options *options,
                                          clbb_tune_result *result);

/** Per-layer timing of one profiled forward (for `clbb bench`). */
typedef struct clbb_layer_profile {
    char name[160];       /**< layer name, e.g. "layer1.0.conv1" */
    char kind[32];        /**< op type, e.g. "conv2d" */
    char algorithm[96];   /**< kernel variant chosen */
    clbb_shape out_shape; /**< output shape */
    double ms;            /**< time of its kernels */
    double flops;         /**< floating-point operations */
    double bytes;         /**< minimum bytes moved */
} clbb_layer_profile;

/**
 * Runs the planned ops once more on the input already on the device, with
 * profiling events (the context must have profiling on), waits for them,
 * and fills per-op timings in execution order.
 * @param model the model.
 * @param layers   @p capacity entries, or NULL.
 * @param capacity entries of @p layers.
 * @param count    receives the number of ops (may exceed capacity).
 * @param total_ms may be NULL; receives the sum of the ops' times.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model or count NULL);
 *         CLBB_ERR_INVALID_STATE (not planned, no profiling);
 *         CLBB_ERR_DEVICE (an enqueue, clFinish or an event query failed);
 *         CLBB_ERR_DEVICE_MEMORY (the driver reported an allocation failure
 *         at enqueue); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_model_profile(clbb_model *model, clbb_layer_profile *layers, size_t capacity,
                               size_t *count, double *total_ms);

/** Timings of clbb_model_benchmark(). */
typedef struct clbb_model_timing {
    double wall_median_ms;   /**< whole forwards, host clock, median */
    double wall_min_ms;      /**< whole forwards, host clock, fastest */
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
 * @param model the model.
 * @param input    the input tensor.
 * @param warmup   untimed forwards after the first.
 * @param iters    timed forwards (each way).
 * @param timing   receives the timings.
 * @param layers   @p capacity per-layer entries, or NULL.
 * @param capacity entries of @p layers.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (model, input or timing NULL,
 *         iters < 1, warmup < 0; as clbb_model_forward_tensor());
 *         CLBB_ERR_INVALID_STATE (no profiling, no weights); CLBB_ERR_SHAPE;
 *         CLBB_ERR_DEVICE_MEMORY; CLBB_ERR_UNSUPPORTED; CLBB_ERR_BUILD;
 *         CLBB_ERR_DEVICE; CLBB_ERR_OUT_OF_MEMORY (as
 *         clbb_model_forward_tensor() and clbb_model_profile()).
 */
CLBB_API clbb_status clbb_model_benchmark(clbb_model *model, const clbb_tensor *input, int warmup,
                                          int iters, clbb_model_timing *timing,
                                          clbb_layer_profile *layers, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_MODEL_H */
