#!/usr/bin/env bash
# Configures (once) and builds moescope in Release mode into ./build (or $MOESCOPE_BUILD_DIR).
# Incremental: seconds when nothing changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOESCOPE_BUILD_DIR:-$root/build}"
jobs="${MOESCOPE_JOBS:-$(nproc)}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${MOESCOPE_CMAKE_ARGS:-}
fi
cmake --build "$build" -j "$jobs"
