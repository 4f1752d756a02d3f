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
