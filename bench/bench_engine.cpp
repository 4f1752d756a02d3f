// Step-model throughput: full DeepSeek-V3 decode steps (61 layers, EP64 over 8 DGX H100 nodes) in expected-value
// mode, as a sweep evaluates them. Target (issue 7): >= 1,000,000 design points per minute on 2 cores, i.e. one
// evaluation well under 120 us per core. Reported against a baseline measured in the same run: the operator work of
// the same step timed by the compute engine alone (layer_operators of each layer kind, ComputeEngine::evaluate), which
// the engine builds on.
#include <benchmark/benchmark.h>

#include <chrono>
#include <thread>

#include "compute/model_compute.hpp"
#include "engine/step_model.hpp"
#include "engine/tbo_schedule.hpp"
#include "study/sweep.hpp"

using namespace moescope;

namespace {

Session& session() {
  static Session s;
  return s;
}
// Resolved through the session: calibrations loaded once, as every front end does.
const ResolvedScenario& default_scenario() {
  static const ResolvedScenario s =
      session().resolve(session().load_scenario(std::string(MOESCOPE_SOURCE_DIR) + "/scenarios/default.json"));
  return s;
}

// The operator work of one decode step timed by the compute engine alone: both layer kinds' operators (built
// once), each evaluated and weighted by the kind's layer count.
double operator_work_seconds(const ResolvedScenario& s, const ComputeEngine& engine,
                             const std::vector<std::pair<std::vector<OperatorWork>, double>>& kinds) {
  double t = 0;
  for (const auto& [ops, count] : kinds)
    for (const auto& op : ops)
      t += count * engine.evaluate(op).seconds;
  (void)s;
  return t;
}
std::vector<std::pair<std::vector<OperatorWork>, double>> decode_kinds(const ResolvedScenario& s) {
  LayerTokens t;
  t.rank_sequences = s.scenario.workload.batch_per_gpu;
  t.rank_tokens = t.rank_sequences;
  t.moe_tokens_per_gpu = t.rank_sequences;
  t.kv_length = s.scenario.workload.input_tokens + s.scenario.workload.output_tokens / 2;
  const double pairs = static_cast<double>(t.moe_tokens_per_gpu * s.model.moe.top_k);
  t.busiest_expert_tokens.assign(
      static_cast<std::size_t>(s.deployment.expert_slots_per_gpu),
      static_cast<std::int64_t>(pairs / static_cast<double>(s.deployment.expert_slots_per_gpu)));
  const auto& d = s.deployment;
  const auto& dt = s.scenario.workload.dtypes;
  const double moe_layers = static_cast<double>(s.model.num_moe_layers());
  return {{layer_operators(s.model, d, dt, t, false, false), static_cast<double>(s.model.num_layers) - moe_layers},
          {layer_operators(s.model, d, dt, t, true, false), moe_layers}};
}

// The baseline, measured once in this run, so that every engine benchmark reports its cost as a multiple of it.
double baseline_seconds() {
  static const double t = [] {
    const ResolvedScenario& s = default_scenario();
    const ComputeEngine engine(s.accelerator, *s.inputs.compute_calibration);
    double sink = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const int n = 3000;
    for (int i = 0; i < n; ++i)
      sink += operator_work_seconds(s, engine, decode_kinds(s));
    benchmark::DoNotOptimize(sink);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n;
  }();
  return t;
}

void report(benchmark::State& state) {
  // points_per_s: summed over threads; x_baseline: real time per point and thread over the baseline's.
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["x_baseline"] = benchmark::Counter(baseline_seconds() * static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Design points that differ in a hardware figure (HBM bandwidth): the network result is reused from the per-thread
// memo, as in a sweep over compute or memory parameters.
void BM_DecodeStep_VaryHbm(benchmark::State& state) {
  ResolvedScenario s = default_scenario();
  const EngineConfig cfg = s.scenario.engine;
  set_engine_network_cache(true);
  const double base = s.accelerator.hbm_bandwidth_bytes_per_s.value;
  std::int64_t i = 0;
  for (auto _ : state) {
    s.accelerator.hbm_bandwidth_bytes_per_s.value = base * (0.5 + 0.001 * static_cast<double>(i++ % 1000));
    PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
    benchmark::DoNotOptimize(r.tpot_seconds);
  }
  report(state);
}
BENCHMARK(BM_DecodeStep_VaryHbm)->ThreadRange(1, 2)->UseRealTime();

// Design points that differ in the batch (network recomputed whenever the batch is new; 64 distinct batches).
void BM_DecodeStep_VaryBatch(benchmark::State& state) {
  ResolvedScenario s = default_scenario();
  const EngineConfig cfg = s.scenario.engine;
  set_engine_network_cache(true);
  std::int64_t i = 0;
  for (auto _ : state) {
    s.scenario.workload.batch_per_gpu = 64 + (i++ % 64);
    PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
    benchmark::DoNotOptimize(r.tpot_seconds);
  }
  report(state);
}
BENCHMARK(BM_DecodeStep_VaryBatch)->ThreadRange(1, 2)->UseRealTime();

// Cold: the network model evaluated at every point (no memo).
void BM_DecodeStep_NoNetworkMemo(benchmark::State& state) {
  ResolvedScenario s = default_scenario();
  const EngineConfig cfg = s.scenario.engine;
  set_engine_network_cache(false);
  for (auto _ : state) {
    PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
    benchmark::DoNotOptimize(r.tpot_seconds);
  }
  set_engine_network_cache(true);
  report(state);
}
BENCHMARK(BM_DecodeStep_NoNetworkMemo)->ThreadRange(1, 2)->UseRealTime();

// SGLang's decode deployment (scenarios/sglang-decode-9x8-h100.json: EP72, batch 256, two-batch overlap): the
// dependency-aware two-batch schedule of its 58 MoE layers runs at every point.
void BM_DecodeStep_SglangTwoBatch(benchmark::State& state) {
  static const ResolvedScenario base = [] {
    return session().resolve(
        session().load_scenario(std::string(MOESCOPE_SOURCE_DIR) + "/scenarios/sglang-decode-9x8-h100.json"));
  }();
  ResolvedScenario s = base;
  const EngineConfig cfg = s.scenario.engine;
  set_engine_network_cache(true);
  const double hbm = s.accelerator.hbm_bandwidth_bytes_per_s.value;
  std::int64_t i = 0;
  for (auto _ : state) {
    s.accelerator.hbm_bandwidth_bytes_per_s.value = hbm * (0.5 + 0.001 * static_cast<double>(i++ % 1000));
    PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
    benchmark::DoNotOptimize(r.tpot_seconds);
  }
  report(state);
}
BENCHMARK(BM_DecodeStep_SglangTwoBatch)->ThreadRange(1, 2)->UseRealTime();

// The two-batch schedule alone: 58 MoE layers, 2 micro-batches, decode order; argument 1: every op recorded (the
// explorer's timeline), 0: the step model's path, which must not pay for the recording.
void BM_TwoBatchSchedule58Layers(benchmark::State& state) {
  TboLayerOps o;
  o.attention_prep = 60e-6;
  o.attention = 250e-6;
  o.dispatch = 260e-6;
  o.shared = 18e-6;
  o.experts = 110e-6;
  o.combine = 500e-6;
  const std::vector<TboLayerOps> layers(58, o);
  std::vector<TboInterval> intervals;
  for (auto _ : state) {
    intervals.clear();
    TboSchedule r = simulate_two_batch(layers, TboOrder::decode, state.range(0) ? &intervals : nullptr);
    benchmark::DoNotOptimize(r.makespan);
  }
}
BENCHMARK(BM_TwoBatchSchedule58Layers)->Arg(0)->Arg(1);

// Baseline: the operator work of the step timed by the compute engine alone (same scenario, same calibration).
void BM_Baseline_OperatorWork(benchmark::State& state) {
  const ResolvedScenario& s = default_scenario();
  const ComputeEngine engine(s.accelerator, *s.inputs.compute_calibration);
  baseline_seconds();
  for (auto _ : state)
    benchmark::DoNotOptimize(operator_work_seconds(s, engine, decode_kinds(s)));
}
BENCHMARK(BM_Baseline_OperatorWork)->UseRealTime();

// A whole sweep through the JSON front end (scenario edit, read, resolve, evaluate) on all threads.
void BM_SweepFromJson(benchmark::State& state) {
  SweepSpec spec;
  spec.base_file = std::string(MOESCOPE_SOURCE_DIR) + "/scenarios/default.json";
  Diagnostics d;
  spec.base = *read_json_file(spec.base_file, d);
  SweepAxis a;
  a.paths = {"/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s"};
  for (int i = 0; i < 200; ++i)
    a.values.push_back({Json(2e12 + 1e10 * i)});
  SweepAxis b;
  b.paths = {"/workload/batch_per_gpu"};
  for (int v : {32, 64, 128, 256})
    b.values.push_back({Json(v)});
  spec.axes = {a, b};
  spec.pareto = {{"tokens_per_s_per_gpu", true}, {"latency_seconds", false}};
  std::size_t points = 0;
  for (auto _ : state) {
    SweepResult r = run_sweep(spec, session());
    points += r.points.size();
  }
  state.counters["points_per_second"] = benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SweepFromJson)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
