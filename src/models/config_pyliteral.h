/* MMDetection's Python-literal config form translated to the cJSON tree the
 * JSON path reads (config_pyliteral.c), and the text positions both paths
 * quote in their errors. */
#ifndef CLBB_MODELS_CONFIG_PYLITERAL_H
#define CLBB_MODELS_CONFIG_PYLITERAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "clbb/status.h"

/* Parses @p text as Python literals: one expression (dict(...), {...},
 * [...], (...), strings, numbers, True/False/None), optionally written as
 * `NAME=expr` with a trailing comma, or a file of `NAME = expr` assignments.
 * On success *out is the tree (the caller deletes it) and *module is 1 when
 * the text was assignments: then *out is an object from each NAME to its
 * value (a later assignment replaces an earlier one, as in Python). On
 * failure *out is NULL, *fail_at the byte offset of the error, and @p err
 * says "line L, column C: what: `text`". */
clbb_status clbb__pyliteral_parse(const char *text, size_t length, cJSON **out, int *module,
                                  size_t *fail_at, char *err, size_t err_size);

/* 1-based line and column (in characters) of byte @p at of @p text. */
void clbb__text_position(const char *text, size_t length, size_t at, int *line, int *col);

/* The text at byte @p at up to the end of its line (at most @p span bytes
 * when span > 0, else about 40), with control bytes shown as '?'; "the end
 * of the text" at the end. */
void clbb__text_excerpt(const char *text, size_t length, size_t at, size_t span, char *buf,
                        size_t size);

#endif
