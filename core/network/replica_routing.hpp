#pragma once
// Which copy of each of a token's experts serves it: the placement's replica rule (ReplicaChoice), in one place for
// placement evaluation, the trace-driven network model, the all-to-all timer and the engine. A rule sees the token's
// whole top-k, so node_cover can keep the number of nodes a token reaches small (docs/placement.md "Replica rules").
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "network/expert_placement.hpp"

namespace moescope {

// Expected share of `expert`'s tokens from GPU `src` that each of its copies serves under p.choice (weights parallel
// to the copy list). node_cover needs forced_node[n]: the probability that the token reaches node n anyway; a remote
// expert then goes to node c with probability (1 - P0) f_c / sum f + P0 / |C| over its copies' nodes C (P0: that
// none of C is reached anyway), an approximation that ignores how the greedy cover weighs the token's other
// experts (docs/placement.md "Replica rules"). Within a node, copies share equally.
void expected_replica_shares(const Placement& p, std::int32_t gpus_per_node, std::int32_t expert, std::int32_t src,
                             const double* forced_node, double* w);

class ReplicaRouter {
public:
  static constexpr std::int32_t kMaxTopK = 64;

  // Zeroes the round-robin counters and per-GPU loads for `p`, on nodes of `gpus_per_node` GPUs (GPU g on node
  // g / gpus_per_node), routing by `rule` (default: the placement's own p.choice). `route` must then be given the
  // same placement (the node of each copy is kept from here).
  void reset(const Placement& p, std::int32_t gpus_per_node, std::optional<ReplicaChoice> rule = std::nullopt);
  ReplicaChoice rule() const { return rule_; }

  // gpus[j] = the GPU that serves experts[j] (-1 for a negative id) for a token on `src_gpu` (-1 when only its node
  // is known) of node `home_node`. Counts each pair in the GPU loads. Call reset first; top_k <= kMaxTopK.
  template <class Id>
  void route(const Placement& p, std::int32_t src_gpu, std::int32_t home_node, const Id* experts, std::int32_t top_k,
             std::int32_t* gpus) {
    if (top_k > kMaxTopK) throw std::invalid_argument("replica routing: top_k above 64");
    std::int32_t ids[kMaxTopK];
    for (std::int32_t j = 0; j < top_k; ++j)
      ids[j] = static_cast<std::int32_t>(experts[j]);
    route_ids(p, src_gpu, home_node, ids, top_k, gpus);
  }

  // Token-expert pairs served by each GPU since reset.
  const std::vector<double>& gpu_load() const { return load_; }

private:
  void route_ids(const Placement& p, std::int32_t src, std::int32_t home, const std::int32_t* ids, std::int32_t k,
                 std::int32_t* gpus);
  void route_node_cover(const Placement& p, std::int32_t src, std::int32_t home, const std::int32_t* ids,
                        std::int32_t k, std::int32_t* gpus);
  // The least-loaded copy of `expert` on a node that `on_allowed_node` accepts (first on ties); -1 when none.
  template <class Pred>
  std::int32_t least_loaded_where(const Placement& p, std::int32_t expert, Pred on_allowed_node) const;
  // The least-loaded copy of `expert` on `node`; -1 when it has none there.
  std::int32_t least_loaded_on(const Placement& p, std::int32_t expert, std::int32_t node) const;
  std::int32_t node_of(std::int32_t gpu) const { return gpu / gpus_per_node_; }
  // The node of copy i of `expert` (copy_node_ is parallel to the placement's replica_gpus).
  std::int32_t copy_node(const Placement& p, std::int32_t expert, std::int32_t i) const {
    return copy_node_[static_cast<std::size_t>(p.replica_offsets[static_cast<std::size_t>(expert)] + i)];
  }

  ReplicaChoice rule_ = ReplicaChoice::same_node_first;
  std::int32_t gpus_per_node_ = 1, nodes_ = 1;
  std::vector<std::uint32_t> counter_;       // per expert: round-robin over all copies
  std::vector<std::uint32_t> local_counter_; // per (expert, node): round-robin over the node's copies
  std::vector<double> load_;                 // per GPU
  std::vector<std::int32_t> copy_node_;      // per copy of the placement given to reset: its node
};

} // namespace moescope
