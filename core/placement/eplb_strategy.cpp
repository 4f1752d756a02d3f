// DeepSeek EPLB (github.com/deepseek-ai/EPLB, eplb.py), per layer, with the published semantics:
//  hierarchical (rebalance_experts_hierarchical): pack contiguous expert groups onto nodes by balanced_packing of
//    group loads; within each node replicate the hottest experts greedily (largest load / replicas first) up to the
//    node's physical slots; pack the physical experts onto the node's GPUs by balanced_packing of load / replicas.
//  global: the same with one group and one node (replicas over all GPUs, then packing over all GPUs).
// As in eplb.rebalance_experts, hierarchical falls back to global when groups do not divide evenly over nodes.
// Physical slots = GPUs x slots per GPU (redundant when more than experts). Requests are homed by tokens.
#include <algorithm>

#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

Placement eplb_layer(std::span<const double> weight, std::int32_t num_phy, std::int32_t groups, std::int32_t nodes,
                     std::int32_t gpus) {
  const auto E = std::int32_t(weight.size());
  if (groups < 1 || E % groups != 0 || groups % nodes != 0 || gpus % nodes != 0 || num_phy % gpus != 0 ||
      num_phy % nodes != 0 || (num_phy / nodes) < (E / nodes)) {
    groups = 1;
    nodes = 1;
  }
  const std::int32_t group_size = E / groups, groups_per_node = groups / nodes, gpn = gpus / nodes;
  const std::int32_t log_per_node = E / nodes, phy_per_node = num_phy / nodes;
  // step 1: groups to nodes
  std::vector<double> group_w(std::size_t(groups), 0.0);
  for (std::int32_t e = 0; e < E; ++e)
    group_w[std::size_t(e / group_size)] += weight[std::size_t(e)];
  std::vector<std::int32_t> gpack, grank;
  detail::balanced_packing(group_w, nodes, gpack, grank);
  std::vector<std::int32_t> mlog2log(static_cast<std::size_t>(E));
  for (std::int32_t e = 0; e < E; ++e) {
    const auto g = std::size_t(e / group_size);
    const std::int32_t mlog = (gpack[g] * groups_per_node + grank[g]) * group_size + e % group_size;
    mlog2log[std::size_t(mlog)] = e;
  }
  std::vector<std::vector<std::int32_t>> lists(static_cast<std::size_t>(E));
  std::vector<double> row(static_cast<std::size_t>(log_per_node)), phy_w(static_cast<std::size_t>(phy_per_node));
  std::vector<std::int32_t> phy2mlog, phyrank, mlogcnt, pack, rank;
  for (std::int32_t n = 0; n < nodes; ++n) {
    // step 2: replicas within the node
    for (std::int32_t i = 0; i < log_per_node; ++i)
      row[std::size_t(i)] = weight[std::size_t(mlog2log[std::size_t(n * log_per_node + i)])];
    detail::replicate_experts(row, phy_per_node, phy2mlog, phyrank, mlogcnt);
    // step 3: physical experts to the node's GPUs
    for (std::int32_t i = 0; i < phy_per_node; ++i) {
      const auto m = std::size_t(phy2mlog[std::size_t(i)]);
      phy_w[std::size_t(i)] = row[m] / mlogcnt[m];
    }
    detail::balanced_packing(phy_w, gpn, pack, rank);
    for (std::int32_t i = 0; i < phy_per_node; ++i) {
      const std::int32_t e = mlog2log[std::size_t(n * log_per_node + phy2mlog[std::size_t(i)])];
      const std::int32_t g = n * gpn + pack[std::size_t(i)];
      auto& l = lists[std::size_t(e)];
      if (std::find(l.begin(), l.end(), g) == l.end()) l.push_back(g);
    }
  }
  return Placement::from_lists(gpus, lists, ReplicaChoice::same_node_first);
}

class EplbStrategy final : public PlacementStrategy {
public:
  explicit EplbStrategy(bool hierarchical) : hierarchical_(hierarchical) {}
  std::string name() const override { return hierarchical_ ? "eplb-hierarchical" : "eplb-global"; }
  std::string description() const override {
    return hierarchical_ ? "DeepSeek EPLB hierarchical: expert groups to nodes, replicas and packing within nodes"
                         : "DeepSeek EPLB global: replicas of hot experts, balanced packing over all GPUs";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto E = std::int32_t(s.num_experts);
    const auto& t = pb.topology;
    const std::int32_t num_phy = t.num_gpus() * t.slots(E);
    const std::int32_t groups = hierarchical_ ? (pb.options.eplb_groups > 0 ? pb.options.eplb_groups : t.nodes) : 1;
    const std::int32_t nodes = hierarchical_ ? t.nodes : 1;
    PlacementPlan plan;
    plan.strategy = name();
    for (std::uint32_t l = 0; l < s.num_layers; ++l)
      plan.layers.push_back(eplb_layer(s.layer_load(l), num_phy, groups, nodes, t.num_gpus()));
    plan.homing.kind = HomingKind::balanced;
    plan.homing.nodes = t.nodes;
    plan.homing.balance_cap = pb.options.balance_cap;
    return plan;
  }
  // EPLB on the expected loads; the hierarchical policy groups by the model's expert groups.
  std::optional<Placement> fit_expected(std::span<const double> expert_load, std::int32_t gpus, std::int32_t nodes,
                                        std::int32_t slots, std::int32_t expert_groups) const override {
    const std::int32_t groups = hierarchical_ ? std::max<std::int32_t>(1, expert_groups) : 1;
    return eplb_layer(expert_load, gpus * slots, groups, hierarchical_ ? nodes : 1, gpus);
  }

private:
  bool hierarchical_;
};

} // namespace

// One layer, exposed for tests.
Placement eplb_rebalance_layer(std::span<const double> weight, std::int32_t num_phy, std::int32_t groups,
                               std::int32_t nodes, std::int32_t gpus) {
  return eplb_layer(weight, num_phy, groups, nodes, gpus);
}

namespace { // self-registration (util/registry.hpp)
const Registrar<PlacementStrategy> registered_hierarchical{30, [] { return std::make_unique<EplbStrategy>(true); }};
const Registrar<PlacementStrategy> registered_global{40, [] { return std::make_unique<EplbStrategy>(false); }};
} // namespace
} // namespace moescope::placement
