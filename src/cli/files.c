/* Checks that the files a command will write can be written, before its
 * work runs: a bad --output, --json or --out fails in a moment, not after
 * a long forward, tune or benchmark. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The directory part of `path` ("." when it has none) into buf. */
static void parent_of(const char *path, char *buf, size_t size) {
    snprintf(buf, size, "%s", path);
    char *end = buf + strlen(buf);
    while (end > buf + 1 && end[-1] == '/') *--end = '\0'; /* trailing slashes */
    char *slash = strrchr(buf, '/');
    if (!slash) snprintf(buf, size, ".");
    else if (slash == buf) buf[1] = '\0';
    else *slash = '\0';
}

/* An existing directory that a file can be created in. */
static int dir_ok(const char *opt, const char *what, const char *dir) {
    struct stat sb;
    if (stat(dir, &sb))
        return cli_error(CLI_USAGE, "%s: cannot write '%s': %s: %s", opt, what, dir,
                         strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return cli_error(CLI_USAGE, "%s: cannot write '%s': '%s' is not a directory", opt, what,
                         dir);
    if (access(dir, W_OK | X_OK))
        return cli_error(CLI_USAGE, "%s: cannot write '%s': directory '%s': %s", opt, what, dir,
                         strerror(errno));
    return CLI_OK;
}

int cli_check_writable_file(const char *opt, const char *path) {
    struct stat sb;
    if (!stat(path, &sb)) {
        if (S_ISDIR(sb.st_mode))
            return cli_error(CLI_USAGE, "%s: cannot write '%s': it is a directory", opt, path);
        if (access(path, W_OK))
            return cli_error(CLI_USAGE, "%s: cannot write '%s': %s", opt, path, strerror(errno));
        return CLI_OK;
    }
    if (errno != ENOENT)
        return cli_error(CLI_USAGE, "%s: cannot write '%s': %s", opt, path, strerror(errno));
    char dir[1024];
    parent_of(path, dir, sizeof dir);
    return dir_ok(opt, path, dir);
}

int cli_check_writable_dir(const char *opt, const char *path) {
    if (strlen(path) >= 1024)
        return cli_error(CLI_USAGE, "%s: the path '%.40s...' is too long", opt, path);
    /* the directory, or the nearest ancestor that exists (what mkdir -p
     * will create the rest in) */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    struct stat sb;
    while (stat(dir, &sb) && (errno == ENOENT || errno == ENOTDIR)) {
        char up[1024];
        parent_of(dir, up, sizeof up);
        if (!strcmp(up, dir)) break;
        memcpy(dir, up, sizeof dir);
    }
    return dir_ok(opt, path, dir);
}
