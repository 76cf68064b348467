# Debian 12 packages clbb needs: the one list that scripts/quickstart.sh and
# .ci/run install, so that the two cannot drift. Sourced (POSIX sh); defines
# variables and functions only.
#
# CLBB_BUILD_PKGS: to build the library, the CLI and the test suites and run
#   them on the CPU through PoCL.
# CLBB_TEST_PKGS: tools of the tests that are skipped without them
#   (sanitizers/valgrind, oclgrind, clang + libFuzzer, clang-15's OpenCL C
#   front end for the clc test, doxygen for the docs test, xmllint, the
#   Python tests).
CLBB_BUILD_PKGS="meson ninja-build gcc pkg-config python3 ocl-icd-opencl-dev opencl-c-headers \
pocl-opencl-icd libclblast-dev libcjson-dev libcriterion-dev libpng-dev libjpeg62-turbo-dev"
CLBB_TEST_PKGS="valgrind oclgrind clang libclang-rt-14-dev clang-15 doxygen libxml2-utils \
python3-numpy python3-opencv python3-pil python3-dask python3-distributed python3-pytest \
python3-torch"

# clbb_install_pkgs PKG...: installs the packages that dpkg does not list as
# installed (nothing, not even apt-get, runs when all are). Uses sudo only
# when not root. Fetches the apt lists first when they were never fetched
# (a fresh container), and once more when an install cannot find a package
# (stale lists).
clbb_install_pkgs() {
    _missing=""
    for _p in "$@"; do
        dpkg-query -W -f='${Status}' "$_p" 2>/dev/null | grep -q "ok installed" ||
            _missing="$_missing $_p"
    done
    [ -n "$_missing" ] || return 0
    _sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "clbb: missing packages:$_missing; run this as root or install sudo" >&2
            return 1
        }
        _sudo="sudo"
    fi
    echo "installing:$_missing"
    if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
        $_sudo apt-get update -qq || return 1
    fi
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq $_missing; then
        $_sudo apt-get update -qq || return 1
        DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq $_missing || return 1
    fi
}
