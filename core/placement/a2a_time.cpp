#include "placement/a2a_time.hpp"

#include <stdexcept>

namespace moescope::placement {

TopologyParams a2a_topology_params(std::int32_t nodes, std::int32_t gpus_per_node) {
  TopologyParams p;
  p.nodes = nodes;
  p.gpus_per_node = gpus_per_node;
  p.scale_up_topology = ScaleUpTopology::switched;
  p.scale_up_link_bandwidth_bytes_per_s = 450e9; // NVLink 4, one direction per GPU
  p.scale_up_links_per_device = 1.0;
  p.scale_up_latency_seconds = 1e-6;
  p.has_scale_out = nodes > 1;
  p.nic_bandwidth_bytes_per_s = 50e9; // 400 Gb/s
  p.nics_per_gpu = 1.0;
  p.nic_latency_seconds = 2e-6;
  p.rail_optimized = true;
  return p;
}

void A2ATimer::begin_batch(const PlacementPlan& plan, const PlacementTopology& topo, double bytes_per_token,
                           std::int32_t top_k, std::optional<ReplicaChoice> rule) {
  plan_ = &plan;
  rule_ = rule;
  if (topo.nodes != topo_.nodes || topo.gpus_per_node != topo_.gpus_per_node || topology_.num_gpus() == 0)
    topology_ = Topology(a2a_topology_params(topo.nodes, topo.gpus_per_node));
  topo_ = topo;
  bytes_per_token_ = bytes_per_token;
  TokenRouting empty;
  empty.top_k = top_k;
  routing_.assign(plan.layers.size(), empty);
}

void A2ATimer::add_token(std::size_t layer, std::uint64_t token, std::size_t node, const std::uint16_t* ids) {
  auto& r = routing_[layer];
  r.source_gpu.push_back(std::int32_t(node) * topo_.gpus_per_node +
                         std::int32_t(token % std::uint64_t(topo_.gpus_per_node)));
  for (std::int32_t j = 0; j < r.top_k; ++j)
    r.experts.push_back(ids[j]);
}

void A2ATimer::end_batch(std::vector<LayerMetrics>& layers) {
  const auto* normal = find_dispatch_kernel("deepep-normal");
  const auto* ll = find_dispatch_kernel("deepep-low-latency");
  DispatchPayload payload{bytes_per_token_, 2.0 * bytes_per_token_};
  KernelCosts costs;
  DispatchOptions opts;
  opts.replica_rule = rule_;
  for (std::size_t l = 0; l < routing_.size() && l < layers.size(); ++l) {
    if (routing_[l].num_tokens() == 0) continue;
    auto time = [&](const DispatchKernel* k) {
      if (!k) return -1.0;
      const auto& r = evaluate_dispatch(*k, topology_, plan_->layers[l], routing_[l], payload, costs, opts, ws_);
      return r.dispatch.seconds + r.combine.seconds;
    };
    auto add = [](double& acc, double v) {
      if (v < 0) return;
      acc = acc < 0 ? v : acc + v;
    };
    add(layers[l].a2a_normal_seconds, time(normal));
    add(layers[l].a2a_low_latency_seconds, time(ll));
  }
}

} // namespace moescope::placement
