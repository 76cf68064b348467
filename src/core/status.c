/* Status names, the last-error message of a context, OpenCL error names. */
#include <stdio.h>
#include <string.h>

#include "context_impl.h"

const char *clbb_status_string(clbb_status status) {
    static const char *const names[CLBB_STATUS_COUNT] = {
        [CLBB_OK] = "success",
        [CLBB_ERR_INVALID_ARGUMENT] = "invalid argument",
        [CLBB_ERR_INVALID_STATE] = "invalid state",
        [CLBB_ERR_OUT_OF_MEMORY] = "out of host memory",
        [CLBB_ERR_DEVICE_MEMORY] = "out of device memory",
        [CLBB_ERR_DEVICE] = "device error",
        [CLBB_ERR_BUILD] = "program build failed",
        [CLBB_ERR_NO_DEVICE] = "no matching OpenCL device",
        [CLBB_ERR_UNSUPPORTED] = "unsupported",
        [CLBB_ERR_IO] = "input/output error",
        [CLBB_ERR_FORMAT] = "malformed file",
        [CLBB_ERR_CONFIG] = "invalid model configuration",
        [CLBB_ERR_SHAPE] = "shape mismatch",
    };
    if ((int)status < 0 || (int)status >= CLBB_STATUS_COUNT) return "unknown status";
    return names[status];
}

const char *clbb_version(void) { return CLBB_VERSION_STRING; }

static void vformat(char *buf, size_t size, const char *fmt, va_list ap) {
    if (!buf || size == 0) return;
    int n = vsnprintf(buf, size, fmt, ap);
    if (n < 0) buf[0] = '\0';
}

clbb_status clbb__fail(const clbb_context *ctx, clbb_status st, const char *fmt, ...) {
    if (ctx) {
        clbb_context *c = (clbb_context *)ctx; /* the message is mutable: see internal.h */
        va_list ap;
        va_start(ap, fmt);
        vformat(c->error, sizeof c->error, fmt, ap);
        va_end(ap);
    }
    return st;
}

void clbb__fail_append(clbb_context *ctx, const char *fmt, ...) {
    if (!ctx) return;
    size_t n = strlen(ctx->error);
    va_list ap;
    va_start(ap, fmt);
    vformat(ctx->error + n, sizeof ctx->error - n, fmt, ap);
    va_end(ap);
}

clbb_status clbb__done(const clbb_context *ctx, clbb_status st) {
    if (ctx && st == CLBB_OK) ((clbb_context *)ctx)->error[0] = '\0';
    return st;
}

const char *clbb_last_error(const clbb_context *ctx) { return ctx ? ctx->error : ""; }

const char *clbb__cl_error_name(cl_int err) {
    switch (err) {
#define E(x) case x: return #x;
        E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE)
        E(CL_COMPILER_NOT_AVAILABLE) E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY) E(CL_PROFILING_INFO_NOT_AVAILABLE)
        E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH) E(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE) E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) E(CL_COMPILE_PROGRAM_FAILURE)
        E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE) E(CL_DEVICE_PARTITION_FAILED)
        E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE)
        E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
        E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
        E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE)
        E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE)
        E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT)
        E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT) E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY)
        E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS) E(CL_INVALID_LINKER_OPTIONS)
        E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
    }
}

clbb_status clbb__cl_fail(clbb_context *ctx, cl_int err, const char *what) {
    clbb_status st = CLBB_ERR_DEVICE;
    if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_INVALID_BUFFER_SIZE)
        st = CLBB_ERR_DEVICE_MEMORY;
    else if (err == CL_OUT_OF_HOST_MEMORY)
        st = CLBB_ERR_OUT_OF_MEMORY;
    return clbb__fail(ctx, st, "%s: %s (%d)", what, clbb__cl_error_name(err), (int)err);
}
