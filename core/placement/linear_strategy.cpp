// "linear": contiguous blocks (Placement::linear); extra slots replicate the lowest-numbered experts. Requests are
// homed activation-blind (balanced by tokens).
#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

class LinearStrategy final : public PlacementStrategy {
public:
  std::string name() const override { return "linear"; }
  std::string description() const override {
    return "contiguous expert blocks per GPU; requests balanced by tokens (baseline)";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto E = std::int32_t(s.num_experts);
    PlacementPlan plan;
    plan.strategy = name();
    plan.layers.assign(s.num_layers, Placement::linear(E, pb.topology.num_gpus(), pb.topology.slots(E)));
    plan.homing.kind = HomingKind::balanced;
    plan.homing.nodes = pb.topology.nodes;
    plan.homing.balance_cap = pb.options.balance_cap;
    return plan;
  }
  std::optional<Placement> fit_expected(std::span<const double> expert_load, std::int32_t gpus, std::int32_t,
                                        std::int32_t slots, std::int32_t) const override {
    return Placement::linear(static_cast<std::int32_t>(expert_load.size()), gpus, slots);
  }
};

// Self-registration (util/registry.hpp): nothing else names this strategy.
const Registrar<PlacementStrategy> registered{10, [] { return std::make_unique<LinearStrategy>(); }};
} // namespace
} // namespace moescope::placement
