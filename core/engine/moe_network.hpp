#pragma once
// The MoE dispatch/combine cost of one layer as the step model needs it: placement- and routing-aware, in
// expected-value mode (uniform / power-law routing; placement "linear" or EPLB fitted on the expected loads) or
// trace-driven (the scenario's trace and placement strategy: batches of real tokens routed through the placement).
// Expected-value results are memoized per thread on everything they depend on, so that sweeps that vary only
// compute or memory parameters do not recompute the network.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine_config.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

struct MoeNetworkCost {
  std::string kernel, placement, routing, busiest_link, note;
  double dispatch_seconds = 0, combine_seconds = 0;
  double busiest_gpu_expert_tokens = 0; // token-expert pairs the busiest GPU computes (expected maximum)
  double mean_gpu_expert_tokens = 0;
  double busiest_gpu_received_rows = 0; // token rows the dispatch delivers to the busiest GPU (one per token)
  std::vector<std::int64_t> busiest_gpu_slot_tokens; // trace-driven: per slot of the busiest GPU; else empty
  double scale_up_bytes_per_gpu = 0;                 // dispatch + combine bytes per GPU of the EP group
  double scale_out_bytes_per_gpu = 0;
  double scale_up_bandwidth_per_gpu = 0;  // achievable, one direction (for utilization)
  double scale_out_bandwidth_per_gpu = 0; // 0 without a scale-out network
  double communication_sms = 0;           // SMs the dispatch/combine kernels occupy while they run (0: none reserved)
  bool calibrated = false;
};

// `tokens_per_gpu`: tokens each GPU routes in this micro-batch.
MoeNetworkCost moe_network_cost(const ResolvedScenario& s, Phase phase, double tokens_per_gpu, const EngineConfig& c);

} // namespace moescope
