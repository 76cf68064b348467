#!/bin/sh
# Quick start on Debian 12: installs what the build needs (sudo only when not
# root; apt lists fetched when missing; nothing when all is installed),
# builds into build/, lists the OpenCL devices and runs a ResNet-50 forward
# on the image shipped in examples/data/, printing the feature shapes and
# statistics and drawing the feature maps into build/features.png.
# Idempotent: run it again after a pull to rebuild and rerun.
# Usage: sh scripts/quickstart.sh [--test-tools]
#   --test-tools  also install the tools of the reliability and docs tests
#                 (valgrind, oclgrind, clang, doxygen, ...; see scripts/deps.sh)
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh

pkgs=$CLBB_BUILD_PKGS
case "${1:-}" in
    "") ;;
    --test-tools) pkgs="$CLBB_BUILD_PKGS $CLBB_TEST_PKGS" ;;
    *) echo "usage: sh scripts/quickstart.sh [--test-tools]" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
clbb_install_pkgs $pkgs

[ -f build/build.ninja ] || meson setup build
ninja -C build

./build/clbb devices
./build/clbb run --arch resnet50 --image examples/data/demo.jpg --visualize build/features.png
echo "feature maps drawn in build/features.png"
