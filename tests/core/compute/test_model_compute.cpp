// Step composition on the repository's default scenario (DeepSeek-V3 decode, 8 x 8 H100, EP64).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "compute/model_compute.hpp"
#include "model/model_catalog.hpp"

namespace moescope {
namespace {

std::string repo(const std::string& rel) {
  return (std::filesystem::path(MOESCOPE_TEST_DATA_DIR) / ".." / ".." / rel).lexically_normal().string();
}

ResolvedScenario default_scenario() {
  auto hwdb = HardwareDatabase::load_or_throw(repo("hwdb"));
  auto catalog = ModelCatalog::load_or_throw(repo("models/catalog"));
  return resolve_scenario(load_scenario_file(repo("scenarios/default.json")), hwdb, catalog);
}

TEST(ModelCompute, DeepSeekV3DecodeStepComposesLayers) {
  const ResolvedScenario s = default_scenario();
  ComputeEngine cal(s.accelerator, find_compute_calibration(repo("hwdb"), s.accelerator.name));
  ComputeEngine sol(s.accelerator, default_compute_calibration(), {EngineMode::speed_of_light, true});
  StepCompute step = compute_step(s, Phase::decode, cal);
  ASSERT_EQ(step.layer_type_of.size(), 61u);
  ASSERT_EQ(step.layer_types.size(), 2u);
  EXPECT_EQ(step.layer_types[0].id, "dense");
  EXPECT_EQ(step.layer_types[0].count, 3);
  EXPECT_EQ(step.layer_types[1].count, 58);
  // 128 sequences per GPU, EP64 over 256 experts: 4 experts per GPU, 128 * 64 * 8 / 256 = 256 tokens each.
  EXPECT_EQ(step.tokens.busiest_expert_tokens, (std::vector<std::int64_t>{256, 256, 256, 256}));
  double sum = 0;
  for (const auto& [c, sec] : step.component_seconds)
    sum += sec;
  EXPECT_NEAR(sum, step.step_seconds, 1e-12 * step.step_seconds + 1e-15);
  // The calibrated time of every operator is at least its speed-of-light time.
  for (const auto& lt : step.layer_types)
    for (std::size_t i = 0; i < lt.operators.size(); ++i)
      EXPECT_GE(lt.times[i].seconds, sol.evaluate(lt.operators[i]).seconds * (1 - 1e-12)) << lt.operators[i].name;
  StepCompute fast = compute_step(s, Phase::decode, sol);
  EXPECT_LT(fast.step_seconds, step.step_seconds);
  EXPECT_DOUBLE_EQ(fast.flop, step.flop);
}

TEST(ModelCompute, PowerLawRoutingLoadsTheBusiestGpu) {
  ResolvedScenario s = default_scenario();
  s.scenario.routing.kind = RoutingKind::power_law;
  s.scenario.routing.power_law_exponent = 1.0;
  LayerTokens t = layer_tokens(s, Phase::decode);
  std::int64_t busiest = 0;
  for (auto x : t.busiest_expert_tokens)
    busiest += x;
  EXPECT_GT(busiest, 1024); // more than the uniform 4 x 256
}

// Prefill (contiguous layout) runs the scatter of the received rows into per-expert blocks and the gather back,
// as SGLang's DeepEP + DeepGEMM path does; decode (masked layout: DeepEP low-latency writes per-expert buffers) has
// neither.
TEST(ModelCompute, ContiguousLayoutScattersAndGathersTheReceivedRows) {
  const std::vector<std::int64_t> slots{100, 60};
  const auto names = [](const std::vector<OperatorWork>& ops) {
    std::vector<std::string> n;
    for (const auto& op : ops)
      n.push_back(op.name);
    return n;
  };
  const auto masked = routed_expert_operators(slots, 64, 32, 2.0, DataType::fp8, DataType::bf16, DataType::fp8,
                                              GroupedLayout::masked, 120.0);
  EXPECT_EQ(names(masked),
            (std::vector<std::string>{"routed_experts.up_gate", "routed_experts.activation", "routed_experts.down"}));
  const auto contiguous = routed_expert_operators(slots, 64, 32, 2.0, DataType::fp8, DataType::bf16, DataType::fp8,
                                                  GroupedLayout::contiguous, 120.0);
  ASSERT_EQ(contiguous.size(), 5u);
  // Scatter: 120 received fp8 rows of 64 read, 160 expert rows written (fp8 with one fp32 scale per 128 values);
  // gather: 160 bf16 rows read, 120 written.
  const double fp8 = 1.0 + 4.0 / 128.0;
  EXPECT_EQ(contiguous.front().name, "routed_experts.scatter");
  EXPECT_DOUBLE_EQ(contiguous.front().bytes(), (120.0 + 160.0) * 64.0 * fp8);
  EXPECT_EQ(contiguous.back().name, "routed_experts.gather");
  EXPECT_DOUBLE_EQ(contiguous.back().bytes(), (160.0 + 120.0) * 64.0 * 2.0);
  // Unknown received rows: taken as the expert rows.
  const auto unknown = routed_expert_operators(slots, 64, 32, 2.0, DataType::fp8, DataType::bf16, DataType::fp8,
                                               GroupedLayout::contiguous, 0.0);
  EXPECT_DOUBLE_EQ(unknown.front().bytes(), 2.0 * 160.0 * 64.0 * fp8);
}

TEST(ModelCompute, UniformReceivedRows) {
  // 8 experts, 2 on this GPU, top-2: P(none of them) = 6/8 x 5/7 = 15/28; 4 GPUs x 100 tokens.
  EXPECT_NEAR(uniform_received_rows(100.0, 4, 2, 8, 2), 400.0 * 13.0 / 28.0, 1e-9);
  EXPECT_DOUBLE_EQ(uniform_received_rows(100.0, 4, 2, 8, 8), 400.0); // every token reaches the GPU
  // The compute-only prefill of the default scenario uses it: received rows <= expert rows, and > tokens per GPU.
  ResolvedScenario s = default_scenario();
  s.scenario.workload.phase = Phase::prefill;
  s.scenario.workload.prefill_tokens_per_gpu = 4096;
  const LayerTokens t = layer_tokens(s, Phase::prefill);
  double rows = 0;
  for (auto x : t.busiest_expert_tokens)
    rows += static_cast<double>(x);
  EXPECT_GT(t.received_rows, 4096.0);
  EXPECT_LT(t.received_rows, rows);
}

TEST(ModelCompute, EngineSettingsAreChecked) {
  Scenario sc;
  sc.file = "s.json";
  sc.extensions["engine"] = {{"mode", "fast"}, {"cuda_graph", true}};
  Diagnostics d;
  read_engine_settings(sc, d);
  // The misspelt "cuda_graph" is reported by the engine module, which owns the whole "engine" section
  // (tests/core/engine); the compute reader checks the values of its own keys.
  ASSERT_EQ(d.size(), 1u) << d.to_string();
  EXPECT_EQ(d.items()[0].location, "/engine/mode");
  sc.extensions["engine"] = {{"mode", "speed_of_light"}, {"cuda_graphs", false}};
  Diagnostics ok;
  EngineSettings e = read_engine_settings(sc, ok);
  EXPECT_TRUE(ok.empty());
  EXPECT_EQ(e.options.mode, EngineMode::speed_of_light);
  EXPECT_FALSE(e.options.cuda_graphs);
}

} // namespace
} // namespace moescope
