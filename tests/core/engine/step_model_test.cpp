// Step composition, overlap semantics, pipeline bubble, KV-bound batch, MTP, disaggregation and engine settings.
#include <gtest/gtest.h>

#include <cmath>

#include "compute/memory_footprint.hpp"
#include "compute/model_compute.hpp"
#include "engine/moe_network.hpp"
#include "engine/step_model.hpp"
#include "engine_test_support.hpp"
#include "network/network_calibration.hpp"

using namespace moescope;
using namespace moescope::engine_test;

namespace {

Json deepseek_decode(std::int64_t nodes = 8, std::int64_t batch = 128) {
  return Json::parse(R"({
    "name": "t", "model": "deepseek-v3", "system": "dgx-h100",
    "deployment": { "nodes": )" +
                     std::to_string(nodes) + R"(, "gpus_per_node": 8, "attention": { "tp": 1 }, "moe": { "tp": 1 } },
    "workload": { "phase": "decode", "batch_per_gpu": )" +
                     std::to_string(batch) + R"(, "input_tokens": 2048, "output_tokens": 1024,
                  "dtypes": { "weights": "fp8", "dispatch": "fp8", "combine": "bf16" } },
    "routing": { "kind": "uniform" }, "placement": { "strategy": "linear" } })");
}

double comp(const LayerBreakdown& l, const std::string& k) {
  auto it = l.component_seconds.find(k);
  return it == l.component_seconds.end() ? 0.0 : it->second;
}

const LayerBreakdown& layer(const PhaseResult& r, const std::string& id) {
  for (const auto& l : r.layers)
    if (l.id == id) return l;
  throw std::runtime_error("no layer " + id);
}

} // namespace

TEST(StepModel, SerialStepIsTheSumOfItsParts) {
  const auto s = resolve_json(deepseek_decode());
  EngineConfig cfg;
  const PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
  // Each layer: no overlap = compute + communication = sum of its buckets.
  double total = 0;
  for (const auto& l : r.layers) {
    double sum = 0;
    for (const auto& [k, v] : l.component_seconds)
      sum += v;
    EXPECT_NEAR(l.serial_seconds, sum, 1e-15);
    EXPECT_NEAR(l.serial_seconds, l.compute_seconds + l.communication_seconds, 1e-15);
    total += static_cast<double>(l.count) * l.serial_seconds;
  }
  for (const auto& [k, v] : r.outer_seconds)
    total += v;
  EXPECT_NEAR(r.step_seconds_by_overlap_none, total, 1e-12);
  EXPECT_DOUBLE_EQ(r.step_seconds, r.step_seconds_by_overlap_none); // default overlap: none
  // DeepSeek-V3: 3 dense + 58 MoE layers; the MoE layer has dispatch and combine, the dense one none.
  EXPECT_EQ(layer(r, "dense").count, 3);
  EXPECT_EQ(layer(r, "moe").count, 58);
  EXPECT_GT(comp(layer(r, "moe"), "dispatch"), 0.0);
  EXPECT_GT(comp(layer(r, "moe"), "combine"), 0.0);
  EXPECT_EQ(comp(layer(r, "dense"), "dispatch"), 0.0);
  // Throughput and latency follow from the step.
  EXPECT_DOUBLE_EQ(r.tpot_seconds, r.step_seconds);
  EXPECT_NEAR(r.tokens_per_s_per_gpu, 128.0 / r.step_seconds, 1e-9);
  EXPECT_NEAR(r.tokens_per_s_per_node, 8.0 * r.tokens_per_s_per_gpu, 1e-9);
}

TEST(StepModel, TwoBatchIdealIsTheLongerStreamNotTheSum) {
  const auto s = resolve_json(deepseek_decode(8, 128));
  const auto half = resolve_json(deepseek_decode(8, 64));
  EngineConfig cfg;
  cfg.overlap = Overlap::two_batch_ideal;
  cfg.network_calibration = "none"; // speed-of-light kernels: no SMs reserved for communication
  EngineConfig serial;
  serial.network_calibration = "none";
  const PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
  const PhaseResult h = evaluate_phase(half, Phase::decode, serial);
  const auto& full = layer(r, "moe");
  const auto& hl = layer(h, "moe");
  EXPECT_NEAR(full.two_batch_ideal_seconds, std::max(2.0 * hl.compute_seconds, 2.0 * hl.communication_seconds), 1e-12);
  EXPECT_DOUBLE_EQ(full.seconds, full.two_batch_ideal_seconds);
  // The realistic schedule lies between the ideal and the two micro-batches in sequence.
  EXPECT_LE(full.two_batch_ideal_seconds, full.two_batch_seconds);
  EXPECT_LE(full.two_batch_seconds, 2.0 * hl.compute_seconds + 2.0 * hl.communication_seconds);
  // Dense layers are not split (SGLang's TBO region holds only the MoE layers).
  EXPECT_DOUBLE_EQ(layer(r, "dense").two_batch_ideal_seconds, layer(r, "dense").serial_seconds);
  EXPECT_DOUBLE_EQ(layer(r, "dense").two_batch_seconds, layer(r, "dense").serial_seconds);
  // The MoE layer communicates: overlapping beats running the two micro-batches in sequence.
  EXPECT_LT(full.two_batch_ideal_seconds, full.serial_seconds);
  EXPECT_DOUBLE_EQ(r.step_seconds, r.step_seconds_by_overlap_two_batch_ideal);
  EXPECT_LT(r.step_seconds_by_overlap_two_batch_ideal, r.step_seconds_by_overlap_two_batch);
  EXPECT_LT(r.step_seconds_by_overlap_two_batch_ideal, r.step_seconds_by_overlap_none);
}

TEST(StepModel, IntraLayerOverlapHidesSharedExpertsUnderDispatchAndCombine) {
  const auto s = resolve_json(deepseek_decode());
  EngineConfig cfg;
  cfg.overlap = Overlap::intra_layer;
  cfg.network_calibration = "none";
  const PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
  const auto& l = layer(r, "moe");
  const double shared = comp(l, "shared_experts");
  const double a2a = comp(l, "dispatch") + comp(l, "combine");
  EXPECT_NEAR(l.intra_layer_seconds, l.serial_seconds - shared - a2a + std::max(shared, a2a), 1e-15);
  EXPECT_LE(l.intra_layer_seconds, l.serial_seconds);
  // A dense layer has nothing to overlap.
  EXPECT_DOUBLE_EQ(layer(r, "dense").intra_layer_seconds, layer(r, "dense").serial_seconds);
}

TEST(StepModel, SpeedOfLightLmHeadByHand) {
  // Llama 3 70B, TP8, batch 32 per GPU: the LM head is a [256 x 8192] x [8192 x 128256/8] bf16 GEMM with fp32 output.
  auto s = resolve_json(scenario_json(repo("scenarios/llama-3-70b-dense-1x8-h100.json")));
  EngineConfig cfg;
  cfg.compute.mode = EngineMode::speed_of_light;
  const PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
  const double m = 32.0 * 8.0, n = 128256.0 / 8.0, k = 8192.0;
  const double flop = 2 * m * n * k;
  const double bytes = n * k * 2 + m * k * 2 + m * n * 4;
  const double norm_bytes = m * k * 2 * 2 + k * 2; // final RMSNorm: read x, write y, read weight
  const double expect = std::max(flop / 989.4e12, bytes / 3.35e12);
  EXPECT_NEAR(r.outer_seconds.at("lm_head"), expect + norm_bytes / 3.35e12, 0.02 * expect);
  // Dense model under TP8: all-reduces, no all-to-all.
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_GT(comp(r.layers[0], "tp_all_reduce"), 0.0);
  EXPECT_EQ(comp(r.layers[0], "dispatch"), 0.0);
}

TEST(StepModel, PipelineBubble) {
  Json j = deepseek_decode(8, 128);
  j["deployment"]["pp"] = 2;
  const auto s = resolve_json(j);
  EngineConfig one;
  one.pp_microbatches = 1;
  const PhaseResult r1 = evaluate_phase(s, Phase::decode, one);
  EXPECT_EQ(r1.microbatches, 1);
  EXPECT_DOUBLE_EQ(r1.pipeline_bubble_fraction, 0.5); // (pp - m) / pp
  const double send = r1.outer_seconds.at("pipeline_send");
  EXPECT_NEAR(r1.step_seconds, 2.0 * (r1.stage_seconds + send), 1e-12);
  EngineConfig two; // default: as many micro-batches as stages
  const PhaseResult r2 = evaluate_phase(s, Phase::decode, two);
  EXPECT_EQ(r2.microbatches, 2);
  EXPECT_DOUBLE_EQ(r2.pipeline_bubble_fraction, 0.0);
  // Prefill: GPipe-style fill and drain, bubble (pp - 1) / (m + pp - 1).
  Json p = j;
  p["workload"]["phase"] = "prefill";
  p["workload"]["prefill_tokens_per_gpu"] = 8192;
  const auto ps = resolve_json(p);
  EngineConfig four;
  four.pp_microbatches = 4;
  const PhaseResult pr = evaluate_phase(ps, Phase::prefill, four);
  EXPECT_NEAR(pr.pipeline_bubble_fraction, 1.0 / 5.0, 1e-15);
  EXPECT_NEAR(pr.step_seconds, 5.0 * (pr.stage_seconds + pr.outer_seconds.at("pipeline_send")), 1e-12);
}

TEST(StepModel, KvCapacityBoundsTheDecodeBatch) {
  const auto s = resolve_json(deepseek_decode(8, 4000));
  const MemoryFootprint f = compute_memory_footprint(s);
  ASSERT_LT(f.max_batch_per_gpu_that_fits, 4000);
  const PhaseResult r = evaluate_phase(s, Phase::decode, EngineConfig{});
  EXPECT_TRUE(r.kv_bounded);
  EXPECT_DOUBLE_EQ(r.batch_per_gpu, static_cast<double>(f.max_batch_per_gpu_that_fits));
  EXPECT_DOUBLE_EQ(r.requested_batch_per_gpu, 4000.0);
  EXPECT_LE(r.memory_total_bytes, r.memory_capacity_bytes);
  EngineConfig unbounded;
  unbounded.kv_bound_batch = false;
  const PhaseResult u = evaluate_phase(s, Phase::decode, unbounded);
  EXPECT_FALSE(u.kv_bounded);
  EXPECT_DOUBLE_EQ(u.batch_per_gpu, 4000.0);
  EXPECT_GT(u.memory_total_bytes, u.memory_capacity_bytes);
}

TEST(StepModel, KvHitRateRaisesPrefillThroughput) {
  Json j = deepseek_decode(4, 1);
  j["workload"]["phase"] = "prefill";
  j["workload"]["prefill_tokens_per_gpu"] = 8192;
  j["workload"]["input_tokens"] = 4096;
  const PhaseResult cold = evaluate_phase(resolve_json(j), Phase::prefill, EngineConfig{});
  j["workload"]["kv_cache_hit_rate"] = 0.5;
  const PhaseResult warm = evaluate_phase(resolve_json(j), Phase::prefill, EngineConfig{});
  // Same computed tokens per GPU, twice the prompts per step.
  EXPECT_DOUBLE_EQ(cold.sequences_per_gpu_per_step, 2.0);
  EXPECT_DOUBLE_EQ(warm.sequences_per_gpu_per_step, 4.0);
  EXPECT_GT(warm.tokens_per_s_per_gpu, 1.5 * cold.tokens_per_s_per_gpu);
  EXPECT_NEAR(cold.tokens_per_s_per_gpu, cold.computed_tokens_per_s_per_gpu, 1e-9);
}

TEST(StepModel, MultiTokenPrediction) {
  const auto s = resolve_json(deepseek_decode());
  EngineConfig cfg;
  cfg.mtp_draft_tokens = 2;
  cfg.mtp_acceptance_rate = 0.5;
  const PhaseResult r = evaluate_phase(s, Phase::decode, cfg);
  EXPECT_DOUBLE_EQ(r.accepted_tokens_per_step, 1.0 + 0.5 + 0.25);
  EXPECT_NEAR(r.tpot_seconds, r.step_seconds / 1.75, 1e-15);
  EXPECT_GT(r.outer_seconds.at("mtp"), 0.0);
  // A model without MTP modules rejects the setting, naming the JSON pointer.
  auto l = resolve_json(scenario_json(repo("scenarios/llama-3-70b-dense-1x8-h100.json")), "llama.json");
  try {
    evaluate_phase(l, Phase::decode, cfg);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].location, "/engine/mtp/draft_tokens");
    EXPECT_EQ(e.diagnostics().items()[0].file, "llama.json");
  }
}

TEST(StepModel, DisaggregationUsesSeparatePools) {
  Json j = deepseek_decode(12, 128);
  j["workload"]["phase"] = "both";
  j["workload"]["prefill_tokens_per_gpu"] = 8192;
  j["deployment"]["disaggregation"] = {{"enabled", true}, {"prefill_nodes", 4}, {"decode_nodes", 8}};
  j["placement"]["expert_slots_per_gpu"] = 3; // EP96 over the whole deployment needs redundant slots
  const auto s = resolve_json(j);
  const DeploymentResult r = evaluate_deployment(s, EngineConfig{});
  ASSERT_TRUE(r.prefill.evaluated);
  ASSERT_TRUE(r.decode.evaluated);
  EXPECT_EQ(r.prefill.gpus, 32);
  EXPECT_EQ(r.decode.gpus, 64);
  EXPECT_GT(r.prefill.kv_transfer_seconds, 0.0);
  EXPECT_NEAR(r.prefill.ttft_seconds, r.prefill.step_seconds + r.prefill.kv_transfer_seconds, 1e-15);
  const ResolvedScenario p = pool_scenario(s, Phase::prefill);
  EXPECT_EQ(p.deployment.moe_ep, 32);
  EXPECT_EQ(p.deployment.expert_slots_per_gpu, 8);
  const auto m = deployment_metrics(r);
  EXPECT_GT(m.at("ttft_seconds"), 0.0);
  EXPECT_GT(m.at("tpot_seconds"), 0.0);
}

TEST(StepModel, PlacementAndRoutingChangeTheBusiestGpu) {
  Json j = deepseek_decode();
  j["routing"] = {{"kind", "power_law"}, {"exponent", 1.0}};
  const PhaseResult skew = evaluate_phase(resolve_json(j), Phase::decode, EngineConfig{});
  const PhaseResult flat = evaluate_phase(resolve_json(deepseek_decode()), Phase::decode, EngineConfig{});
  EXPECT_GT(skew.moe.busiest_gpu_expert_tokens, 2.0 * flat.moe.busiest_gpu_expert_tokens);
  EXPECT_GT(comp(layer(skew, "moe"), "routed_experts"), comp(layer(flat, "moe"), "routed_experts"));
  // EPLB with redundant slots on the same skewed routing spreads the hot experts.
  j["placement"] = {{"strategy", "eplb-global"}, {"expert_slots_per_gpu", 5}};
  const PhaseResult eplb = evaluate_phase(resolve_json(j), Phase::decode, EngineConfig{});
  EXPECT_EQ(eplb.moe.placement, "eplb-global");
  EXPECT_LT(eplb.moe.busiest_gpu_expert_tokens, 0.6 * skew.moe.busiest_gpu_expert_tokens);
}

TEST(EngineConfig, StrictReading) {
  Json j = deepseek_decode();
  j["engine"] = {
      {"mode", "speed_of_light"}, {"overlap", "two_batch"}, {"mtp", {{"draft_tokens", 1}, {"acceptance_rate", 0.8}}}};
  Diagnostics d;
  Scenario s = read_scenario(j, "x.json", d);
  ASSERT_TRUE(d.empty()) << d.to_string();
  const EngineConfig& c = s.engine;
  EXPECT_EQ(c.compute.mode, EngineMode::speed_of_light);
  EXPECT_EQ(c.overlap, Overlap::two_batch);
  EXPECT_EQ(c.mtp_draft_tokens, 1);
  EXPECT_DOUBLE_EQ(c.mtp_acceptance_rate, 0.8);

  j["engine"] = {{"overlap", "sometimes"}, {"bogus", 1}, {"mtp", {{"acceptance_rate", 1.5}}}};
  Diagnostics d2;
  Scenario s2 = read_scenario(j, "x.json", d2);
  std::set<std::string> where;
  for (const auto& x : d2.items()) {
    EXPECT_EQ(x.file, "x.json");
    where.insert(x.location);
  }
  EXPECT_TRUE(where.count("/engine/overlap"));
  EXPECT_TRUE(where.count("/engine/bogus"));
  EXPECT_TRUE(where.count("/engine/mtp/acceptance_rate"));
}

TEST(StepModel, CommunicationSmsSlowTheOverlappedCompute) {
  // Prefill with DeepEP normal: the system's network calibration gives the kernel an SM budget (num_sms); the
  // compute that overlaps it runs on the remaining SMs, timed by the compute engine on units - num_sms SMs.
  Json j = deepseek_decode(4, 1);
  j["workload"]["phase"] = "prefill";
  j["workload"]["prefill_tokens_per_gpu"] = 8192;
  Json h = j;
  h["workload"]["prefill_tokens_per_gpu"] = 4096;
  const auto s = resolve_json(j);
  EngineConfig tbo;
  tbo.overlap = Overlap::two_batch_ideal;
  const PhaseResult r = evaluate_phase(s, Phase::prefill, tbo);
  const PhaseResult half = evaluate_phase(resolve_json(h), Phase::prefill, EngineConfig{});
  const auto& l = layer(r, "moe");
  const auto& hl = layer(half, "moe");
  double sms = 0;
  if (const NetworkCalibration* cal = find_network_calibration(s.system.name))
    if (auto it = cal->dispatch_kernels.find("deepep-normal"); it != cal->dispatch_kernels.end())
      sms = it->second.num_sms;
  ASSERT_GT(sms, 0.0);
  EXPECT_DOUBLE_EQ(r.communication_sms, sms);
  const double units = s.accelerator.compute_units.value;
  const double c = 2.0 * hl.compute_seconds, m = 2.0 * hl.communication_seconds;
  // Slowed compute: at least the plain stream, at most the SM-fraction stretch (the engine's SM dependence is
  // weaker for memory-bound kernels, which still draw the full HBM bandwidth from fewer SMs).
  EXPECT_GE(l.two_batch_ideal_seconds, std::max(c, m) - 1e-12);
  EXPECT_LE(l.two_batch_ideal_seconds, std::max(c * units / (units - sms), m) * (1 + 1e-9));
  EXPECT_GT(l.two_batch_ideal_seconds, std::max(c, m)); // compute-bound GEMMs do slow down
  // Without a calibration (speed of light: no SM budget) the compute stream is not stretched.
  EngineConfig sol = tbo;
  sol.network_calibration = "none";
  EngineConfig sol_serial;
  sol_serial.network_calibration = "none";
  const PhaseResult r2 = evaluate_phase(s, Phase::prefill, sol);
  const PhaseResult half2 = evaluate_phase(resolve_json(h), Phase::prefill, sol_serial);
  const auto& l2 = layer(r2, "moe");
  const auto& h2 = layer(half2, "moe");
  EXPECT_DOUBLE_EQ(r2.communication_sms, 0.0);
  EXPECT_NEAR(l2.two_batch_ideal_seconds, std::max(2.0 * h2.compute_seconds, 2.0 * h2.communication_seconds), 1e-12);
}

TEST(StepModel, PrefillOfOnePromptPerGpuWhenNoTokenBudget) {
  // A decode scenario's report also gives TTFT: prefill_tokens_per_gpu 0 = one prompt per GPU.
  const auto s = resolve_json(deepseek_decode());
  const DeploymentResult r = evaluate_deployment(s, EngineConfig{}, /*all_phases=*/true);
  ASSERT_TRUE(r.prefill.evaluated);
  EXPECT_DOUBLE_EQ(r.prefill.tokens_per_gpu_per_step, 2048.0);
  EXPECT_DOUBLE_EQ(r.prefill.sequences_per_gpu_per_step, 1.0);
  EXPECT_NEAR(r.prefill.tokens_per_s_per_gpu, 2048.0 / r.prefill.ttft_seconds, 1e-9);
  // Without all_phases only the workload's phase is evaluated.
  EXPECT_FALSE(evaluate_deployment(s, EngineConfig{}).prefill.evaluated);
}

// The prefill scatter and gather move the rows the dispatch kernel delivers (one per token and destination GPU),
// taken from the network model: in expected-value mode without the group limit they match the uniform-routing
// closed form; DeepSeek-V3's group limit concentrates a token's picks in 4 groups, so a GPU (4 experts of one
// group) receives fewer distinct rows for the same token-expert pairs.
TEST(StepModel, PrefillScatterUsesTheDispatchedRows) {
  Json j = deepseek_decode();
  j["workload"]["phase"] = "prefill";
  j["workload"]["prefill_tokens_per_gpu"] = 4096;
  j["routing"] = {{"kind", "uniform"}, {"group_limited", false}};
  const MoeNetworkCost free = moe_network_cost(resolve_json(j), Phase::prefill, 4096.0, EngineConfig{});
  EXPECT_EQ(free.routing, "expected:uniform");
  // EP64, 4 of 256 experts per GPU, top-8: 64 x 4096 x (1 - C(252, 8) / C(256, 8)).
  EXPECT_NEAR(free.busiest_gpu_received_rows, uniform_received_rows(4096.0, 64, 8, 256, 4),
              0.01 * 4096.0 * 64.0 * 0.12);
  j["routing"].erase("group_limited");
  const auto s = resolve_json(j);
  const MoeNetworkCost net = moe_network_cost(s, Phase::prefill, 4096.0, EngineConfig{});
  EXPECT_EQ(net.routing, "expected:uniform:group_limited");
  EXPECT_LT(net.busiest_gpu_received_rows, 0.99 * free.busiest_gpu_received_rows);
  EXPECT_NEAR(net.busiest_gpu_expert_tokens, free.busiest_gpu_expert_tokens, 1e-6 * free.busiest_gpu_expert_tokens);
  EXPECT_LT(net.busiest_gpu_received_rows, net.busiest_gpu_expert_tokens);
  // The engine's routed experts (speed of light, whole batch, no overlap) are exactly the module over the network
  // model's slot loads and received rows.
  EngineConfig cfg;
  cfg.compute.mode = EngineMode::speed_of_light;
  const PhaseResult r = evaluate_phase(s, Phase::prefill, cfg);
  const ComputeEngine sol(s.accelerator, default_compute_calibration(), cfg.compute);
  const auto ops =
      routed_expert_operators(r.moe.busiest_gpu_slot_tokens, 7168, 2048, 2.0, DataType::fp8, DataType::bf16,
                              DataType::fp8, GroupedLayout::contiguous, net.busiest_gpu_received_rows);
  double expect = 0;
  for (const auto& op : ops)
    expect += sol.evaluate(op).seconds;
  EXPECT_NEAR(comp(layer(r, "moe"), "routed_experts"), expect, 1e-9 * expect);
  EXPECT_DOUBLE_EQ(phase_result_to_json(r)["moe"]["busiest_gpu_received_rows"].get<double>(),
                   net.busiest_gpu_received_rows);
  ASSERT_EQ(ops.front().name, "routed_experts.scatter");
  EXPECT_GT(sol.evaluate(ops.front()).seconds + sol.evaluate(ops.back()).seconds, 0.05 * expect);
}
