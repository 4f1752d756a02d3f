// Group-limited selection in the expected-value dispatch: exact probabilities, checked by hand on a small shape and
// against samples (sample_group_limited_routing) and the trace-driven kernel on sampled tokens, within sampling
// tolerances.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "network/dispatch.hpp"
#include "network/group_limited_selection.hpp"

namespace moescope {
namespace {

// DeepSeek-V3's router: 256 experts in 8 groups, 4 groups and 8 experts per token.
constexpr std::int32_t kExperts = 256, kGroups = 8, kGroupsPerToken = 4, kTopK = 8;

TEST(GroupLimitedSelection, AcceptsOnlyRealLimits) {
  EXPECT_TRUE(GroupLimitedSelection::applies(kExperts, kGroups, kGroupsPerToken, kTopK));
  EXPECT_FALSE(GroupLimitedSelection::applies(kExperts, kGroups, kGroups, kTopK)); // every group allowed
  EXPECT_FALSE(GroupLimitedSelection::applies(kExperts, 1, 1, kTopK));             // no groups
  EXPECT_FALSE(GroupLimitedSelection::applies(kExperts, 7, 4, kTopK));             // 7 does not divide 256
  EXPECT_FALSE(GroupLimitedSelection::applies(16, 8, 1, 3));                       // 3 > 1 group of 2 experts
  EXPECT_THROW(GroupLimitedSelection(kExperts, kGroups, kGroups, kTopK), std::invalid_argument);
}

TEST(GroupLimitedSelection, DistributionIsAProbabilityOverAtMostTheAllowedGroups) {
  const auto sel = GroupLimitedSelection::get(kExperts, kGroups, kGroupsPerToken, kTopK);
  EXPECT_EQ(sel, GroupLimitedSelection::get(kExperts, kGroups, kGroupsPerToken, kTopK)); // cached
  const std::vector<double> touched = sel->groups_touched_distribution();
  ASSERT_EQ(touched.size(), 5u);
  EXPECT_NEAR(std::accumulate(touched.begin(), touched.end(), 0.0), 1.0, 1e-12);
  EXPECT_EQ(touched[0], 0.0);
  // Every allowed group holds its best expert, which is usually among the token's top 8: most tokens touch all 4.
  EXPECT_GT(touched[4], 0.5);
  // Nothing selected in an empty set; everything in the whole set.
  const std::vector<double> none(kGroups, 0.0), all(kGroups, 1.0);
  EXPECT_EQ(sel->prob_none(none.data()), 1.0);
  EXPECT_NEAR(sel->prob_none(all.data()), 0.0, 1e-12);
}

// 3 groups of 2 experts, 2 groups and 2 experts per token. The best expert opens its group; the second best of the
// other 5 is in the same group with probability 1/5 (one group touched) and opens a second group otherwise.
TEST(GroupLimitedSelection, HandCountedSmallShape) {
  const auto sel = GroupLimitedSelection::get(6, 3, 2, 2);
  const std::vector<double> touched = sel->groups_touched_distribution();
  ASSERT_EQ(touched.size(), 3u);
  EXPECT_DOUBLE_EQ(touched[1], 0.2);
  EXPECT_DOUBLE_EQ(touched[2], 0.8);
  // P(none of group 0): one group touched (0.2): 2 of 3 groups miss it; two groups (0.8): 1 of 3 pairs misses it.
  const std::vector<double> group0 = {1, 0, 0};
  EXPECT_NEAR(sel->prob_none(group0.data()), 0.2 * 2.0 / 3.0 + 0.8 / 3.0, 1e-12);
}

TEST(GroupLimitedSelection, MatchesAnIndependentSampleForGroupAndExpertSets) {
  const auto sel = GroupLimitedSelection::get(kExperts, kGroups, kGroupsPerToken, kTopK);
  const std::int32_t n = 1 << 15;
  const TokenRouting r = sample_group_limited_routing(n, 1, kExperts, kTopK, kGroups, kGroupsPerToken, 4242);
  // Sets: two whole groups (a node under hierarchical packing), one whole group, and 8 experts of one group plus
  // 8 of another (a GPU's slots).
  const auto in_set = [](int which, std::int32_t e) {
    const std::int32_t group = e / 32, offset = e % 32;
    switch (which) {
    case 0:
      return group == 2 || group == 3;
    case 1:
      return group == 5;
    default:
      return (group == 0 && offset < 8) || (group == 6 && offset >= 24);
    }
  };
  std::vector<std::vector<double>> shares = {
      {0, 0, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 1, 0, 0}, {0.25, 0, 0, 0, 0, 0, 0.25, 0}};
  for (int which = 0; which < 3; ++which) {
    std::int32_t none = 0;
    for (std::int32_t t = 0; t < n; ++t) {
      bool hit = false;
      for (std::int32_t j = 0; j < kTopK; ++j)
        hit |= in_set(which, r.experts[static_cast<std::size_t>(t) * kTopK + j]);
      none += hit ? 0 : 1;
    }
    const double sampled = static_cast<double>(none) / n;
    const double sigma = std::sqrt(sampled * (1 - sampled) / n);
    EXPECT_NEAR(sel->prob_none(shares[static_cast<std::size_t>(which)].data()), sampled, 4.0 * sigma + 1e-3)
        << "set " << which;
  }
  // The number of groups a token touches, against the same sample.
  std::vector<double> sampled(kGroupsPerToken + 1, 0.0);
  for (std::int32_t t = 0; t < n; ++t) {
    std::vector<char> hit(kGroups, 0);
    for (std::int32_t j = 0; j < kTopK; ++j)
      hit[static_cast<std::size_t>(r.experts[static_cast<std::size_t>(t) * kTopK + j] / 32)] = 1;
    sampled[static_cast<std::size_t>(std::accumulate(hit.begin(), hit.end(), 0))] += 1.0 / n;
  }
  const std::vector<double> exact = sel->groups_touched_distribution();
  for (std::size_t g = 1; g < exact.size(); ++g)
    EXPECT_NEAR(exact[g], sampled[g], 4.0 * std::sqrt(exact[g] * (1 - exact[g]) / n) + 1e-4) << g << " groups";
}

TopologyParams four_nodes() {
  TopologyParams p;
  p.nodes = 4;
  p.gpus_per_node = 8;
  p.scale_up_link_bandwidth_bytes_per_s = 450e9;
  p.scale_up_links_per_device = 1;
  p.has_scale_out = true;
  p.nic_bandwidth_bytes_per_s = 50e9;
  p.nics_per_gpu = 1;
  return p;
}

// The expected-value DeepEP normal kernel with the group limit against the trace-driven kernel on group-limited
// tokens. Linear placement with 8 slots per GPU puts groups 2n and 2n+1 on node n (as EPLB's hierarchical packing
// does) and takes the closed form; 9 slots add replicas of experts 0-31 and take the general per-source path.
TEST(GroupLimitedSelection, ExpectedDeepEpNormalTrafficMatchesTraceDriven) {
  const Topology topo(four_nodes());
  const DispatchKernel& k = *find_dispatch_kernel("deepep_normal");
  const DispatchPayload payload{7168.0, 14336.0};
  ExpectedRouting er;
  er.tokens_per_gpu = 512;
  er.top_k = kTopK;
  er.num_experts = kExperts;
  er.num_groups = kGroups;
  er.groups_per_token = kGroupsPerToken;
  ASSERT_TRUE(er.group_limited());
  const TokenRouting tr = sample_group_limited_routing(512, 32, kExperts, kTopK, kGroups, kGroupsPerToken, 77);
  const double total = 512.0 * 32;
  for (std::int32_t slots : {8, 9}) {
    SCOPED_TRACE(slots);
    const Placement pl = Placement::linear(kExperts, 32, slots);
    ExpectedDispatch limited;
    evaluate_dispatch_expected(k, topo, pl, uniform_sources(er, 32), payload, {}, {}, limited);
    EXPECT_EQ(limited.closed_form, slots == 8);
    DispatchWorkspace ws;
    const DispatchResult& traced = evaluate_dispatch(k, topo, pl, tr, payload, {}, {}, ws);
    // Scale-out copies per token: one per other node reached; NVLink rows and received rows likewise.
    const double expected_out = limited.result.dispatch.scale_out_bytes / payload.dispatch_bytes_per_token / total;
    const double traced_out = traced.dispatch.scale_out_bytes / payload.dispatch_bytes_per_token / total;
    EXPECT_NEAR(expected_out, traced_out, 0.01 * traced_out);
    EXPECT_NEAR(limited.result.dispatch.scale_up_bytes, traced.dispatch.scale_up_bytes,
                0.015 * traced.dispatch.scale_up_bytes);
    const double expected_rows =
        std::accumulate(limited.result.received_rows_per_gpu.begin(), limited.result.received_rows_per_gpu.end(), 0.0);
    const double traced_rows =
        std::accumulate(traced.received_rows_per_gpu.begin(), traced.received_rows_per_gpu.end(), 0.0);
    EXPECT_NEAR(expected_rows, traced_rows, 0.01 * traced_rows);
    if (slots != 8) continue;
    // The limit keeps tokens on fewer nodes: fewer scale-out copies than the unconstrained draw (a node is missed
    // when neither of its 2 groups is among the token's 4, 15/70 of the time: at most 3 x 55/70 = 2.36 other nodes
    // per token, against 3 x 0.905 = 2.71), and the expert-side load is unchanged.
    ExpectedRouting unlimited = er;
    unlimited.groups_per_token = kGroups;
    ASSERT_FALSE(unlimited.group_limited());
    ExpectedDispatch free;
    evaluate_dispatch_expected(k, topo, pl, uniform_sources(unlimited, 32), payload, {}, {}, free);
    const double free_out = free.result.dispatch.scale_out_bytes / payload.dispatch_bytes_per_token / total;
    EXPECT_LT(expected_out, 3.0 * 55.0 / 70.0 + 1e-9);
    EXPECT_LT(expected_out, 0.9 * free_out);
    EXPECT_NEAR(limited.result.max_expert_tokens_per_gpu, free.result.max_expert_tokens_per_gpu, 1e-6);
  }
}

} // namespace
} // namespace moescope
