/* Where a config's text becomes the backbone's cJSON tree: JSON or the
 * Python-literal form (config_pyliteral.c), errors with line, column and
 * text, and the choice of the backbone inside a whole model / detector
 * config. The tree then goes through the one parser of config_json.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "config_internal.h"
#include "config_pyliteral.h"
#include "core/internal.h"

#define CONFIG_FILE_MAX ((long)64 << 20)

/* Text that only a Python reader could mean: a quote other than '"', a
 * comment, a call or keyword, a name other than true/false/null. Decides
 * whose error to show when neither reader accepts the text. */
static int python_flavoured(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (c == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\') i++;
        } else if (c == '\'' || c == '#' || c == '(' || c == '=') {
            return 1;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
            size_t k = i;
            while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                             (s[k] >= '0' && s[k] <= '9') || s[k] == '_'))
                k++;
            const size_t len = k - i;
            if (!((len == 4 && !memcmp(s + i, "true", 4)) || (len == 5 && !memcmp(s + i, "false", 5)) ||
                  (len == 4 && !memcmp(s + i, "null", 4))))
                return 1;
            i = k - 1;
        }
    }
    return 0;
}

static clbb_status json_error(const char *text, size_t length, size_t at, const char *what,
                              char *err, size_t n) {
    int line, col;
    char near[64];
    clbb__text_position(text, length, at, &line, &col);
    clbb__text_excerpt(text, length, at, 0, near, sizeof near);
    return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                          "config JSON is malformed at line %d, column %d (byte %zu)%s%s: `%s`",
                          line, col, at, what ? ": " : "", what ? what : "", near);
}

/* cJSON reports an error at the end of its input on the last byte: one
 * more byte moves it there only if the text ended too early. */
static int json_ends_early(const char *text, size_t length) {
    char *probe = malloc(length + 2);
    if (!probe) return 0;
    memcpy(probe, text, length);
    probe[length] = '\x01';
    probe[length + 1] = '\0';
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(probe, length + 1, &end, 0);
    const int early = !v && end == probe + length;
    cJSON_Delete(v);
    free(probe);
    return early;
}

/* JSON, else the Python form; *root is the whole tree. */
static clbb_status read_tree(const char *text, size_t length, cJSON **root, int *module,
                             clbb_config_info *info, char *err, size_t n) {
    const char *end = NULL;
    size_t json_at = 0;
    const char *json_what = NULL;
    *module = 0;
    *root = cJSON_ParseWithLengthOpts(text, length, &end, 0);
    if (*root) {
        /* cJSON stops after the first value; Python's json.loads calls the
         * rest "Extra data". Trailing NULs are allowed for callers passing a
         * buffer size. */
        for (const char *q = end; q && q < text + length; q++) {
            if (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == '\0') continue;
            cJSON_Delete(*root);
            *root = NULL;
            json_at = (size_t)(q - text);
            json_what = "extra data after the object";
            break;
        }
        if (*root) return CLBB_OK;
    } else {
        json_at = end && end >= text && end <= text + length ? (size_t)(end - text) : 0;
    }
    /* Not JSON: the Python form, as MMDetection writes configs. */
    char py_err[512] = "";
    size_t py_at = 0; /* where the Python reader failed (unused: its message has it) */
    if (clbb__pyliteral_parse(text, length, root, module, &py_at, py_err, sizeof py_err) ==
        CLBB_OK) {
        if (info) info->python_literal = 1;
        return CLBB_OK;
    }
    if (python_flavoured(text, length))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG, "config (Python literal) %s", py_err);
    /* cJSON puts an error at the end of the input on its last byte; the
     * Python reader, failing at the end too, tells that the text ended. */
    size_t last = length;
    while (last > 0 && (text[last - 1] == '\0' || text[last - 1] == ' ' ||
                        text[last - 1] == '\n' || text[last - 1] == '\t' || text[last - 1] == '\r'))
        last--;
    if (!json_what && last > 0 && json_at == last - 1 && json_ends_early(text, last)) {
        json_at = last;
        json_what = "the text ends before the value is complete";
    }
    return json_error(text, length, json_at, json_what, err, n);
}

static int is_clbb_backbone(const cJSON *obj) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    static const char *const types[] = {"ResNet", "ResNetV1d", "ResNeXt", "GhostNet"};
    if (!cJSON_IsString(t)) return 0;
    for (size_t i = 0; i < CLBB_ARRAY_SIZE(types); i++)
        if (strcmp(t->valuestring, types[i]) == 0) return 1;
    return 0;
}

/* The names a Python config file assigns, for a message. */
static void list_names(const cJSON *obj, char *buf, size_t size) {
    buf[0] = '\0';
    for (const cJSON *e = obj->child; e; e = e->next)
        clbb__strlcatf(buf, size, "%s%s", e == obj->child ? "" : ", ", e->string);
}

/* The backbone dict of the tree: the tree itself, `backbone = ...`, or the
 * `backbone` of a model / detector dict (with a note saying so). */
static clbb_status pick_backbone(const cJSON *root, int module, const cJSON **out,
                                 clbb_config_info *info, char *err, size_t n) {
    const cJSON *m = root;
    const char *where = "the config";
    if (module) {
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
        const cJSON *backbone = cJSON_GetObjectItemCaseSensitive(root, "backbone");
        if (model) {
            m = model;
            where = "model";
        } else if (backbone) {
            m = backbone;
            where = "backbone";
        } else if (!cJSON_GetObjectItemCaseSensitive(root, "type")) {
            char names[256];
            list_names(root, names, sizeof names);
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                                  "config (Python literal): the file assigns %s but neither "
                                  "'model' nor 'backbone' (give model = dict(...) or backbone "
                                  "= dict(...))",
                                  names);
        }
        /* else: lines `type='ResNet',` `depth=50,` ... copied out of a dict */
    } else if (cJSON_IsObject(root) && !cJSON_GetObjectItemCaseSensitive(root, "type") &&
               cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "model"))) {
        m = cJSON_GetObjectItemCaseSensitive(root, "model"); /* a whole config, as JSON */
        where = "model";
    }
    if (m != root && !cJSON_IsObject(m))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG, "'%s' must be a dict", where);
    const cJSON *bb = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, "backbone") : NULL;
    if (bb && !is_clbb_backbone(m)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
        const char *path = strcmp(where, "model") == 0 ? "model.backbone" : "backbone";
        if (!cJSON_IsObject(bb))
            return clbb__fail_buf(err, n, CLBB_ERR_CONFIG, "'%s' must be a dict", path);
        if (info) {
            info->from_detector = 1;
            if (cJSON_IsString(t))
                snprintf(info->note, sizeof info->note,
                         "using %s of '%.64s' (the rest of the model config is not read)", path,
                         t->valuestring);
            else
                snprintf(info->note, sizeof info->note,
                         "using %s (the rest of the model config is not read)", path);
        }
        m = bb;
        where = path;
    } else if (strcmp(where, "model") == 0 && !is_clbb_backbone(m) &&
               cJSON_GetObjectItemCaseSensitive(m, "type")) {
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "'model' has no 'backbone': give model = dict(..., backbone="
                              "dict(type='ResNet', ...)) or the backbone dict itself");
    }
    /* An inherited config (`_base_ = [...]`, `model = dict(backbone=dict(
     * depth=101))`) holds only the changes: mmengine merges it. */
    const cJSON *base = module ? cJSON_GetObjectItemCaseSensitive(root, "_base_") : NULL;
    if (base && cJSON_IsObject(m) && !cJSON_GetObjectItemCaseSensitive(m, "type"))
        return clbb__fail_buf(err, n, CLBB_ERR_CONFIG,
                              "config (Python literal): %s has no 'type': the file inherits "
                              "from _base_ and holds only changes; clbb reads one file, so "
                              "give the merged backbone (python3 -c \"from mmengine import "
                              "Config; print(Config.fromfile('FILE').model.backbone)\")",
                              where);
    *out = m;
    return CLBB_OK;
}

clbb_status clbb_model_config_parse(const char *text, size_t length, clbb_model_config *config,
                                    clbb_config_info *info, char *errbuf, size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (info) memset(info, 0, sizeof *info);
    if (!text || !config)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_model_config_parse: text and config must not be NULL");
    if (length == 0)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_CONFIG,
                              "config JSON is malformed: the text is empty");
    /* A UTF-8 byte order mark, as Windows editors write (Python skips it). */
    if (length >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3;
        length -= 3;
    }
    size_t blank = 0;
    while (blank < length && strchr(" \t\r\n", text[blank]) && text[blank]) blank++;
    while (blank < length && text[blank] == '\0') blank++;
    if (blank == length)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_CONFIG,
                              "config JSON is malformed: the text is empty (white space only)");
    cJSON *root = NULL;
    int module = 0;
    clbb_config_info local;
    memset(&local, 0, sizeof local);
    clbb_status st = read_tree(text, length, &root, &module, &local, errbuf, errbuf_size);
    if (st != CLBB_OK) return st;
    const cJSON *backbone = NULL;
    st = pick_backbone(root, module, &backbone, &local, errbuf, errbuf_size);
    if (st == CLBB_OK) st = clbb__config_parse_tree(backbone, config, errbuf, errbuf_size);
    cJSON_Delete(root);
    /* The info also on a failure: "using model.backbone" explains which
     * dict a message is about. */
    if (info) *info = local;
    return st;
}

clbb_status clbb_model_config_parse_json(const char *json, size_t length,
                                         clbb_model_config *config, char *errbuf,
                                         size_t errbuf_size) {
    if (!json || !config) {
        if (errbuf && errbuf_size) errbuf[0] = '\0';
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_model_config_parse_json: json and config must not be NULL");
    }
    return clbb_model_config_parse(json, length, config, NULL, errbuf, errbuf_size);
}

clbb_status clbb_model_config_load(const char *path, clbb_model_config *config,
                                   clbb_config_info *info, char *errbuf, size_t errbuf_size) {
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (info) memset(info, 0, sizeof *info);
    if (!path || !config)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_INVALID_ARGUMENT,
                              "clbb_model_config_load: path and config must not be NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "cannot open '%s': %s", path,
                              strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "'%s' is not a regular file",
                              path);
    }
    if (sb.st_size > CONFIG_FILE_MAX) {
        fclose(f);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_CONFIG,
                              "'%s' is larger than 64 MiB: not a config", path);
    }
    size_t size = (size_t)sb.st_size;
    char *text = malloc(size + 1);
    if (!text) {
        fclose(f);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_OUT_OF_MEMORY,
                              "out of memory reading '%s'", path);
    }
    size_t got = fread(text, 1, size, f);
    const int bad = ferror(f) || got != size;
    fclose(f);
    if (bad) {
        free(text);
        return clbb__fail_buf(errbuf, errbuf_size, CLBB_ERR_IO, "error reading '%s'", path);
    }
    char msg[768];
    clbb_status st = clbb_model_config_parse(text, size, config, info, msg, sizeof msg);
    free(text);
    if (st != CLBB_OK) return clbb__fail_buf(errbuf, errbuf_size, st, "%s: %s", path, msg);
    return CLBB_OK;
}
