// "activation-kmeans": the paper's method (Bambhaniya et al., arXiv 2604.23150), implemented as described:
//  1. each training request is its vector of decode (traffic-part) selections per (layer, expert), L2-normalised;
//  2. K-means into one cluster per node (k-means++, 3 restarts); cluster c is mapped to node c;
//  3. per layer, experts go to nodes by utility: all (cluster, expert) pairs in decreasing order of the cluster's
//     selections of the expert, each expert placed once, while the node has free slots; unused experts fill the rest;
//     within a node, experts are spread over GPUs by load (balanced packing);
//  4. optional second stage (redundant slots): each node's extra slots take the highest-utility experts of its
//     cluster that it does not hold;
//  5. homing (micro-batch grouping): a new request goes to the node of the centroid nearest to its L2-normalised
//     prefill vector, under the balance cap.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "placement/kmeans.hpp"
#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

class ActivationKMeansStrategy final : public PlacementStrategy {
public:
  std::string name() const override { return "activation-kmeans"; }
  std::string description() const override {
    return "paper: K-means of normalised per-request decode vectors, one cluster per node, experts by utility, "
           "homing by nearest centroid of the prefill";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto& t = pb.topology;
    const std::size_t E = s.num_experts, V = s.vec_size(), N = std::size_t(t.nodes);
    // 1-2. normalised decode vectors, one cluster per node
    std::vector<std::size_t> used;
    const auto km = cluster_requests(s, t.nodes, pb.options.seed, used);
    // 3. utility placement per layer
    const std::int32_t base = t.base_slots(std::int32_t(E));
    const std::int32_t redundant = t.redundant_slots(std::int32_t(E));
    const std::size_t cap = std::size_t(base) * std::size_t(t.gpus_per_node);
    const auto util = cluster_utility(s, km, used, N);
    PlacementPlan plan;
    plan.strategy = name();
    for (std::uint32_t l = 0; l < s.num_layers; ++l) {
      const auto node_of = utility_assignment(util, l, E, N, V, cap);
      // 4. redundant copies of each node's highest-utility experts
      std::vector<std::vector<std::pair<std::int32_t, double>>> extra(N);
      if (redundant > 0) {
        const std::size_t slots = std::size_t(redundant) * std::size_t(t.gpus_per_node);
        std::vector<double> taken(E, 0.0);
        for (std::size_t c = 0; c < N; ++c) {
          std::vector<std::size_t> order(E);
          std::iota(order.begin(), order.end(), std::size_t{0});
          const double* u = util.data() + c * V + l * E;
          std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return u[a] > u[b]; });
          for (std::size_t e : order) {
            if (extra[c].size() >= slots) break;
            if (node_of[e] == std::int32_t(c)) continue;
            extra[c].push_back({std::int32_t(e), u[e]});
            taken[e] += u[e];
          }
        }
      }
      plan.layers.push_back(
          detail::node_assignment_to_placement(node_of, s.layer_load(l), t.nodes, t.gpus_per_node, extra));
    }
    // 5. nearest-centroid homing
    plan.homing = centroid_homing(km, t.nodes, V, pb.options.balance_cap);
    return plan;
  }
};

// Self-registration (util/registry.hpp): nothing else names this strategy.
const Registrar<PlacementStrategy> registered{50, [] { return std::make_unique<ActivationKMeansStrategy>(); }};
} // namespace
} // namespace moescope::placement
