#include "study/placement_map.hpp"

#include <algorithm>
#include <numeric>

#include "placement/routing_stats.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

PlacementMap placement_map(const PlacementFit& fit, const trace::ExpertTrace& trace) {
  const auto E = std::int32_t(trace.num_experts());
  if (fit.plan.layers.size() != trace.num_layers() ||
      (!fit.plan.layers.empty() && fit.plan.layers.front().num_experts != E))
    throw InputError("trace", "", "the trace does not have the layers and experts the placement was fitted on");
  PlacementMap m;
  m.strategy = fit.plan.strategy;
  m.nodes = fit.topology.nodes;
  m.gpus_per_node = fit.topology.gpus_per_node;
  m.slots_per_gpu = fit.topology.slots(E);
  m.experts = E;
  m.moe_layer_ids = trace.metadata().moe_layer_ids;
  placement::StatsOptions so;
  so.coactivation = false;
  const auto stats = placement::compute_stats(trace, so);
  const auto G = std::size_t(fit.topology.num_gpus()), S = std::size_t(m.slots_per_gpu);
  for (std::uint32_t l = 0; l < trace.num_layers(); ++l) {
    const Placement& p = fit.plan.layers[l];
    const auto load = stats.layer_load(l);
    PlacementLayerMap lm;
    lm.slots.assign(G * S, PlacementSlot{});
    lm.gpu_tokens.assign(G, 0.0);
    std::vector<std::size_t> used(G, 0);
    for (std::int32_t e = 0; e < E; ++e) // ascending experts: each GPU's slots fill in expert order
      for (const std::int32_t* g = p.replicas_begin(e); g != p.replicas_begin(e) + p.replicas(e); ++g) {
        const auto gpu = std::size_t(*g);
        if (used[gpu] >= S) throw InputError("placement", "", "a GPU holds more experts than it has slots");
        PlacementSlot& s = lm.slots[gpu * S + used[gpu]++];
        s.expert = e;
        s.replicas = p.replicas(e);
        s.tokens = load[std::size_t(e)] / s.replicas;
        lm.gpu_tokens[gpu] += s.tokens;
      }
    lm.gpu_tokens_max = *std::max_element(lm.gpu_tokens.begin(), lm.gpu_tokens.end());
    lm.gpu_tokens_mean = std::accumulate(lm.gpu_tokens.begin(), lm.gpu_tokens.end(), 0.0) / double(G);
    m.layers.push_back(std::move(lm));
  }
  return m;
}

} // namespace moescope
