// The replica rules (network/replica_routing.hpp) on hand-made placements: 3 nodes of 2 GPUs (GPU g on node g / 2).
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "network/replica_routing.hpp"
#include "scenario/scenario.hpp"

namespace moescope {
namespace {

constexpr std::int32_t kGpusPerNode = 2;

// Experts: 0 on GPU 1 (node 0) and GPU 4 (node 2); 1 on GPUs 2 and 4 (nodes 1, 2); 2 on GPUs 5 and 3 (nodes 2, 1);
// 3 on GPU 5 only (node 2); 4 on GPUs 2 and 3 (both node 1); 5 on GPU 0.
Placement placement(ReplicaChoice rule) {
  return Placement::from_lists(6, {{1, 4}, {2, 4}, {5, 3}, {5}, {2, 3}, {0}}, rule);
}

ReplicaRouter router_for(const Placement& p) {
  ReplicaRouter r;
  r.reset(p, kGpusPerNode);
  return r;
}

std::vector<std::int32_t> route(ReplicaRouter& r, const Placement& p, std::int32_t src, std::vector<std::int32_t> ids) {
  std::vector<std::int32_t> out(ids.size());
  r.route(p, src, src / kGpusPerNode, ids.data(), static_cast<std::int32_t>(ids.size()), out.data());
  return out;
}

TEST(ReplicaRouting, NodeCoverPrefersTheHomeNode) {
  const Placement p = placement(ReplicaChoice::node_cover);
  ReplicaRouter r = router_for(p);
  // Expert 0 has a copy on the token's node (GPU 1): used although GPU 4 is free.
  EXPECT_EQ(route(r, p, 0, {0}), (std::vector<std::int32_t>{1}));
  // On its own GPU: that copy.
  EXPECT_EQ(route(r, p, 4, {0}), (std::vector<std::int32_t>{4}));
}

TEST(ReplicaRouting, NodeCoverJoinsANodeTheTokenReachesAnyway) {
  const Placement p = placement(ReplicaChoice::node_cover);
  ReplicaRouter r = router_for(p);
  // Expert 3 lives only on node 2, so expert 1 (nodes 1 and 2) goes to its node-2 copy (GPU 4): one remote node.
  EXPECT_EQ(route(r, p, 0, {1, 3}), (std::vector<std::int32_t>{4, 5}));
  // Expert 4 (two copies, both on node 1) forces node 1, on GPU 2 (GPUs 2 and 3 equally loaded: the first); expert 1
  // then joins node 1 on its copy there, GPU 2, instead of opening node 2.
  EXPECT_EQ(route(r, p, 0, {4, 1}), (std::vector<std::int32_t>{2, 2}));
}

TEST(ReplicaRouting, NodeCoverCoversWithTheFewestNodesThenByLoad) {
  const Placement cover = placement(ReplicaChoice::node_cover);
  ReplicaRouter r = router_for(cover);
  // Experts 1 and 2 both have copies on nodes 1 and 2: one node covers both. Tie (2 each, loads 0): the lower node.
  EXPECT_EQ(route(r, cover, 0, {1, 2}), (std::vector<std::int32_t>{2, 3}));
  // The same token again: node 1's copies now carry one pair each, node 2's none, so node 2.
  EXPECT_EQ(route(r, cover, 0, {1, 2}), (std::vector<std::int32_t>{4, 5}));
  EXPECT_EQ(r.gpu_load(), (std::vector<double>{0, 0, 1, 1, 1, 1}));

  // The old rule takes each expert's copies in turn, one expert at a time: two remote nodes for the same token.
  const Placement old = placement(ReplicaChoice::same_node_first);
  ReplicaRouter o = router_for(old);
  EXPECT_EQ(route(o, old, 0, {1, 2}), (std::vector<std::int32_t>{2, 5}));
}

TEST(ReplicaRouting, LeastLoadedCopyWithinANodeAndMaskedSlots) {
  const Placement p = placement(ReplicaChoice::node_cover);
  ReplicaRouter r = router_for(p);
  // Expert 4 has two copies on node 1: they alternate as their loads grow.
  EXPECT_EQ(route(r, p, 0, {4}), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(route(r, p, 0, {4}), (std::vector<std::int32_t>{3}));
  EXPECT_EQ(route(r, p, 0, {4, -1}), (std::vector<std::int32_t>{2, -1}));
  const std::array<std::int32_t, 65> too_many{};
  std::array<std::int32_t, 65> out{};
  EXPECT_THROW(r.route(p, 0, 0, too_many.data(), 65, out.data()), std::invalid_argument);
}

TEST(ReplicaRouting, SameNodeFirstRoundRobinPerNode) {
  const Placement p = placement(ReplicaChoice::same_node_first);
  ReplicaRouter r = router_for(p);
  // Expert 4 from node 1's GPU 2: its own GPU. From node 0: round robin over all copies.
  EXPECT_EQ(route(r, p, 2, {4}), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(route(r, p, 0, {4}), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(route(r, p, 0, {4}), (std::vector<std::int32_t>{3}));
  // The router can override the placement's own rule.
  r.reset(p, kGpusPerNode, ReplicaChoice::node_cover);
  EXPECT_EQ(r.rule(), ReplicaChoice::node_cover);
}

TEST(ReplicaRouting, ExpectedSharesOfNodeCover) {
  const Placement p = placement(ReplicaChoice::node_cover);
  std::array<double, 2> w{};
  // Home copy: all of it.
  expected_replica_shares(p, kGpusPerNode, 0, 0, nullptr, w.data());
  EXPECT_EQ(w, (std::array<double, 2>{1.0, 0.0}));
  // Expert 1 from node 0, nodes 1 and 2 reached anyway with probabilities 0.2 and 0.6: P(neither) = 0.32, so
  // node 1 gets 0.68 x 0.25 + 0.16 = 0.33 and node 2 0.68 x 0.75 + 0.16 = 0.67.
  const std::array<double, 3> forced{0.0, 0.2, 0.6};
  expected_replica_shares(p, kGpusPerNode, 1, 0, forced.data(), w.data());
  EXPECT_NEAR(w[0], 0.33, 1e-12);
  EXPECT_NEAR(w[1], 0.67, 1e-12);
  // No node reached anyway: an even split, as without the forced probabilities.
  const std::array<double, 3> none{0.0, 0.0, 0.0};
  expected_replica_shares(p, kGpusPerNode, 1, 0, none.data(), w.data());
  EXPECT_EQ(w, (std::array<double, 2>{0.5, 0.5}));
}

TEST(ReplicaRouting, ScenarioNamesAreTheRules) {
  EXPECT_EQ(replica_rule_names(), replica_choice_names());
  for (const auto& name : replica_choice_names()) {
    ASSERT_TRUE(parse_replica_choice(name)) << name;
    EXPECT_EQ(to_string(*parse_replica_choice(name)), name);
  }
  EXPECT_FALSE(parse_replica_choice("nearest"));
}

} // namespace
} // namespace moescope
