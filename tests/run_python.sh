#!/bin/sh
# Runs a Python test of the clbb package with a python3 that has what it
# needs: /usr/bin/python3 (Debian's, with python3-numpy, python3-pytest,
# python3-dask...) first, else python3 on PATH; skipped (exit 77) when none.
# Usage: run_python.sh SOURCE_DIR BUILD_DIR MODULES -- COMMAND ARGS...
#   MODULES: comma-separated imports the test needs (numpy,pytest)
#   COMMAND ARGS: run with that python ("-m pytest -q FILE", "FILE ...")
set -u
SRC=$1
B=$2
MODS=$3
shift 4
PY=""
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import $MODS" >/dev/null 2>&1; then
        PY=$p
        break
    fi
done
if [ -z "$PY" ]; then
    echo "SKIP: no python3 with $MODS (Debian: apt-get install python3-numpy python3-pytest ...)"
    exit 77
fi
export CLBB_LIBRARY="$B/libclbb.so" CLBB_CLI="$B/clbb" CLBB_SOURCE_DIR="$SRC"
export PYTHONPATH="$SRC/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
cd "$B" || exit 1
# shellcheck disable=SC2068
exec "$PY" "$@"
