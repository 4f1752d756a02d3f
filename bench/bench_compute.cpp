// Whole DeepSeek-V3 decode step (61 layers: 3 dense + 58 MoE) through the compute model, on the default scenario's
// deployment (8 x 8 H100, attention DP64, EP64, batch 128 per GPU). Target: at most 20 us per evaluation.
#include <benchmark/benchmark.h>

#include "compute/model_compute.hpp"
#include "model/model_catalog.hpp"
#include "util/data_paths.hpp"

namespace {

using namespace moescope;

const ResolvedScenario& scenario() {
  static const ResolvedScenario s = [] {
    auto hwdb = HardwareDatabase::load_or_throw(hwdb_dir());
    auto catalog = ModelCatalog::load_or_throw(model_catalog_dir());
    Scenario sc = load_scenario_file(resolve_data_path("scenarios/default.json"));
    sc.routing.kind = RoutingKind::power_law; // non-uniform loads: the busiest GPU is searched
    sc.routing.power_law_exponent = 1.0;
    return resolve_scenario(sc, hwdb, catalog);
  }();
  return s;
}

} // namespace

static void BM_DeepSeekV3DecodeStep(benchmark::State& state) {
  const ResolvedScenario& s = scenario();
  const ComputeEngine engine(s.accelerator, find_compute_calibration(hwdb_dir(), s.accelerator.name));
  double sink = 0;
  for (auto _ : state) {
    StepCompute step = compute_step(s, Phase::decode, engine);
    sink += step.step_seconds;
    benchmark::DoNotOptimize(step);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["layers"] = static_cast<double>(compute_step(s, Phase::decode, engine).layer_type_of.size());
}
BENCHMARK(BM_DeepSeekV3DecodeStep)->Unit(benchmark::kMicrosecond);

static void BM_DeepSeekV3DecodeStepSpeedOfLight(benchmark::State& state) {
  const ResolvedScenario& s = scenario();
  const ComputeEngine engine(s.accelerator, default_compute_calibration(), {EngineMode::speed_of_light, true});
  for (auto _ : state)
    benchmark::DoNotOptimize(compute_step(s, Phase::decode, engine));
}
BENCHMARK(BM_DeepSeekV3DecodeStepSpeedOfLight)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
