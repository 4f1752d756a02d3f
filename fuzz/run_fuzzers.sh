#!/usr/bin/env bash
# Runs every trace importer's fuzzer for a bounded time, seeded with the bundled samples.
# Usage: fuzz/run_fuzzers.sh [BUILD_DIR=build-fuzz] [SECONDS_PER_IMPORTER=60]
# Crashes, leaks and timeouts are written to BUILD_DIR/crashes/<importer>/; copy each into
# tests/data/traces/fuzz-regressions/<importer>/ once fixed.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-fuzz}"
seconds="${2:-60}"
data="$root/tests/data/traces"
seed() { # importer -> seed files
  case "$1" in
    deepseek-csv) ls "$data"/deepseek-chat/prompts/*.gz ;;
    llama4-json) ls "$data"/llama4/*/*.json ;;
    esft) ls "$data"/esft/intent/expert_weights_1.txt.gz "$data"/esft/law/expert_weights_2.txt.gz ;;
    olmoe-counts) find "$data"/olmoe -name '*.json' ;;
    flame-csv) ls "$data"/flame/prefill-batch/Layer_2/*.gz ;;
    switch-counts) ls "$data"/switch/*.json ;;
    moescope-binary) ls "$data"/*.mst ;;
  esac
}
status=0
for importer in deepseek-csv llama4-json esft olmoe-counts flame-csv switch-counts moescope-binary; do
  exe="$build/fuzz_${importer//-/_}"
  corpus="$build/corpus/$importer"
  crashes="$build/crashes/$importer"
  mkdir -p "$corpus" "$crashes"
  # Seeds: the samples, plain (decompressed) as well as gzip, and any recorded regressions.
  for f in $(seed "$importer"); do
    cp "$f" "$corpus/" 2>/dev/null
    case "$f" in *.gz) gzip -dc "$f" > "$corpus/$(basename "${f%.gz}")" ;; esac
  done
  [[ -d "$data/fuzz-regressions/$importer" ]] && cp "$data/fuzz-regressions/$importer"/* "$corpus/" 2>/dev/null
  echo "== $importer: ${seconds}s"
  "$exe" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$crashes/" -print_final_stats=1 2>"$build/$importer.log" || status=1
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY" "$build/$importer.log" | head -5
  ls "$crashes"
done
exit $status
