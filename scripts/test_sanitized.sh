#!/usr/bin/env bash
# The sanitizer stage of scripts/test_all.sh (docs/fuzzing.md): a second configuration built with clang 14,
# AddressSanitizer and UndefinedBehaviorSanitizer (every UBSan report fatal), that runs the whole ctest suite but
# the pip install test (which rebuilds the module with its own flags), then every libFuzzer target for a fixed
# number of executions from the committed seeds. The fuzzers link the same sanitized core libraries as the tests, so
# core/ is compiled once for both. Any finding fails the stage.
#   MOESCOPE_SANITIZE_BUILD_DIR  build folder (default ./build-sanitize)
#   MOESCOPE_FUZZ_RUNS           executions per fuzz target (default 20000; 0 skips fuzzing)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOESCOPE_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
jobs="${MOESCOPE_JOBS:-$(nproc)}"
runs="${MOESCOPE_FUZZ_RUNS:-20000}"
compiler="$(command -v clang++-14 || command -v clang++ || true)"
if [ -z "$compiler" ]; then
  echo "moescope: clang++ not found (scripts/install_deps.sh installs clang)" >&2
  exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
  # -O1 with line tables: readable sanitizer reports without -O0's slow tests; no benchmarks, no CUDA programs.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$compiler" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DMOESCOPE_SANITIZE=ON -DMOESCOPE_BUILD_FUZZERS=ON \
    -DMOESCOPE_BUILD_BENCH=OFF -DMOESCOPE_BUILD_CUDA=OFF
fi
cmake --build "$build" -j "$jobs"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0}"
(cd "$build" && ctest --output-on-failure -j "$jobs" -E '^python\.pip_install$')

if [ "$runs" != 0 ]; then
  "$root/fuzz/run_fuzzers.sh" "$build/fuzz" "${runs}runs"
fi
