#pragma once
// The MoE dispatch/combine cost of one layer as the step model needs it: placement- and routing-aware, in
// expected-value mode (uniform / power-law routing; the scenario's placement strategy on the expected loads where it
// has an expected-value form, else linear placement, said in the note) or trace-driven (the scenario's trace and
// placement strategy: batches of real tokens routed through the placement). Expected-value results are memoized per
// thread on everything they depend on, so that sweeps that vary only compute or memory parameters do not recompute
// the network.
#include <cstdint>
#include <string>
#include <vector>

#include "network/topology.hpp"
#include "scenario/engine_config.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

// One direction (dispatch or combine) of one layer's all-to-all.
struct AllToAllPhase {
  double seconds = 0;
  double transfer_seconds = 0; // busiest link's bytes over its achievable bandwidth
  double latency_seconds = 0, message_seconds = 0, fixed_seconds = 0;
  std::string busiest_link = "none"; // trace-driven: averaged over batches, no single link
  double busiest_link_bytes = 0;
  double busiest_link_bandwidth_bytes_per_s = 0;
  double scale_up_bytes = 0, scale_out_bytes = 0; // over the EP group (each scale-up hop counted)
};

struct MoeNetworkCost {
  std::string kernel, placement, routing, note;
  std::string replica_rule;  // with redundant expert slots: which copy a token uses ("": one copy per expert)
  std::string mode;          // "expected_value" or "trace"
  std::int32_t ep_gpus = 0;  // GPUs of the expert-parallel group
  double tokens_per_gpu = 0; // tokens each GPU routes in this micro-batch
  double dispatch_bytes_per_token = 0, combine_bytes_per_token = 0;
  AllToAllPhase dispatch, combine;
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

// `tokens_per_gpu`: tokens each GPU routes in this micro-batch. Reads the network calibration and the trace from
// s.inputs (engine/input_loader.hpp).
MoeNetworkCost moe_network_cost(const ResolvedScenario& s, Phase phase, double tokens_per_gpu, const EngineConfig& c);

// Bytes of one MoE layer's all-to-all between every pair of GPUs (row-major [source * gpus + destination]: what the
// source writes into the destination's receive buffer, over the scale-up fabric or the NICs) and their node x node
// sums, as moe_network_cost routes it (same kernel, placement and routing): expected values, or the mean over the
// trace-driven batches. Not memoized; refused above kMaxTrafficMatrixGpus GPUs (InputError on /deployment/nodes).
struct TrafficMatrices {
  std::int32_t gpus = 0, nodes = 0, gpus_per_node = 0;
  std::vector<double> dispatch_gpu_bytes, combine_gpu_bytes;   // gpus x gpus
  std::vector<double> dispatch_node_bytes, combine_node_bytes; // nodes x nodes
};
TrafficMatrices moe_traffic_matrices(const ResolvedScenario& s, Phase phase, double tokens_per_gpu,
                                     const EngineConfig& c);

// Throws InputError on /deployment/nodes when `topo` has more GPUs than the traffic model keeps GPU x GPU matrices for
// (kMaxTrafficMatrixGpus); `why` says what needs the matrices. Callers check only when the matrices are needed.
void check_traffic_matrix_size(const ResolvedScenario& s, const Topology& topo, const char* why);

// Checks the extension names of `c` against their registries: InputError on /engine/decode_kernel,
// /engine/prefill_kernel or /engine/collective_algorithm listing the registered ones.
void check_engine_extension_names(const Scenario& s, const EngineConfig& c);

// Cache statistics of the expected-value network model (per thread), for benchmarks.
struct EngineCacheStats {
  std::size_t network_hits = 0, network_misses = 0;
};
EngineCacheStats engine_cache_stats();
void set_engine_network_cache(bool enabled); // per thread; default enabled

} // namespace moescope
