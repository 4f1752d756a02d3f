#!/usr/bin/env bash
# Re-pins the golden headline metrics (tests/golden/headline_metrics.json) from the built CLI
# ($MOESCOPE_BUILD_DIR/bin/moescope, default build/bin/moescope): evaluates every scenarios/*.json, prints the
# changes against the current file (scenario, metric, pinned, now, relative change), keeps existing scenarios in
# their order, appends new ones, drops deleted ones, and writes the file atomically. Review and commit the diff:
# a model change is a reviewed diff of that file. Extra arguments go to tests/golden/check_goldens.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOESCOPE_BUILD_DIR:-$root/build}"
exec /usr/bin/python3 "$root/tests/golden/check_goldens.py" --write --bin "$build/bin/moescope" "$@"
