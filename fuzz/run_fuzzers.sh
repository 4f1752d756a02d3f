#!/usr/bin/env bash
# Runs every fuzzer (trace importers and JSON formats), seeded with the repository's own files of that format and
# any recorded regressions, with a dictionary of the keys those seeds use.
# Usage: fuzz/run_fuzzers.sh [FUZZ_DIR=build-sanitize/fuzz] [BUDGET=60] [TARGETS...]
#        fuzz/run_fuzzers.sh --replay REPLAY_EXE     (ctest: replay the JSON seeds in the ordinary build)
#   BUDGET is seconds per target, or a number of executions per target when written as e.g. 20000runs.
#   FUZZ_DIR holds the fuzz_* executables of the sanitizer configuration (scripts/test_sanitized.sh builds them).
# Crashes, leaks and timeouts go to FUZZ_DIR/crashes/<target>/; once fixed, copy each into
# tests/data/fuzz-regressions/<target>/ (JSON formats) or tests/data/traces/fuzz-regressions/<importer>/ (traces).
# Exit status 1 when any target found something.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-sanitize/fuzz}"
budget="${2:-60}"
shift 2 2>/dev/null || shift $#
data="$root/tests/data/traces"
traces=(deepseek-csv llama4-json esft olmoe-counts flame-csv switch-counts moescope-binary)
formats=(scenario sweep accelerator system interconnect compute-calibration network-calibration catalog-model
         hf-config validation-suite cuda-measurements calibration-input)
seed() { # target -> seed files
  case "$1" in
    deepseek-csv) ls "$data"/deepseek-chat/prompts/*.gz ;;
    llama4-json) ls "$data"/llama4/*/*.json ;;
    esft) ls "$data"/esft/intent/expert_weights_1.txt.gz "$data"/esft/law/expert_weights_2.txt.gz ;;
    olmoe-counts) find "$data"/olmoe -name '*.json' ;;
    flame-csv) ls "$data"/flame/prefill-batch/Layer_2/*.gz ;;
    switch-counts) ls "$data"/switch/*.json ;;
    moescope-binary) ls "$data"/*.mst ;;
    scenario) ls "$root"/scenarios/*.json "$root"/tests/data/bad/*.json ;;
    sweep) ls "$root"/scenarios/sweeps/*.json ;;
    accelerator) ls "$root"/hwdb/accelerators/*.json ;;
    system) ls "$root"/hwdb/systems/*.json ;;
    interconnect) ls "$root"/hwdb/interconnects/*.json ;;
    compute-calibration) ls "$root"/hwdb/calibrations/*-compute.json ;;
    network-calibration) ls "$root"/hwdb/calibrations/*-network.json ;;
    catalog-model) ls "$root"/models/catalog/*.json ;;
    hf-config) ls "$root"/fuzz/seeds/hf-config/*.json ;;
    validation-suite | calibration-input) ls "$root"/validation/suites/*.json ;;
    cuda-measurements) ls "$root"/tests/data/cuda/*.json ;;
  esac
}
if [[ "$build" == --replay ]]; then
  # ctest's mode: every JSON format's seeds and regressions through the harness of the ordinary build (no clang).
  exe="$budget"
  for format in "${formats[@]}"; do
    regressions=()
    [[ -d "$root/tests/data/fuzz-regressions/$format" ]] && regressions=("$root/tests/data/fuzz-regressions/$format")
    "$exe" "$format" $(seed "$format") "${regressions[@]}" || exit 1
  done
  exit 0
fi
if [[ "$budget" == *runs ]]; then limit=(-runs="${budget%runs}"); else limit=(-max_total_time="$budget"); fi
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${traces[@]}" "${formats[@]}")
# One target: seeds its corpus, runs it, and writes its report to FUZZ_DIR/<target>.report (exit status = the
# fuzzer's), so that several can run at once and still print in order.
fuzz_one() {
  local target="$1"
  local exe="$build/fuzz_${target//-/_}" corpus="$build/corpus/$target" crashes="$build/crashes/$target"
  local report="$build/$target.report" f regressions rc=0
  mkdir -p "$corpus" "$crashes"
  # Seeds: the samples, plain (decompressed) as well as gzip, and any recorded regressions.
  for f in $(seed "$target"); do
    cp "$f" "$corpus/" 2>/dev/null
    case "$f" in *.gz) gzip -dc "$f" > "$corpus/$(basename "${f%.gz}")" ;; esac
  done
  for regressions in "$data/fuzz-regressions/$target" "$root/tests/data/fuzz-regressions/$target"; do
    [[ -d "$regressions" ]] && cp "$regressions"/* "$corpus/" 2>/dev/null
  done
  local dict=()
  if [[ " ${formats[*]} " == *" $target "* ]]; then
    # Every key and string value of the seeds, plus JSON's own tokens.
    cat "$root/fuzz/json.dict" > "$build/$target.dict"
    cat $(seed "$target") | grep -o '"[A-Za-z0-9_./-]*"' | sort -u | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/' \
      >> "$build/$target.dict"
    dict=(-dict="$build/$target.dict")
  fi
  "$exe" "$corpus" "${limit[@]}" "${dict[@]}" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$crashes/" -print_final_stats=1 2>"$build/$target.log" || rc=$?
  {
    echo "== $target: $budget"
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY" "$build/$target.log" | head -5
    ls "$crashes"
    if [[ $rc -ne 0 ]]; then
      echo "-- $target exited $rc; the end of $build/$target.log:"
      tail -n 15 "$build/$target.log"
    fi
  } > "$report"
  return $rc
}

# MOESCOPE_JOBS targets at a time (default: the number of cores).
parallel="${MOESCOPE_JOBS:-$(nproc)}"
declare -A pid_of=()
for target in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
  fuzz_one "$target" &
  pid_of[$target]=$!
done
status=0
failed=()
for target in "${targets[@]}"; do
  wait "${pid_of[$target]}" || { status=1; failed+=("$target"); }
  cat "$build/$target.report"
done
echo "fuzz: ${#targets[@]} targets at $budget each, $(( ${#targets[@]} - ${#failed[@]} )) clean, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}"
exit $status
