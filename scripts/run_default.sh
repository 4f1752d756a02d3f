#!/usr/bin/env bash
# Command (a) of the README: install what is missing, build, and evaluate the bundled default scenario
# (DeepSeek-V3 decode on 8 nodes x 8 H100, EP64). Prints a summary and writes build/reports/default.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MOESCOPE_BUILD_DIR:-$root/build}"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh"
mkdir -p "$build/reports"
"$build/bin/moescope" eval "$root/scenarios/default.json" -o "$build/reports/default.json"
echo "moescope: report written to $build/reports/default.json"
