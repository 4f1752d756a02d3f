#include <gtest/gtest.h>

#include <iostream>

#include "engine/step_model.hpp"
#include "engine_test_support.hpp"

using namespace moescope;
using namespace moescope::engine_test;

TEST(EngineSmoke, DefaultScenarioEvaluates) {
  const auto s = resolve_json(scenario_json(repo("scenarios/default.json")), repo("scenarios/default.json"));
  const DeploymentResult r = evaluate_deployment(s);
  ASSERT_TRUE(r.decode.evaluated);
  EXPECT_GT(r.decode.tpot_seconds, 0.0);
  EXPECT_GT(r.decode.tokens_per_s_per_gpu, 0.0);
  if (std::getenv("ENGINE_DUMP")) std::cout << deployment_result_to_json(r).dump(1) << "\n";
}

TEST(EngineSmoke, SglangScenarios) {
  for (const char* f : {"scenarios/sglang-prefill-1k-4x8-h100.json", "scenarios/sglang-prefill-2k-4x8-h100.json",
                        "scenarios/sglang-prefill-4k-4x8-h100.json", "scenarios/sglang-decode-9x8-h100.json"}) {
    const auto s = resolve_json(scenario_json(repo(f)), repo(f));
    const DeploymentResult r = evaluate_deployment(s);
    if (std::getenv("ENGINE_DUMP")) {
      const PhaseResult& p = r.prefill.evaluated ? r.prefill : r.decode;
      std::cout << f << " tokens/s/node " << p.tokens_per_s_per_node << " step " << p.step_seconds << "\n"
                << phase_result_to_json(p)["step_seconds_by_component_no_overlap"].dump() << "\n"
                << phase_result_to_json(p)["step_seconds_by_overlap"].dump() << "\n"
                << phase_result_to_json(p)["moe"].dump() << "\n";
    }
  }
}
