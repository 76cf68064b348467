/**
 * @file clbb/status.h
 * @brief Status codes returned by every fallible clbb call.
 *
 * Every function that can fail returns a ::clbb_status. The short static text
 * of a code comes from clbb_status_string(); the detailed message of the last
 * failure on a context (OpenCL error name, build log, file, key or argument
 * name) comes from clbb_last_error(), and functions without a context (io,
 * config parsing) write it into the caller's error buffer.
 *
 * A failed OpenCL call maps to CLBB_ERR_DEVICE, except that
 * CL_MEM_OBJECT_ALLOCATION_FAILURE and CL_INVALID_BUFFER_SIZE map to
 * CLBB_ERR_DEVICE_MEMORY and CL_OUT_OF_HOST_MEMORY to CLBB_ERR_OUT_OF_MEMORY;
 * so any call documented with CLBB_ERR_DEVICE for a transfer or an enqueue can
 * also return those two when the driver reports them.
 */
#ifndef CLBB_STATUS_H
#define CLBB_STATUS_H

/** Marks a public function: exported from the shared library, whose other
 *  symbols are hidden. */
#if defined(_WIN32) && defined(CLBB_BUILDING)
#define CLBB_API __declspec(dllexport)
#elif defined(__GNUC__)
#define CLBB_API __attribute__((visibility("default")))
#else
#define CLBB_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Result of a clbb call. CLBB_OK is zero; every error is positive. */
typedef enum clbb_status {
    CLBB_OK = 0, /**< Success. */
    /** An API argument is NULL, out of range or inconsistent. */
    CLBB_ERR_INVALID_ARGUMENT = 1,
    /** A call came in the wrong order or on an object not ready for it
     *  (an op run before reshape/setup, a model without weights or not
     *  planned, a context without profiling for a timing call). */
    CLBB_ERR_INVALID_STATE = 2,
    /** Host memory allocation failed (or OpenCL's CL_OUT_OF_HOST_MEMORY). */
    CLBB_ERR_OUT_OF_MEMORY = 3,
    /** A device allocation failed, or the work does not fit the device
     *  (larger than its max allocation or global memory). */
    CLBB_ERR_DEVICE_MEMORY = 4,
    /** An OpenCL call failed (enqueue, read, write, finish, kernel creation;
     *  CLBlast's SGEMM). */
    CLBB_ERR_DEVICE = 5,
    /** An OpenCL program failed to build; the build log is in the last error. */
    CLBB_ERR_BUILD = 6,
    /** No OpenCL platform or device matches the selector. */
    CLBB_ERR_NO_DEVICE = 7,
    /** The request is valid but not implemented by clbb (a conv algorithm
     *  that does not apply, a strided layout an op does not read, a shape
     *  beyond a kernel's 32-bit indexing, an MMDetection option clbb lacks). */
    CLBB_ERR_UNSUPPORTED = 8,
    /** A file could not be opened, read or written. */
    CLBB_ERR_IO = 9,
    /** A file (npy, safetensors, JSON) is malformed or does not match the model. */
    CLBB_ERR_FORMAT = 10,
    /** A model configuration value is invalid (the argument is named). */
    CLBB_ERR_CONFIG = 11,
    /** Tensor shapes do not agree with the operation. */
    CLBB_ERR_SHAPE = 12,
} clbb_status;

/** Number of status codes (for tables). */
#define CLBB_STATUS_COUNT 13

/**
 * Static, human-readable name of a status code ("invalid argument", ...).
 * Thread-safe.
 * @param status any value, valid or not.
 * @return a static string, never NULL (not to be freed); "unknown status"
 *         for a value that is no ::clbb_status.
 */
CLBB_API const char *clbb_status_string(clbb_status status);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_STATUS_H */
