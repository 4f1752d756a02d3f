#pragma once
// Group-limited top-k selection (DeepSeek-V2/V3: the routed experts are split into `num_groups` contiguous groups, a
// token keeps the `groups_per_token` groups with the best scores and takes its top-k experts among them), as the
// expected-value dispatch needs it: the probability that a token selects none of a set of experts.
//
// Under exchangeable (uniform) expert scores the selection is described by the joint distribution of the number of
// experts a token picks in each group, c = (c_0, ..., c_{G-1}) with sum k and at most groups_per_token nonzero, and,
// given c_g, by c_g experts drawn without replacement from the group's own experts. For a set S with a share
// s_g of group g's experts (replica-weighted, 0..1):
//   P(none in S) = sum_c P(c) prod_g h_g(c_g),  h_g(c) = prod_{i < c} (1 - s_g * n / (n - i)),  n = experts per group.
// Unconstrained top-k (groups_per_token = num_groups) spreads a token further: for DeepSeek-V3 on 4 nodes of 2
// groups each, a token needs 2.35 of the 3 other nodes with the group limit against 2.71 without.
//
// P(c) is symmetric in the groups, so it is computed per partition of k (the sorted nonzero counts), exactly, for
// i.i.d. uniform scores with a group scored by its best expert (the model of sample_group_limited_routing, the
// sampler the trace-mode checks and DeepEP's tests use), and spread evenly over the arrangements of each partition.
#include <cstdint>
#include <memory>
#include <vector>

namespace moescope {

class GroupLimitedSelection {
public:
  // Shared, cached per shape (thread-safe). Throws std::invalid_argument if the shape is not a group limit
  // (groups must divide the experts, 1 <= groups_per_token < num_groups, top_k <= groups_per_token * group size)
  // or if it has more than kMaxCompositions count vectors.
  static std::shared_ptr<const GroupLimitedSelection> get(std::int32_t num_experts, std::int32_t num_groups,
                                                          std::int32_t groups_per_token, std::int32_t top_k);
  // Whether `get` accepts the shape (a real limit, small enough to enumerate).
  static bool applies(std::int32_t num_experts, std::int32_t num_groups, std::int32_t groups_per_token,
                      std::int32_t top_k);
  static constexpr std::size_t kMaxCompositions = 200000;

  std::int32_t num_groups() const { return num_groups_; }
  std::int32_t experts_per_group() const { return per_group_; }
  std::int32_t groups_per_token() const { return groups_per_token_; }
  std::int32_t top_k() const { return top_k_; }

  // P(a token selects none of a set S of experts); group_share[g] = share of group g's experts in S (0..1).
  double prob_none(const double* group_share) const;

  // Distribution of the number of groups a token picks at least one expert from: result[r] = P(r groups).
  std::vector<double> groups_touched_distribution() const;

  GroupLimitedSelection(std::int32_t num_experts, std::int32_t num_groups, std::int32_t groups_per_token,
                        std::int32_t top_k); // use get()

private:
  std::int32_t num_groups_, per_group_, groups_per_token_, top_k_;
  // Every count vector with a nonzero probability, flattened: entry i has parts_[offset_[i] .. offset_[i + 1])
  // as (group, count) pairs and probability prob_[i].
  std::vector<double> prob_;
  std::vector<std::uint32_t> offset_;
  std::vector<std::pair<std::int32_t, std::int32_t>> parts_;
  // Marginals for sets that touch few groups (a GPU's or a node's experts): marginal_[r - 1] lists, for r specific
  // groups (any r, by symmetry), each joint count vector with a nonzero probability as r counts then the
  // probability (stride r + 1). A set touching r <= kMarginalGroups groups sums over these instead of every
  // count vector.
  static constexpr std::int32_t kMarginalGroups = 4;
  std::vector<std::vector<double>> marginal_;
};

} // namespace moescope
