// EPLB with an expert's copies on distinct nodes ("eplb-spread"): the copies of eplb.py's replicate_experts over all
// physical slots (as eplb-global), then packed onto GPUs heaviest first (load / copies), each to the lightest GPU with
// room on a node that holds no copy of the same expert yet (any lightest GPU with room when every node has one).
// eplb-global's balanced_packing ignores nodes, so an expert's copies often share one node and a remote token gains
// nothing from them; spread over nodes, a copy is more often on the token's home node or on a node it reaches anyway
// (replica rule node_cover). Requests are homed by tokens, as for EPLB.
#include <algorithm>
#include <numeric>

#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

Placement eplb_spread_layer(std::span<const double> weight, std::int32_t slots, std::int32_t nodes, std::int32_t gpus) {
  const auto E = std::int32_t(weight.size());
  const std::int32_t gpn = std::max<std::int32_t>(1, gpus / std::max<std::int32_t>(1, nodes));
  std::vector<std::int32_t> phy2log, rank, count;
  detail::replicate_experts(weight, gpus * slots, phy2log, rank, count);
  std::vector<double> phy_w(phy2log.size());
  for (std::size_t i = 0; i < phy2log.size(); ++i)
    phy_w[i] = weight[std::size_t(phy2log[i])] / count[std::size_t(phy2log[i])];
  std::vector<std::size_t> order(phy2log.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return phy_w[a] > phy_w[b]; });
  std::vector<double> gpu_w(std::size_t(gpus), 0.0);
  std::vector<std::int32_t> used(std::size_t(gpus), 0);
  std::vector<std::vector<std::int32_t>> lists(static_cast<std::size_t>(E));
  for (std::size_t i : order) {
    auto& l = lists[std::size_t(phy2log[i])];
    auto node_taken = [&](std::int32_t g) {
      return std::any_of(l.begin(), l.end(), [&](std::int32_t h) { return h / gpn == g / gpn; });
    };
    std::int32_t best = -1;
    bool best_new_node = false;
    for (std::int32_t g = 0; g < gpus; ++g) {
      if (used[std::size_t(g)] >= slots || std::find(l.begin(), l.end(), g) != l.end()) continue;
      const bool new_node = !node_taken(g);
      if (best < 0 || (new_node && !best_new_node) ||
          (new_node == best_new_node && gpu_w[std::size_t(g)] < gpu_w[std::size_t(best)])) {
        best = g;
        best_new_node = new_node;
      }
    }
    if (best < 0) continue; // every GPU with room already holds this expert: the slot stays a duplicate-free gap
    l.push_back(best);
    gpu_w[std::size_t(best)] += phy_w[i];
    ++used[std::size_t(best)];
  }
  return Placement::from_lists(gpus, lists, ReplicaChoice::node_cover);
}

class EplbSpreadStrategy final : public PlacementStrategy {
public:
  std::string name() const override { return "eplb-spread"; }
  std::string description() const override {
    return "EPLB replicas of hot experts, each expert's copies packed onto distinct nodes";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto& t = pb.topology;
    PlacementPlan plan;
    plan.strategy = name();
    for (std::uint32_t l = 0; l < s.num_layers; ++l)
      plan.layers.push_back(
          eplb_spread_layer(s.layer_load(l), t.slots(std::int32_t(s.num_experts)), t.nodes, t.num_gpus()));
    plan.homing.kind = HomingKind::balanced;
    plan.homing.nodes = t.nodes;
    plan.homing.balance_cap = pb.options.balance_cap;
    return plan;
  }
  std::optional<Placement> fit_expected(std::span<const double> expert_load, std::int32_t gpus, std::int32_t nodes,
                                        std::int32_t slots, std::int32_t) const override {
    return eplb_spread_layer(expert_load, slots, nodes, gpus);
  }
};

const Registrar<PlacementStrategy> registered{45, [] { return std::make_unique<EplbSpreadStrategy>(); }};

} // namespace
} // namespace moescope::placement
