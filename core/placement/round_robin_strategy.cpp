// "round-robin": slot s of GPU g holds expert (s x GPUs + g) mod E (experts striped over GPUs, so consecutive experts
// land on different nodes). Requests are homed activation-blind (balanced by tokens).
#include <algorithm>

#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

class RoundRobinStrategy final : public PlacementStrategy {
public:
  std::string name() const override { return "round-robin"; }
  std::string description() const override {
    return "expert e on GPU e mod GPUs (striped); requests balanced by tokens";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto E = std::int32_t(s.num_experts);
    const auto G = pb.topology.num_gpus();
    const auto S = pb.topology.slots(E);
    std::vector<std::vector<std::int32_t>> lists(static_cast<std::size_t>(E));
    for (std::int32_t slot = 0; slot < S; ++slot)
      for (std::int32_t g = 0; g < G; ++g) {
        auto& l = lists[std::size_t((std::int64_t(slot) * G + g) % E)];
        if (std::find(l.begin(), l.end(), g) == l.end()) l.push_back(g);
      }
    PlacementPlan plan;
    plan.strategy = name();
    plan.layers.assign(s.num_layers, Placement::from_lists(G, lists));
    plan.homing.kind = HomingKind::balanced;
    plan.homing.nodes = pb.topology.nodes;
    plan.homing.balance_cap = pb.options.balance_cap;
    return plan;
  }
};

// Self-registration (util/registry.hpp): nothing else names this strategy.
const Registrar<PlacementStrategy> registered{20, [] { return std::make_unique<RoundRobinStrategy>(); }};
} // namespace
} // namespace moescope::placement
