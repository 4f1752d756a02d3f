// Trace-driven MoE: the scenario's trace and placement strategy drive dispatch/combine and the expert GEMMs.
#include <gtest/gtest.h>

#include "engine/step_model.hpp"
#include "engine_test_support.hpp"
#include "placement/strategy.hpp"
#include "test_paths.hpp"

using namespace moescope;
using namespace moescope::engine_test;

namespace {

Json v2_lite(const std::string& strategy, const Json& routing) {
  Json j = Json::parse(R"({
    "name": "v2-lite-trace", "model": "deepseek-v2-lite", "system": "dgx-h100",
    "deployment": { "nodes": 2, "gpus_per_node": 8, "attention": { "tp": 1 }, "moe": { "tp": 1 } },
    "workload": { "phase": "decode", "batch_per_gpu": 32, "input_tokens": 1024, "output_tokens": 256 } })");
  j["routing"] = routing;
  j["placement"] = {{"strategy", strategy}};
  return j;
}

} // namespace

TEST(TraceDriven, TraceAndPlacementDriveTheMoeLayer) {
  const std::string file = std::string(MOESCOPE_TEST_DATA_DIR) + "/traces/scenario.json"; // relative base for the trace
  const Json trace_routing = {{"kind", "trace"}, {"file", "deepseek-v2-lite-chat-20.mst"}};
  const auto s = resolve_json(v2_lite("linear", trace_routing), file);
  EngineConfig cfg;
  cfg.trace_steps = 2;
  const PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
  EXPECT_EQ(r.moe.routing.rfind("trace:", 0), 0u);
  EXPECT_NE(r.moe.routing.find("deepseek-v2-lite-chat-20.mst"), std::string::npos);
  EXPECT_EQ(r.moe.placement, "linear");
  EXPECT_GT(r.moe.dispatch.seconds, 0.0);
  EXPECT_GT(r.moe.combine.seconds, 0.0);
  // Real routing is skewed: the busiest GPU computes more than the mean (32 tokens x top-6 = 192 per GPU).
  EXPECT_NEAR(r.moe.mean_gpu_expert_tokens, 192.0, 1e-9);
  EXPECT_GT(r.moe.busiest_gpu_expert_tokens, r.moe.mean_gpu_expert_tokens);
  EXPECT_EQ(r.moe.busiest_gpu_slot_tokens.size(), 4u); // 64 experts over 16 GPUs
  EXPECT_GT(r.tpot_seconds, 0.0);

  // EPLB fitted on the trace balances the GPUs better than linear placement.
  const auto e = resolve_json(v2_lite("eplb-global", trace_routing), file);
  const PhaseResult re = evaluate_phase(e, Phase::decode, cfg);
  EXPECT_EQ(re.moe.placement, "eplb-global");
  EXPECT_LT(re.moe.busiest_gpu_expert_tokens, r.moe.busiest_gpu_expert_tokens);

  // The same scenario in expected-value mode (routing_source "expected") is uniform.
  EngineConfig ev = cfg;
  ev.routing_source = "expected";
  const PhaseResult u = evaluate_phase(s, Phase::decode, ev);
  EXPECT_EQ(u.moe.routing, "expected:uniform");
}

TEST(TraceDriven, MismatchedTraceIsAnInputError) {
  const std::string file = std::string(MOESCOPE_TEST_DATA_DIR) + "/traces/scenario.json";
  Json j = v2_lite("linear", {{"kind", "trace"}, {"file", "deepseek-v2-lite-chat-20.mst"}});
  j["model"] = "deepseek-v3"; // 256 experts, top-8: the trace has 64, top-6
  j["deployment"]["nodes"] = 4;
  const auto s = resolve_json(j, file);
  try {
    evaluate_phase(s, Phase::decode, EngineConfig{});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].location, "/routing/file");
    EXPECT_EQ(e.diagnostics().items()[0].file, file);
  }
  EngineConfig want_trace;
  want_trace.routing_source = "trace";
  Json k = v2_lite("linear", {{"kind", "uniform"}});
  EXPECT_THROW(evaluate_phase(resolve_json(k), Phase::decode, want_trace), InputError);
}

TEST(TraceDriven, PlacementOptionsReachTheFitAndAreReadStrictly) {
  // The scenario's defaults are the placement library's: a scenario without options fits what `place` fits.
  const PlacementFitSettings settings;
  const placement::FitOptions fit;
  EXPECT_EQ(settings.balance_cap, fit.balance_cap);
  EXPECT_EQ(settings.node_load_cap, fit.node_load_cap);
  EXPECT_EQ(settings.seed, fit.seed);
  EXPECT_EQ(settings.eplb_groups, fit.eplb_groups);

  const std::string file = std::string(MOESCOPE_TEST_DATA_DIR) + "/traces/scenario.json";
  const Json trace_routing = {{"kind", "trace"}, {"file", "deepseek-v2-lite-chat-20.mst"}};
  EngineConfig cfg;
  cfg.trace_steps = 2;
  Json loose = v2_lite("joint-minmax", trace_routing);
  Json tight = loose;
  tight["placement"]["options"] = {{"node_load_cap", 1.0}, {"balance_cap", 1.0}};
  loose["placement"]["options"] = {{"node_load_cap", 3.0}, {"balance_cap", 3.0}};
  const PhaseResult a = evaluate_phase(resolve_json(tight, file), Phase::decode, cfg);
  const PhaseResult b = evaluate_phase(resolve_json(loose, file), Phase::decode, cfg);
  // Caps this far apart change the plan, so the options reached the fit (and the memo keys tell them apart).
  EXPECT_NE(a.moe.busiest_gpu_expert_tokens, b.moe.busiest_gpu_expert_tokens);

  Json typo = v2_lite("linear", trace_routing);
  typo["placement"]["options"] = {{"balance_cpa", 1.2}};
  Diagnostics d;
  read_scenario(typo, "typo.json", d);
  ASSERT_EQ(d.size(), 1u) << d.to_string();
  EXPECT_EQ(d.items()[0].location, "/placement/options/balance_cpa");
}
