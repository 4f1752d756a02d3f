#pragma once
// All-to-all time of a placement through the network model (core/network/dispatch.hpp): the tokens of a batch, each
// on a GPU of its home node (round-robin over the node's GPUs), dispatched and combined by DeepEP normal (one copy per
// destination node, no padding) and DeepEP low-latency (receive buffers padded to the max tokens per rank), on a
// speed-of-light topology with a2a_topology_params() (H200-class: NVLink switch, one 400 Gb/s NIC per GPU).
#include <cstdint>
#include <optional>
#include <vector>

#include "network/dispatch.hpp"
#include "placement/evaluation.hpp"

namespace moescope::placement {

TopologyParams a2a_topology_params(std::int32_t nodes, std::int32_t gpus_per_node);

class A2ATimer {
public:
  // `rule`: the replica rule (nullopt: each placement's own).
  void begin_batch(const PlacementPlan& plan, const PlacementTopology& topo, double bytes_per_token, std::int32_t top_k,
                   std::optional<ReplicaChoice> rule);
  // Token `token` (global index) homed on `node` selects experts ids[0..k) at layer l.
  void add_token(std::size_t layer, std::uint64_t token, std::size_t node, const std::uint16_t* ids);
  // Evaluates every layer of the batch and adds the seconds to `layers`.
  void end_batch(std::vector<LayerMetrics>& layers);

private:
  const PlacementPlan* plan_ = nullptr;
  PlacementTopology topo_;
  Topology topology_;
  double bytes_per_token_ = 0.0;
  std::optional<ReplicaChoice> rule_;
  std::vector<TokenRouting> routing_; // per layer
  DispatchWorkspace ws_;
};

} // namespace moescope::placement
