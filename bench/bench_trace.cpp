// Trace benchmarks (targets from the traces issue):
//   BM_ImportAllShared     import every trace in ../shared/traces            target: <= 10 s in total
//   BM_ImportDeepSeekChat  the DeepSeek-V2-Lite chat set (999 gzip CSVs)     (part of the above)
//   BM_LoadBinary          mmap-load the DeepSeek set as .mst + id check      target: >= 1 GB/s
//   BM_StatsDeepSeek       `trace stats` computations over the DeepSeek set  target: <= 2 s
// Benchmarks needing ../shared skip themselves when it is absent; BM_LoadBinarySample uses the bundled sample.
#include <cstdlib>
#include <filesystem>

#include <benchmark/benchmark.h>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace/trace_stats.hpp"

namespace {

using namespace moescope::trace;

std::string shared_traces() {
  if (const char* env = std::getenv("MOESCOPE_SHARED_TRACES")) return env;
#ifdef MOESCOPE_SHARED_DIR
  return std::string(MOESCOPE_SHARED_DIR) + "/traces";
#else
  return "../shared/traces";
#endif
}

std::string test_data() {
#ifdef MOESCOPE_TEST_DATA_DIR
  return std::string(MOESCOPE_TEST_DATA_DIR) + "/traces";
#else
  return "tests/data/traces";
#endif
}

const char* kAll[] = {"llama4-maverick-mmlu",    "deepseek-v2-lite-chat/prompts-0001-1000",
                      "deepseek-v2-lite-esft",   "olmoe-domains/olmoe",
                      "olmoe-domains/mistral",   "olmoe-domains/olmoe-sft",
                      "olmoe-domains/olmoe-dpo", "flame-moe-290m/prefill-batch",
                      "switch-base-128"};

std::string deepseek_dir() {
  return shared_traces() + "/deepseek-v2-lite-chat/prompts-0001-1000";
}

bool have_shared(benchmark::State& state) {
  if (std::filesystem::exists(deepseek_dir())) return true;
  state.SkipWithError("../shared/traces not found (set MOESCOPE_SHARED_TRACES)");
  return false;
}

// The DeepSeek set converted once to a temporary .mst.
const std::string& deepseek_mst() {
  static const std::string path = [] {
    const auto p = std::filesystem::temp_directory_path() / "moescope-bench-deepseek.mst";
    save_binary(import_trace(deepseek_dir()), p.string());
    return p.string();
  }();
  return path;
}

void BM_ImportAllShared(benchmark::State& state) {
  if (!have_shared(state)) return;
  std::uint64_t tokens = 0;
  for (auto _ : state) {
    for (const char* rel : kAll) {
      auto t = import_trace(shared_traces() + "/" + rel);
      if (auto* x = std::get_if<ExpertTrace>(&t)) tokens += x->num_tokens();
      benchmark::DoNotOptimize(t);
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(double(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ImportAllShared)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ImportDeepSeekChat(benchmark::State& state) {
  if (!have_shared(state)) return;
  std::uint64_t bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(deepseek_dir()))
    bytes += f.file_size();
  for (auto _ : state) {
    auto t = import_trace(deepseek_dir());
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(std::int64_t(bytes) * state.iterations()); // compressed input bytes
}
BENCHMARK(BM_ImportDeepSeekChat)->Unit(benchmark::kMillisecond)->Iterations(3);

void load_binary_bench(benchmark::State& state, const std::string& path) {
  const auto size = std::filesystem::file_size(path);
  for (auto _ : state) {
    auto t = load_binary(path); // maps, parses the header and scans every expert id (range check)
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(std::int64_t(size) * state.iterations());
}

void BM_LoadBinary(benchmark::State& state) {
  if (!have_shared(state)) return;
  load_binary_bench(state, deepseek_mst());
}
BENCHMARK(BM_LoadBinary)->Unit(benchmark::kMillisecond);

void BM_LoadBinarySample(benchmark::State& state) {
  load_binary_bench(state, test_data() + "/deepseek-v2-lite-chat-20.mst");
}
BENCHMARK(BM_LoadBinarySample)->Unit(benchmark::kMicrosecond);

void BM_StatsDeepSeek(benchmark::State& state) {
  if (!have_shared(state)) return;
  const AnyTrace t = load_binary(deepseek_mst());
  for (auto _ : state) {
    auto s = compute_stats(t);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StatsDeepSeek)->Unit(benchmark::kMillisecond)->Iterations(3);

} // namespace

BENCHMARK_MAIN();
