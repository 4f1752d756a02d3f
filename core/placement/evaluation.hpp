#pragma once
// Evaluating a placement plan on requests it was not fitted on: home each request from its homing part (prefill, or
// the first quarter of a prefill-only request) with the plan's homing policy, then route the traffic part's tokens to
// the experts' replicas and count, per MoE layer and overall:
//  - token-expert pairs, and those whose replica is on another node than the token's home ("inter-node pairs");
//  - node-deduplicated inter-node bytes: a token crosses to each remote node it needs once (bytes_per_token each);
//  - the busiest link: the largest, over nodes, of a node's inbound or outbound node-deduplicated bytes (dispatch;
//    combine is the mirror image);
//  - GPU load (token-expert pairs per GPU) max and mean;
//  - with EvalOptions::expert_seconds, the routed-expert compute time of the slowest GPU (the caller's compute model
//    timing each GPU's tokens per expert slot), and the MoE layer time: that plus the all-to-all (DeepEP normal);
//  - tokens and requests per node, max and mean.
// Which copy of an expert a token uses: EvalOptions::replica_rule (network/replica_routing.hpp).
// Requests are homed in batches of `window` consecutive requests (0: all at once); the busiest-link, GPU-load and
// per-node figures are per batch and summed over batches (a batch is one step whose time the busiest link sets).
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "placement/strategy.hpp"

namespace moescope::placement {

struct EvalOptions {
  double bytes_per_token = 2048.0; // dispatch bytes of one token row (hidden x bytes per element)
  std::size_t window = 0;
  // All-to-all time through the network model (core/network/dispatch.hpp), when set.
  bool all_to_all_time = false;
  // Which copy of an expert a token uses; nullopt: each placement's own Placement::choice.
  std::optional<ReplicaChoice> replica_rule = ReplicaChoice::node_cover;
  // Seconds one GPU spends on its routed experts, given the tokens of each expert it holds (one entry per copy on
  // it); unset: not computed.
  std::function<double(std::span<const double> tokens_per_slot)> expert_seconds;
};

struct LayerMetrics {
  double pairs = 0.0;
  double inter_node_pairs = 0.0;
  double dedup_bytes = 0.0;        // node-deduplicated inter-node bytes
  double busiest_link_bytes = 0.0; // summed over batches
  double gpu_load_max = 0.0;       // summed over batches
  double gpu_load_mean = 0.0;      // summed over batches
  // All-to-all (dispatch + combine) seconds through the network model, summed over batches (-1: not computed).
  double a2a_normal_seconds = -1.0;      // DeepEP normal (node-deduplicated, no padding)
  double a2a_low_latency_seconds = -1.0; // DeepEP low-latency (padded receive buffers)
  double expert_seconds = -1.0;          // routed-expert compute of the slowest GPU, summed over batches
  // MoE layer seconds: expert compute + DeepEP normal dispatch and combine, no overlap (-1: either is missing).
  double moe_layer_seconds() const {
    return expert_seconds >= 0 && a2a_normal_seconds >= 0 ? expert_seconds + a2a_normal_seconds : -1.0;
  }
};

struct PlanMetrics {
  std::string strategy;
  std::vector<LayerMetrics> layers;
  LayerMetrics total; // sums over layers
  double traffic_tokens = 0.0;
  double tokens_per_node_max = 0.0, tokens_per_node_mean = 0.0;     // summed over batches
  double requests_per_node_max = 0.0, requests_per_node_mean = 0.0; // summed over batches
  std::vector<std::int32_t> home;                                   // node of each evaluated request (last evaluation)

  double gpu_max_over_mean() const { return total.gpu_load_mean > 0 ? total.gpu_load_max / total.gpu_load_mean : 0.0; }
  double tokens_max_over_mean() const {
    return tokens_per_node_mean > 0 ? tokens_per_node_max / tokens_per_node_mean : 0.0;
  }
  double requests_max_over_mean() const {
    return requests_per_node_mean > 0 ? requests_per_node_max / requests_per_node_mean : 0.0;
  }
  // Adds another evaluation (e.g. another fold) into this one.
  void accumulate(const PlanMetrics& other);
};

PlanMetrics evaluate_plan(const PlacementPlan& plan, const RoutingStats& test, const PlacementTopology& topology,
                          const EvalOptions& options = {});

} // namespace moescope::placement
