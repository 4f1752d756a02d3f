#!/usr/bin/env bash
# Command (b) of the README: install what is missing, build, and run every test (GoogleTest, QTest, pytest,
# end-to-end CLI) through ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOESCOPE_BUILD_DIR:-$root/build}"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${MOESCOPE_JOBS:-$(nproc)}"
