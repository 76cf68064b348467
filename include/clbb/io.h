/**
 * @file clbb/io.h
 * @brief File formats: NumPy .npy tensors and .safetensors weight files.
 *
 * Both parsers are written for untrusted input: every length, offset and
 * shape is checked before use, and a failure leaves nothing allocated.
 * Functions take an optional error buffer (NULL or size 0: no message) that
 * receives a message naming the file, key or byte offset. Writers write a
 * temporary file next to the target and rename it over the target, so a
 * failure leaves no partial file. All functions are thread-safe (no context,
 * no global state).
 */
#ifndef CLBB_IO_H
#define CLBB_IO_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most dimensions of a .npy array clbb reads or writes. */
#define CLBB_NPY_MAX_DIMS 8

/** A float32 array read from .npy (any supported dtype is converted). */
typedef struct clbb_npy_array {
    int ndim;                        /**< number of dimensions (0: one element) */
    int64_t dims[CLBB_NPY_MAX_DIMS]; /**< extents, first ndim used */
    float *data; /**< malloc'ed, C order; free with clbb_npy_array_free() */
    int uint8;   /**< 1: the file held uint8 (`|u1`, e.g. image pixels), converted
                      exactly to 0..255; 0: a float dtype */
} clbb_npy_array;

/**
 * Parses .npy bytes (format 1.0, 2.0 or 3.0; little-endian `<f4`, `<f8`,
 * `<f2`, or `|u1`, C order). Every dimension must be >= 1 (a 0-d array is one
 * element). The data must fill the file exactly. Thread-safe.
 * @param bytes  the file's contents.
 * @param length bytes of @p bytes.
 * @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 * @param out zeroed first; on success owns a malloc'ed copy (free with
 *        clbb_npy_array_free()); the input bytes are not kept.
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (out NULL, bytes NULL with a
 *         length); CLBB_ERR_FORMAT (bad magic or version, truncated, a
 *         malformed header, another dtype, Fortran order, a dimension < 1,
 *         too many elements, missing or extra data bytes);
 *         CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_npy_parse(const void *bytes, size_t length, clbb_npy_array *out,
                           char *errbuf, size_t errbuf_size);

/** Reads and parses a .npy file (see clbb_npy_parse(); the message is
 *  prefixed with the path). Thread-safe.
 *  @param path the file.
 *  @param out  as clbb_npy_parse().
 *  @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path or out NULL);
 *          CLBB_ERR_IO (cannot be opened or read, not a regular file);
 *          CLBB_ERR_FORMAT (as clbb_npy_parse()); CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_npy_read(const char *path, clbb_npy_array *out, char *errbuf, size_t errbuf_size);

/** Frees the data of an array read by clbb_npy_* and zeroes it.
 *  @param array the array; NULL: no-op. */
CLBB_API void clbb_npy_array_free(clbb_npy_array *array);

/**
 * Writes a float32 C-order array (`<f4`) as .npy format 1.0 (2.0 when the
 * header needs it), data 64-byte aligned. The file is written to a
 * temporary name and renamed, so a failure leaves no partial file.
 * Thread-safe (two threads must not write the same path).
 * @param path the file.
 * @param ndim 0..CLBB_NPY_MAX_DIMS (0: one element; dims may then be NULL).
 * @param dims @p ndim extents.
 * @param data the product of @p dims floats (not kept).
 * @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path NULL or "", data NULL,
 *         dims NULL with ndim > 0, ndim out of range, a dimension < 1, too
 *         many elements); CLBB_ERR_IO (the temporary file cannot be created,
 *         written, synced or renamed); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_npy_write(const char *path, int ndim, const int64_t *dims, const float *data,
                           char *errbuf, size_t errbuf_size);

/** safetensors element types. */
typedef enum clbb_st_dtype {
    CLBB_ST_F32 = 0,  /**< "F32" */
    CLBB_ST_F16 = 1,  /**< "F16" */
    CLBB_ST_BF16 = 2, /**< "BF16" */
    CLBB_ST_F64 = 3,  /**< "F64" */
    CLBB_ST_I64 = 4,  /**< num_batches_tracked: recognised, never loaded as weights */
    CLBB_ST_OTHER = 5 /**< any other dtype string: an error when loaded */
} clbb_st_dtype;

/** Most dimensions of a safetensors entry clbb reads or writes. */
#define CLBB_ST_MAX_DIMS 8

/** One tensor entry of a safetensors file. Every pointer is owned by the
 *  ::clbb_safetensors it came from and valid until clbb_safetensors_close(). */
typedef struct clbb_st_tensor {
    const char *name;       /**< the key, e.g. "layer1.0.conv1.weight" */
    clbb_st_dtype dtype;    /**< element type */
    const char *dtype_name; /**< as written in the file ("F32", "U8", ...) */
    int ndim;               /**< number of dimensions */
    int64_t shape[CLBB_ST_MAX_DIMS]; /**< extents, first ndim used */
    uint64_t begin;       /**< data_offsets[0], relative to the data section */
    uint64_t end;         /**< data_offsets[1] (one past the last byte) */
    const uint8_t *data;  /**< points into the parsed object's copy of the bytes */
} clbb_st_tensor;

/** Opaque parsed safetensors file. */
typedef struct clbb_safetensors clbb_safetensors;

/**
 * Parses safetensors bytes: 8-byte little-endian header length, a JSON
 * header, then the data section. Checks that the header fits the file, is
 * a JSON object of entries {dtype, shape, data_offsets}, that every entry's
 * byte range matches its shape and dtype, lies inside the data section and
 * overlaps no other entry. The bytes are copied: the caller's buffer may be
 * freed on return. Thread-safe.
 * @param bytes  the file's contents.
 * @param length bytes of @p bytes.
 * @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 * @param out receives the parsed file (NULL on failure); free with
 *        clbb_safetensors_close().
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (out NULL, bytes NULL with a
 *         length); CLBB_ERR_FORMAT (truncated, a header of 10^8 bytes or more,
 *         malformed JSON, a malformed entry or __metadata__, duplicate or
 *         overlapping tensors, a range that does not match its shape and
 *         dtype); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_safetensors_parse(const void *bytes, size_t length, clbb_safetensors **out,
                                   char *errbuf, size_t errbuf_size);

/** Reads and parses a file (see clbb_safetensors_parse(); the message is
 *  prefixed with the path). The file is read into memory once. Thread-safe.
 *  @param path the file.
 *  @param out  receives the parsed file (NULL on failure); free with
 *              clbb_safetensors_close().
 *  @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 *  @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path or out NULL);
 *          CLBB_ERR_IO (cannot be opened or read, not a regular file);
 *          CLBB_ERR_FORMAT (as clbb_safetensors_parse());
 *          CLBB_ERR_OUT_OF_MEMORY. */
CLBB_API clbb_status clbb_safetensors_open(const char *path, clbb_safetensors **out,
                                  char *errbuf, size_t errbuf_size);

/** Frees a parsed file and everything its entries point to.
 *  @param st the file; NULL: no-op. */
CLBB_API void clbb_safetensors_close(clbb_safetensors *st);

/** Number of tensors (the __metadata__ entry is not one).
 *  @param st the file.
 *  @return the count; 0 for NULL. */
CLBB_API size_t clbb_safetensors_count(const clbb_safetensors *st);

/** Tensor @p index, in file order.
 *  @param st    the file.
 *  @param index 0..count-1.
 *  @return the entry, owned by @p st; NULL if out of range or st is NULL. */
CLBB_API const clbb_st_tensor *clbb_safetensors_get(const clbb_safetensors *st, size_t index);

/** Tensor named @p name (exact match, binary search).
 *  @param st   the file.
 *  @param name the key.
 *  @return the entry, owned by @p st; NULL if absent or an argument is NULL. */
CLBB_API const clbb_st_tensor *clbb_safetensors_find(const clbb_safetensors *st, const char *name);

/**
 * Converts a floating tensor (F32, F16, BF16, F64) to float32 (F64 rounds
 * to nearest). @p count must equal the product of its shape; @p dst holds
 * count floats. Thread-safe.
 * @param t     the entry.
 * @param dst   receives @p count floats.
 * @param count the product of the entry's shape.
 * @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (t or its name NULL, dst NULL
 *         with count > 0, data NULL for a non-empty range);
 *         CLBB_ERR_FORMAT (I64 or another non-float dtype, a rank out of
 *         range, a count that does not match the shape, a byte range that
 *         does not match shape and dtype).
 */
CLBB_API clbb_status clbb_st_tensor_to_f32(const clbb_st_tensor *t, float *dst, size_t count,
                                  char *errbuf, size_t errbuf_size);

/** One tensor to write. */
typedef struct clbb_st_write_entry {
    const char *name;                /**< the key */
    int ndim;                        /**< 0..CLBB_ST_MAX_DIMS */
    int64_t shape[CLBB_ST_MAX_DIMS]; /**< extents, first ndim used */
    const float *data;               /**< product of shape floats (not kept) */
} clbb_st_write_entry;

/**
 * Writes F32 tensors as a safetensors file (temporary name, then rename),
 * in the order given, data 8-byte aligned; the same checks as the reader,
 * so every file written reads back. Thread-safe (two threads must not
 * write the same path).
 * @param path    the file.
 * @param entries @p count tensors.
 * @param count   number of entries.
 * @param errbuf,errbuf_size receive the message of a failure (errbuf may be NULL).
 * @return CLBB_OK; CLBB_ERR_INVALID_ARGUMENT (path NULL or "", entries
 *         NULL with count > 0, an entry with a NULL or "__metadata__" name,
 *         a rank out of 0..CLBB_ST_MAX_DIMS, a negative or too large shape,
 *         NULL data for a non-empty tensor, duplicate names);
 *         CLBB_ERR_IO (the temporary file cannot be created, written,
 *         synced or renamed); CLBB_ERR_OUT_OF_MEMORY.
 */
CLBB_API clbb_status clbb_safetensors_write(const char *path, const clbb_st_write_entry *entries,
                                   size_t count, char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif /* CLBB_IO_H */
