#!/usr/bin/env bash
# Regenerates validation/reports/traces.md (and validation/reports/synthetic.md, the synthetic routing generator
# against held-out halves) from the real routing traces in ../shared/traces.
# Usage: validation/scripts/traces_report.sh [BUILD_DIR] [SHARED_TRACES_DIR]
#   BUILD_DIR defaults to build (the moescope binary is BUILD_DIR/bin/moescope);
#   SHARED_TRACES_DIR defaults to ../shared/traces next to the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
shared="${2:-$root/../shared/traces}"
bin="$build/bin/moescope"
if [[ ! -x "$bin" ]]; then
  echo "traces_report.sh: $bin not found; build it first (cmake --build $build --target moescope)" >&2
  exit 1
fi
if [[ ! -d "$shared" ]]; then
  echo "traces_report.sh: $shared not found" >&2
  exit 1
fi
"$bin" trace report --shared "$shared" -o "$root/validation/reports/traces.md"
echo "wrote $root/validation/reports/traces.md"
"$bin" trace synth --report "$shared" -o "$root/validation/reports/synthetic.md" && echo "wrote $root/validation/reports/synthetic.md"
