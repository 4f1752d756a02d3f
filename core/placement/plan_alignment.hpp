#pragma once
// Relabelling a re-fitted plan so that moving to it loads as few expert copies as possible. Nodes are
// interchangeable, and so are the GPUs of one node: a strategy fitted twice on similar data may return the same
// grouping under other node numbers, which would move nearly every expert for nothing. align_plan permutes `next`'s
// nodes (one permutation for all layers, since a request is homed on one node for every layer; the homing policy's
// per-node rows follow) and then, per layer and node, its GPUs, each by a maximum-weight assignment of the copies
// the two plans share (exact for nodes and for up to 16 GPUs per node, greedy by shared copies above). Traffic and
// load are unchanged, except where homing breaks a tie by node number.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "placement/strategy.hpp"

namespace moescope::placement {

void align_plan(const PlacementPlan& current, PlacementPlan& next, std::int32_t gpus_per_node);

// Maximum-weight perfect assignment of an n x n matrix (row-major): column[i] for each row i maximising the sum of
// weight[i][column[i]] (Hungarian method, O(n^3)).
std::vector<std::int32_t> max_weight_assignment(std::span<const double> weight, std::size_t n);

} // namespace moescope::placement
