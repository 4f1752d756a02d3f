#!/usr/bin/env bash
# Command (b) of the README: install what is missing, build, and run every test (GoogleTest, QTest, pytest,
# end-to-end CLI) through ctest; then the same suite again in the sanitizer configuration (ASan + UBSan, clang) and
# a fixed-size run of every fuzz target (scripts/test_sanitized.sh). MOESCOPE_SKIP_SANITIZED=1 skips that second
# stage, for a quick local run; CI always runs it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOESCOPE_BUILD_DIR:-$root/build}"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh"
(cd "$build" && ctest --output-on-failure -j "${MOESCOPE_JOBS:-$(nproc)}")
if [ "${MOESCOPE_SKIP_SANITIZED:-0}" != 1 ] || [ "${CI:-}" = true ]; then
  "$root/scripts/test_sanitized.sh"
fi
