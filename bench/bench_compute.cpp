// The compute model alone on a whole DeepSeek-V3 decode step (61 layers: 3 dense + 58 MoE) of the default scenario's
// deployment (8 x 8 H100, attention DP64, EP64, batch 128 per GPU): every operator of both layer kinds built and timed
// by the compute engine, calibrated and speed of light. The step model (bench_engine) adds the network, overlap and
// composition on top. Target: at most 20 us per evaluation.
#include <benchmark/benchmark.h>

#include "compute/model_compute.hpp"
#include "study/session.hpp"

namespace {

using namespace moescope;

const ResolvedScenario& scenario() {
  static Session session;
  static const ResolvedScenario s =
      session.resolve(session.load_scenario(session.data_root() + "/scenarios/default.json"));
  return s;
}

LayerTokens decode_tokens(const ResolvedScenario& s) {
  LayerTokens t;
  t.rank_sequences = s.scenario.workload.batch_per_gpu;
  t.rank_tokens = t.rank_sequences;
  t.moe_tokens_per_gpu = t.rank_sequences;
  t.kv_length = s.scenario.workload.input_tokens + s.scenario.workload.output_tokens / 2;
  // Power-law-like skew over the busiest GPU's slots (the grouped GEMM's shape matters, not the exact loads).
  for (std::int64_t e = 0; e < s.deployment.expert_slots_per_gpu; ++e)
    t.busiest_expert_tokens.push_back(512 / (e + 1));
  return t;
}

double step_seconds(const ResolvedScenario& s, const ComputeEngine& engine) {
  const LayerTokens t = decode_tokens(s);
  const auto& d = s.deployment;
  const auto& dt = s.scenario.workload.dtypes;
  const double moe = static_cast<double>(s.model.num_moe_layers());
  double total = 0;
  for (const auto& op : layer_operators(s.model, d, dt, t, false, false))
    total += (static_cast<double>(s.model.num_layers) - moe) * engine.evaluate(op).seconds;
  for (const auto& op : layer_operators(s.model, d, dt, t, true, false))
    total += moe * engine.evaluate(op).seconds;
  return total;
}

} // namespace

static void BM_DeepSeekV3DecodeStep(benchmark::State& state) {
  const ResolvedScenario& s = scenario();
  const ComputeEngine engine(s.accelerator, *s.inputs.compute_calibration);
  for (auto _ : state)
    benchmark::DoNotOptimize(step_seconds(s, engine));
}
BENCHMARK(BM_DeepSeekV3DecodeStep)->Unit(benchmark::kMicrosecond);

static void BM_DeepSeekV3DecodeStepSpeedOfLight(benchmark::State& state) {
  const ResolvedScenario& s = scenario();
  const ComputeEngine engine(s.accelerator, *s.inputs.compute_calibration, {EngineMode::speed_of_light, true});
  for (auto _ : state)
    benchmark::DoNotOptimize(step_seconds(s, engine));
}
BENCHMARK(BM_DeepSeekV3DecodeStepSpeedOfLight)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
