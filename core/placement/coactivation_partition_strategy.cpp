// "coact-partition": per layer, a balanced k-way partition of the co-activation graph (edge = tokens selecting both
// experts) over nodes, so that a token's top-k tends to sit on few nodes: greedy growth, then Kernighan-Lin swaps,
// with node load within node_load_cap x mean; within a node, experts go to GPUs by load (balanced packing).
// Redundant slots: replicas of the hottest experts (largest load / replicas first, as EPLB), each on the node with the
// most co-activation with it that has room and does not hold it. Homing: by affinity (the share of the request's
// prefill selections whose expert lives on the node), under the balance cap.
#include <algorithm>
#include <numeric>

#include "placement/partition.hpp"
#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

class CoactivationPartitionStrategy final : public PlacementStrategy {
public:
  std::string name() const override { return "coact-partition"; }
  std::string description() const override {
    return "balanced k-way partition of the co-activation graph over nodes (KL refinement), load-packed GPUs, "
           "affinity homing";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto& t = pb.topology;
    const std::size_t E = s.num_experts, N = std::size_t(t.nodes);
    const std::int32_t base = t.base_slots(std::int32_t(E));
    const std::int32_t redundant = t.redundant_slots(std::int32_t(E));
    PartitionOptions po;
    po.load_cap = pb.options.node_load_cap;
    PlacementPlan plan;
    plan.strategy = name();
    std::vector<float> zero;
    for (std::uint32_t l = 0; l < s.num_layers; ++l) {
      const float* W = s.coact.empty() ? (zero.assign(E * E, 0.0f), zero.data()) : s.layer_coact(l);
      const auto load = s.layer_load(l);
      auto node_of = balanced_partition(W, load, t.nodes, base * t.gpus_per_node, po);
      std::vector<std::vector<std::pair<std::int32_t, double>>> extra(N);
      if (redundant > 0) {
        const std::size_t slots = std::size_t(redundant) * std::size_t(t.gpus_per_node);
        std::vector<double> reps(E, 1.0);
        std::vector<std::vector<char>> holds(N, std::vector<char>(E, 0));
        for (std::size_t e = 0; e < E; ++e)
          holds[std::size_t(node_of[e])][e] = 1;
        for (std::size_t k = 0; k < slots * N; ++k) {
          // hottest by load / replicas among experts some node can still take
          std::size_t best_e = E, best_n = N;
          double bv = -1.0;
          for (std::size_t e = 0; e < E; ++e) {
            const double v = load[e] / reps[e];
            if (v <= bv) continue;
            std::size_t bn = N;
            double bc = -1.0;
            for (std::size_t n = 0; n < N; ++n) {
              if (holds[n][e] || extra[n].size() >= slots) continue;
              double c = 0.0;
              for (std::size_t f = 0; f < E; ++f)
                if (holds[n][f]) c += W[e * E + f];
              if (c > bc) {
                bc = c;
                bn = n;
              }
            }
            if (bn == N) continue;
            bv = v;
            best_e = e;
            best_n = bn;
          }
          if (best_e == E) break;
          holds[best_n][best_e] = 1;
          reps[best_e] += 1.0;
          extra[best_n].push_back({std::int32_t(best_e), 0.0});
        }
        for (auto& x : extra)
          for (auto& [e, w] : x)
            w = load[std::size_t(e)] / reps[std::size_t(e)];
      }
      plan.layers.push_back(detail::node_assignment_to_placement(node_of, load, t.nodes, t.gpus_per_node, extra));
    }
    plan.homing = affinity_homing(plan.layers, t.nodes, t.gpus_per_node, E, pb.options.balance_cap);
    return plan;
  }
};

// Self-registration (util/registry.hpp): nothing else names this strategy.
const Registrar<PlacementStrategy> registered{60, [] { return std::make_unique<CoactivationPartitionStrategy>(); }};
} // namespace
} // namespace moescope::placement
