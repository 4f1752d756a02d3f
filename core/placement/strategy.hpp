#pragma once
// Expert placement strategies: from routing statistics of a TRAINING set of requests and a topology to a placement
// per MoE layer (network/expert_placement.hpp) and a homing policy that assigns a new request to a node from its homing
// (prefill) activations only. One class per strategy, one file each (*_strategy.cpp), registering itself
// (util/registry.hpp) and listed by placement_strategies(); core/placement/README.md: adding one. See
// docs/placement.md.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "network/expert_placement.hpp"
#include "placement/routing_stats.hpp"
#include "util/registry.hpp"

namespace moescope::placement {

struct PlacementTopology {
  std::int32_t nodes = 1;
  std::int32_t gpus_per_node = 1;
  std::int32_t slots_per_gpu = 0; // expert slots per GPU including redundant ones; 0 = ceil(experts / GPUs)
  std::int32_t num_gpus() const { return nodes * gpus_per_node; }
  std::int32_t base_slots(std::int32_t num_experts) const { return (num_experts + num_gpus() - 1) / num_gpus(); }
  std::int32_t slots(std::int32_t num_experts) const {
    return slots_per_gpu > 0 ? slots_per_gpu : base_slots(num_experts);
  }
  // Redundant slots per GPU (slots beyond what holding every expert once needs).
  std::int32_t redundant_slots(std::int32_t num_experts) const { return slots(num_experts) - base_slots(num_experts); }
};

struct FitOptions {
  double balance_cap = 1.10;       // homing: weighted requests per node <= cap x mean (when it can be met)
  double node_load_cap = 1.05;     // placement strategies that bound it: expert load per node <= cap x mean
  std::uint64_t seed = 0;          // K-means initialisation and anything random
  std::int32_t eplb_groups = 0;    // EPLB hierarchical: expert groups (0 = one per node)
  double bytes_per_token = 2048.0; // dispatch bytes of one token row (hidden x bytes per element)
};

struct PlacementProblem {
  const RoutingStats& stats;
  PlacementTopology topology;
  FitOptions options;
};

// Which node a request is homed on, from its homing-part activation vector h (layer x expert counts) and its
// weight w (the tokens it brings; see docs/placement.md):
//   balanced: activation-blind, least weighted load (largest requests first);
//   affinity: score_n = sum_v h_v x weights[n][v] / sum_v h_v  (e.g. the share of its selections local to node n);
//   centroid: score_n = 2 <h / |h|, c_n> - |c_n|^2   (nearest K-means centroid, Euclidean on L2-normalised vectors).
// A batch is homed greedily: requests larger than both the cap's slack ((balance_cap - 1) x mean node load) and the
// mean request first, largest first;
// then the most decided requests first (largest margin between best and second score); each goes to its best node
// whose weighted load stays within balance_cap x mean, else to the least loaded node.
enum class HomingKind { balanced, affinity, centroid };
std::string to_string(HomingKind k);

struct HomingPolicy {
  HomingKind kind = HomingKind::balanced;
  std::int32_t nodes = 1;
  std::size_t vec_size = 0;
  std::vector<float> weights; // [node][vec_size]
  std::vector<float> bias;    // [node] (centroid: -|c_n|^2)
  double balance_cap = 1.10;

  // Scores of one request for every node (size nodes).
  void scores(std::span<const float> homing_vec, std::span<double> out) const;
  // Homes a batch: vecs[i] is request i's homing vector, weight[i] its weight. Returns the node of each request.
  std::vector<std::int32_t> assign(std::span<const std::span<const float>> vecs, std::span<const double> weight) const;
};

// Affinity weights from a placement: weights[n][l*E+e] = 1 when expert e (layer l) has a copy on node n, else 0.
HomingPolicy affinity_homing(const std::vector<Placement>& layers, std::int32_t nodes, std::int32_t gpus_per_node,
                             std::size_t num_experts, double balance_cap);

struct PlacementPlan {
  std::string strategy;
  std::vector<Placement> layers; // one per MoE layer slot
  HomingPolicy homing;
};

class PlacementStrategy {
public:
  virtual ~PlacementStrategy() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  virtual PlacementPlan fit(const PlacementProblem& problem) const = 0;
  // Expected-value form, for scenarios evaluated without a trace: the placement of one layer of `expert_load.size()`
  // experts (their expected loads: the routing's inclusion probabilities) on `gpus` GPUs in `nodes` nodes with
  // `slots` slots each; `expert_groups`: the model's expert groups (0: none). nullopt: the strategy needs a trace
  // (the engine then places linearly and says so).
  virtual std::optional<Placement> fit_expected(std::span<const double> expert_load, std::int32_t gpus,
                                                std::int32_t nodes, std::int32_t slots,
                                                std::int32_t expert_groups) const {
    (void)expert_load, (void)gpus, (void)nodes, (void)slots, (void)expert_groups;
    return std::nullopt;
  }
};

// Every registered strategy (Registry<PlacementStrategy>), in registration order (linear first).
const std::vector<std::unique_ptr<PlacementStrategy>>& placement_strategies();
const PlacementStrategy* find_placement_strategy(const std::string& name); // nullptr when unknown
std::vector<std::string> placement_strategy_names();

// EPLB for one layer (eplb.py rebalance_experts_hierarchical; groups = 1 and nodes = 1 is the global policy, and
// the hierarchical policy falls back to it when groups do not divide over nodes). weight: per logical expert.
Placement eplb_rebalance_layer(std::span<const double> weight, std::int32_t num_phy, std::int32_t groups,
                               std::int32_t nodes, std::int32_t gpus);

// Building blocks shared by the strategies (placement_common.cpp).
namespace detail {
// Homing weight of each request of `stats` (its traffic tokens).
std::vector<double> request_weights(const RoutingStats& stats);
// Homes the requests of `stats` by their homing vectors.
std::vector<std::int32_t> home_requests(const HomingPolicy& policy, const RoutingStats& stats);
// eplb.py balanced_packing for one row: n items with weights into `packs` packs of exactly n / packs items each
// (heaviest first, each to the lightest pack with room; ties to the lower index). Returns the pack of each item
// and its rank within the pack.
void balanced_packing(std::span<const double> weight, std::int32_t packs, std::vector<std::int32_t>& pack,
                      std::vector<std::int32_t>& rank);
// eplb.py replicate_experts for one row: num_phy physical experts from weight.size() logical ones; the i-th
// redundant copy goes to the expert with the largest weight / replicas (first on ties). phy2log, rank, count.
void replicate_experts(std::span<const double> weight, std::int32_t num_phy, std::vector<std::int32_t>& phy2log,
                       std::vector<std::int32_t>& rank, std::vector<std::int32_t>& count);
// Spreads the experts of each node over its GPUs: `node_experts[n]` lists the (physical) experts on node n with an
// estimated load each; packs them into gpus_per_node GPUs of `slots` slots (balanced_packing). Returns per expert
// the GPU list (appending to `lists`).
void pack_node_to_gpus(const std::vector<std::pair<std::int32_t, double>>& node_experts, std::int32_t node,
                       std::int32_t gpus_per_node, std::vector<std::vector<std::int32_t>>& lists);
// Node of each expert (one replica each) to a placement: GPUs by load-balanced packing within nodes, and
// `extra[n]` redundant experts of node n (replicas) with their estimated loads.
Placement node_assignment_to_placement(const std::vector<std::int32_t>& node_of, std::span<const double> load,
                                       std::int32_t nodes, std::int32_t gpus_per_node,
                                       const std::vector<std::vector<std::pair<std::int32_t, double>>>& extra = {});
} // namespace detail

} // namespace moescope::placement
