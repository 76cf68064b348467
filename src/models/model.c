/* clbb_model API: creation from a config, precision, forwards, outputs,
 * reference forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "model_internal.h"

clbb_status clbb_model_create(clbb_context *ctx, const clbb_model_config *cfg, clbb_model **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_model_create: out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!cfg) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "clbb_model_create: config is NULL");
    char msg[512] = "";
    clbb_status st = clbb_model_config_validate(cfg, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "%s", msg);
    clbb_model *m = calloc(1, sizeof *m);
    if (!m) return clbb__fail(ctx, CLBB_ERR_OUT_OF_MEMORY, "model: out of host memory");
    m->ctx = ctx;
    m->cfg = *cfg;
    m->precision = CLBB_PRECISION_FP32;
    m->dtype = CLBB_DTYPE_F32;
    m->prec = (clbb_precision_info){CLBB_PRECISION_FP32, CLBB_PRECISION_FP32, CLBB_MATH_FP32, 0,
                                    ""};
    st = cfg->type == CLBB_MODEL_GHOSTNET ? build_ghostnet(cfg, &m->g, msg, sizeof msg)
                                          : build_resnet(cfg, &m->g, msg, sizeof msg);
    if (st != CLBB_OK) {
        graph_free(&m->g);
        free(m);
        return clbb__fail(ctx, st, "%s", msg);
    }
    *out = m;
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_model_create_from_json(clbb_context *ctx, const char *json, size_t length,
                                        clbb_model **out) {
    if (!out) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!json) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "json is NULL");
    clbb_model_config cfg;
    char msg[512] = "";
    clbb_status st = clbb_model_config_parse_json(json, length, &cfg, msg, sizeof msg);
    if (st != CLBB_OK) return clbb__fail(ctx, st, "config: %s", msg);
    return clbb_model_create(ctx, &cfg, out);
}

void clbb_model_destroy(clbb_model *m) {
    if (!m) return;
    clbb__plan_free(m);
    graph_free(&m->g);
    free(m);
}

const graph *clbb__model_graph(const clbb_model *m) { return &m->g; }

void clbb__model_weights_changed(clbb_model *m) {
    m->weights_ready = 1;
    clbb__plan_free(m);
}

int64_t clbb_model_num_params(const clbb_model *m) {
    if (!m) return 0;
    int64_t n = 0;
    for (int i = 0; i < m->g.num_params; i++) {
        param_role r = m->g.params[i].role;
        if (r == ROLE_CONV_WEIGHT || r == ROLE_CONV_BIAS || r == ROLE_NORM_WEIGHT ||
            r == ROLE_NORM_BIAS || r == ROLE_LINEAR_WEIGHT || r == ROLE_UNIFORM || r == ROLE_GAMMA)
            n += (int64_t)m->g.params[i].numel;
    }
    return n;
}

int clbb_model_num_outputs(const clbb_model *m) { return m ? m->g.num_outputs : 0; }

static clbb_status need_weights(clbb_model *m) {
    if (!m->weights_ready)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_STATE,
                          "model has no weights: call clbb_model_load_weights or "
                          "clbb_model_init_weights first");
    return CLBB_OK;
}

clbb_status clbb_model_plan(clbb_model *m, clbb_shape input) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    CLBB_CHECK(need_weights(m));
    return clbb__done(m->ctx, clbb__plan_build(m, input));
}

const char *clbb_precision_name(clbb_precision p) {
    switch (p) {
    case CLBB_PRECISION_FP32: return "fp32";
    case CLBB_PRECISION_FP16: return "fp16";
    case CLBB_PRECISION_TF32X3: return "tf32x3";
    case CLBB_PRECISION_TF32: return "tf32";
    }
    return NULL;
}

clbb_status clbb_precision_parse(const char *name, clbb_precision *p) {
    if (!name || !p) return CLBB_ERR_INVALID_ARGUMENT;
    for (int i = 0; i < CLBB_PRECISION_COUNT; i++)
        if (!strcmp(name, clbb_precision_name((clbb_precision)i))) {
            *p = (clbb_precision)i;
            return CLBB_OK;
        }
    return CLBB_ERR_INVALID_ARGUMENT;
}

clbb_status clbb_model_set_precision(clbb_model *m, clbb_precision p) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!clbb_precision_name(p))
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "set_precision: precision = %d",
                          (int)p);
    m->precision = p;
    m->dtype = p == CLBB_PRECISION_FP16 ? CLBB_DTYPE_F16 : CLBB_DTYPE_F32;
    clbb__precision_resolve(m->ctx, p, &m->prec);
    clbb__plan_free(m);
    return clbb__done(m->ctx, CLBB_OK);
}

/* The math a precision asks its convolutions for. */
static clbb_math math_of(clbb_precision p) {
    switch (p) {
    case CLBB_PRECISION_TF32X3: return CLBB_MATH_TF32X3;
    case CLBB_PRECISION_TF32: return CLBB_MATH_TF32;
    case CLBB_PRECISION_FP16: return CLBB_MATH_FP16;
    default: return CLBB_MATH_FP32;
    }
}

void clbb__precision_resolve(clbb_context *ctx, clbb_precision p, clbb_precision_info *info) {
    *info = (clbb_precision_info){p, p, math_of(p), 0, ""};
    if (p == CLBB_PRECISION_FP32) return;
    /* nearest at least as accurate: TF32 -> TF32X3 -> FP32 (3xTF32 needs
     * the same units as TF32, but a device may one day have one only) */
    if (p == CLBB_PRECISION_TF32 && !clbb_context_has_math(ctx, CLBB_MATH_TF32))
        info->effective = CLBB_PRECISION_TF32X3, info->math = CLBB_MATH_TF32X3;
    if (info->effective == CLBB_PRECISION_TF32X3 &&
        !clbb_context_has_math(ctx, CLBB_MATH_TF32X3))
        info->effective = CLBB_PRECISION_FP32, info->math = CLBB_MATH_FP32;
    /* fp16 keeps its half storage; fp32 products instead of half ones are
     * as accurate or more */
    if (p == CLBB_PRECISION_FP16 && !clbb_context_has_math(ctx, CLBB_MATH_FP16))
        info->math = CLBB_MATH_FP32;
    if (info->math == math_of(p)) return;
    info->fallback = 1;
    clbb_device_info di;
    if (clbb_context_device_info(ctx, &di) != CLBB_OK) di.device_name[0] = 0;
    const char *e = getenv("CLBB_MMA");
    const char *why = e && !strcmp(e, "0") ? "tensor cores turned off by CLBB_MMA=0"
                      : p == CLBB_PRECISION_FP16 ? "no fp16 tensor cores on this device"
                                                 : "no tensor cores on this device";
    snprintf(info->note, sizeof info->note, "%s%s%s%s", why, di.device_name[0] ? ": " : "",
             di.device_name,
             p == CLBB_PRECISION_FP16 ? "; half storage, fp32 products (as accurate or more)"
             : info->effective == CLBB_PRECISION_FP32 ? "; strict fp32 (more accurate)"
                                                      : "; 3xTF32 (more accurate)");
}

clbb_status clbb_precision_resolve(clbb_context *ctx, clbb_precision p, clbb_precision_info *info) {
    if (!ctx) return CLBB_ERR_INVALID_ARGUMENT;
    if (!info) return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "precision_resolve: info is NULL");
    if (!clbb_precision_name(p))
        return clbb__fail(ctx, CLBB_ERR_INVALID_ARGUMENT, "precision_resolve: precision = %d",
                          (int)p);
    clbb__precision_resolve(ctx, p, info);
    return clbb__done(ctx, CLBB_OK);
}

clbb_status clbb_model_precision_info(const clbb_model *m, clbb_precision_info *info) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!info)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "precision_info: info is NULL");
    *info = m->prec;
    return CLBB_OK;
}

clbb_status clbb_model_output_shape(const clbb_model *m, int index, clbb_shape *shape) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!shape) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "output_shape: shape is NULL");
    if (!m->p.valid)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_STATE, "model is not planned for an input shape");
    if (index < 0 || index >= m->g.num_outputs)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "output index %d outside 0..%d", index,
                          m->g.num_outputs - 1);
    *shape = m->g.values[m->g.outputs[index]].shape;
    return clbb__done(m->ctx, CLBB_OK);
}

clbb_status clbb_model_forward(clbb_model *m, clbb_shape shape, const float *input) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!input) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "forward: input is NULL");
    CLBB_CHECK(need_weights(m));
    CLBB_CHECK(clbb__plan_build(m, shape));
    clbb_tensor *in = m->p.values[m->g.input];
    CLBB_CHECK(clbb_tensor_write_f32(m->ctx, in, input, clbb_shape_numel(shape)));
    return clbb__done(m->ctx, clbb__plan_run(m));
}

clbb_status clbb_model_forward_tensor(clbb_model *m, const clbb_tensor *input) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!input) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "forward: input is NULL");
    CLBB_CHECK(need_weights(m));
    clbb_shape s = clbb_tensor_shape(input);
    /* replanning frees the plan's buffers: an input living in one of them
     * (an output of the last forward) would be read after the free */
    const plan *p = &m->p;
    if (p->valid && !clbb__shape_eq(p->input, s))
        for (int k = 0; k < p->num_slots; k++)
            if (clbb_tensor_buffer(input) == p->slots[k])
                return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT,
                                  "forward: the input is one of this model's own tensors, of a "
                                  "shape other than the planned one (copy it out first)");
    CLBB_CHECK(clbb__plan_build(m, s));
    clbb_tensor *in = m->p.values[m->g.input];
    if (clbb_tensor_dtype(input) == m->dtype) {
        CLBB_CHECK(clbb_tensor_copy(m->ctx, input, in)); /* a buffer copy if it can */
    } else {
        if (!m->p.input_copy) {
            clbb_op_options o;
            clbb__plan_options(m, &o);
            CLBB_CHECK(clbb_copy_create(m->ctx, &o, &m->p.input_copy));
            CLBB_CHECK(clbb_op_reshape(m->p.input_copy, s, NULL));
        }
        CLBB_CHECK(clbb_op_setup(m->p.input_copy, &input, 1, in));
        CLBB_CHECK(clbb_op_run(m->p.input_copy));
    }
    return clbb__done(m->ctx, clbb__plan_run(m));
}

clbb_status clbb_model_output(const clbb_model *m, int index, const clbb_tensor **out) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!out) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "output: out is NULL");
    clbb_shape s;
    CLBB_CHECK(clbb_model_output_shape(m, index, &s));
    *out = m->p.values[m->g.outputs[index]];
    return clbb__done(m->ctx, CLBB_OK);
}

clbb_status clbb_model_read_output(clbb_model *m, int index, float *data, size_t count) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    const clbb_tensor *t;
    CLBB_CHECK(clbb_model_output(m, index, &t));
    return clbb_tensor_read_f32(m->ctx, t, data, count);
}

clbb_status clbb_model_memory_usage(const clbb_model *m, clbb_model_memory *mem) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!mem) return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "memory_usage: mem is NULL");
    if (!m->p.valid)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_STATE, "model is not planned for an input shape");
    *mem = m->p.mem;
    return clbb__done(m->ctx, CLBB_OK);
}

clbb_status clbb_model_forward_reference(clbb_model *m, clbb_shape shape, const float *input,
                                         float **outputs, clbb_shape *shapes) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!input || !outputs || !shapes)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "forward_reference: NULL argument");
    CLBB_CHECK(need_weights(m));
    if (clbb_shape_numel(shape) == 0)
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "forward_reference: empty shape");
    char msg[512];
    /* inference on the graph's own copy: a plan keeps its shapes */
    clbb_shape planned = m->p.valid ? m->p.input : shape;
    clbb_status st = graph_infer(&m->g, shape, msg, sizeof msg);
    if (st == CLBB_OK) st = graph_forward_reference(&m->g, input, outputs, msg, sizeof msg);
    if (st == CLBB_OK)
        for (int i = 0; i < m->g.num_outputs; i++) shapes[i] = m->g.values[m->g.outputs[i]].shape;
    if (m->p.valid) graph_infer(&m->g, planned, NULL, 0);
    if (st != CLBB_OK) return clbb__fail(m->ctx, st, "%s", msg);
    return clbb__done(m->ctx, CLBB_OK);
}

clbb_status clbb_model_set_conv_algo(clbb_model *m, clbb_conv_algo algo) {
    if (!m) return CLBB_ERR_INVALID_ARGUMENT;
    if (!clbb_conv_algo_name(algo))
        return clbb__fail(m->ctx, CLBB_ERR_INVALID_ARGUMENT, "set_conv_algo: algo = %d", (int)algo);
    m->conv_algo = algo;
    clbb__plan_free(m);
    return clbb__done(m->ctx, CLBB_OK);
}
