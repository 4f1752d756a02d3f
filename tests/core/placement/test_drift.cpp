// Re-placement over time (placement/drift.hpp) and plan relabelling (placement/plan_alignment.hpp), on cases small
// enough to check by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "placement/drift.hpp"
#include "placement/plan_alignment.hpp"
#include "toy_trace.hpp"
#include "trace/trace.hpp"
#include "util/diagnostics.hpp"

using namespace moescope;
using namespace moescope::placement;

namespace {

// One layer, one GPU list per expert.
std::vector<Placement> one_layer(std::int32_t gpus, const std::vector<std::vector<std::int32_t>>& lists) {
  return {Placement::from_lists(gpus, lists)};
}

// `per_domain` requests of domain A and then as many of domain B; 8 experts, top-2, 2 layers. Each request uses two
// expert pairs, its tokens alternating between them: A's requests {0,1}+{4,5} or {2,3}+{6,7}, B's {1,2}+{5,6} or
// {3,4}+{7,0} (alternately). On 2 nodes the best plan for A holds {0,1,4,5} and {2,3,6,7}, which splits every B pair
// over both nodes; the best plan for B ({1,2,5,6} and {3,4,7,0}) keeps every B token on its home node.
trace::ExpertTrace a_then_b(int per_domain) {
  const auto m = placement_testing::toy_metadata(8, 2, 2, {"A", "B"});
  const int pairs[4][2][2] = {{{0, 1}, {4, 5}}, {{2, 3}, {6, 7}}, {{1, 2}, {5, 6}}, {{3, 4}, {7, 0}}};
  std::vector<trace::RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  std::uint64_t tok = 0;
  for (int r = 0; r < 2 * per_domain; ++r) {
    const int domain = r < per_domain ? 0 : 1, kind = 2 * domain + r % 2;
    reqs.push_back({"req" + std::to_string(r), std::uint32_t(domain), tok, 4, 8});
    for (std::uint32_t i = 0; i < 12; ++i)
      for (int l = 0; l < 2; ++l)
        for (int j = 0; j < 2; ++j)
          ex.push_back(std::uint16_t(pairs[kind][i % 2][j]));
    tok += 12;
  }
  return trace::ExpertTrace(m, reqs, ex, {});
}

DriftConfig toy_config() {
  DriftConfig c;
  c.topology.nodes = 2;
  c.topology.gpus_per_node = 2;
  c.strategy = "joint-minmax";
  c.expert_bytes = 1e6;
  c.scale_up_bytes_per_s = 100e9;
  c.scale_out_bytes_per_s = 10e9;
  return c;
}

} // namespace

TEST(MaxWeightAssignment, FindsTheBestPermutation) {
  // Rows prefer columns 2, 0, 1: the diagonal would give 1 + 1 + 1 = 3, the best permutation 9 + 8 + 7 = 24.
  const std::vector<double> w = {1, 0, 9, //
                                 8, 1, 0, //
                                 0, 7, 1};
  EXPECT_EQ(max_weight_assignment(w, 3), (std::vector<std::int32_t>{2, 0, 1}));
  EXPECT_EQ(max_weight_assignment(std::vector<double>{5}, 1), (std::vector<std::int32_t>{0}));
  EXPECT_THROW(max_weight_assignment(w, 2), std::invalid_argument);
}

TEST(Migration, NothingMovesBetweenEqualPlans) {
  const auto p = one_layer(4, {{0}, {1}, {2}, {3}});
  const auto m = migration_between(p, p, 2, 10.0, 100.0, 10.0);
  EXPECT_EQ(m.copies, 0.0);
  EXPECT_EQ(m.seconds, 0.0);
}

TEST(Migration, ASwapWithinANodeUsesScaleUp) {
  // 2 nodes x 2 GPUs; experts 0 and 1 swap GPUs 0 and 1 (node 0): two copies, each from the other GPU of the node.
  // Each GPU receives 10 bytes and sends 10 over scale-up at 100 B/s: 0.1 s.
  const auto a = one_layer(4, {{0}, {1}, {2}, {3}});
  const auto b = one_layer(4, {{1}, {0}, {2}, {3}});
  const auto m = migration_between(a, b, 2, 10.0, 100.0, 10.0);
  EXPECT_EQ(m.copies, 2.0);
  EXPECT_EQ(m.scale_up_bytes, 20.0);
  EXPECT_EQ(m.scale_out_bytes, 0.0);
  EXPECT_DOUBLE_EQ(m.seconds, 0.1);
}

TEST(Migration, ASwapAcrossNodesUsesScaleOut) {
  // Experts 0 (GPU 0, node 0) and 2 (GPU 2, node 1) swap: neither has a holder on its new node, so both copies cross
  // nodes; GPUs 0 and 2 each receive and send 10 bytes at 10 B/s: 1 s.
  const auto a = one_layer(4, {{0}, {1}, {2}, {3}});
  const auto b = one_layer(4, {{2}, {1}, {0}, {3}});
  const auto m = migration_between(a, b, 2, 10.0, 100.0, 10.0);
  EXPECT_EQ(m.copies, 2.0);
  EXPECT_EQ(m.scale_up_bytes, 0.0);
  EXPECT_EQ(m.scale_out_bytes, 20.0);
  EXPECT_DOUBLE_EQ(m.seconds, 1.0);
}

TEST(Migration, CopiesComeFromTheLeastBusySender) {
  // Expert 0 is on GPUs 0 and 1 (node 0) and gains copies on GPUs 2 and 3 (node 1): the first comes from GPU 0, the
  // second from GPU 1 (GPU 0 has sent already), so no GPU sends more than 10 bytes: 1 s, not 2. Two layers add up on
  // each GPU: 2 s.
  const std::vector<std::vector<std::int32_t>> before = {{0, 1}, {2}, {3}}, after = {{0, 1, 2, 3}, {2}, {3}};
  const auto m = migration_between(one_layer(4, before), one_layer(4, after), 2, 10.0, 100.0, 10.0);
  EXPECT_EQ(m.copies, 2.0);
  EXPECT_EQ(m.scale_out_bytes, 20.0);
  EXPECT_EQ(m.busiest_scale_out_bytes, 10.0); // each of GPUs 0-3 moves 10 bytes
  EXPECT_EQ(m.busiest_scale_up_bytes, 0.0);
  EXPECT_DOUBLE_EQ(m.seconds, 1.0);
  const std::vector<Placement> two_a = {Placement::from_lists(4, before), Placement::from_lists(4, before)};
  const std::vector<Placement> two_b = {Placement::from_lists(4, after), Placement::from_lists(4, after)};
  EXPECT_DOUBLE_EQ(migration_between(two_a, two_b, 2, 10.0, 100.0, 10.0).seconds, 2.0);
}

TEST(PlanAlignment, ANodeSwappedPlanMovesNothingOnceAligned) {
  // The same grouping with nodes 0 and 1 exchanged, and within node 0 the two GPUs exchanged as well.
  PlacementPlan current, next;
  current.layers = one_layer(4, {{0}, {1}, {2}, {3}});
  next.layers = one_layer(4, {{3}, {2}, {1}, {0}});
  current.homing = affinity_homing(current.layers, 2, 2, 4, 1.1);
  next.homing = affinity_homing(next.layers, 2, 2, 4, 1.1);
  EXPECT_EQ(migration_between(current.layers, next.layers, 2, 1.0, 1.0, 1.0).copies, 4.0);
  align_plan(current, next, 2);
  EXPECT_EQ(migration_between(current.layers, next.layers, 2, 1.0, 1.0, 1.0).copies, 0.0);
  // The homing rows follow their nodes: node 0 again holds experts 0 and 1.
  EXPECT_EQ(next.homing.weights, current.homing.weights);
}

TEST(PlanAlignment, LargeNodesAlignGreedily) {
  // 2 nodes of 32 GPUs (above the exact assignment's 16): the new plan reverses each node's GPUs; the greedy
  // matching of shared copies undoes it.
  std::vector<std::vector<std::int32_t>> a(64), b(64);
  for (std::int32_t e = 0; e < 64; ++e) {
    a[std::size_t(e)] = {e};
    b[std::size_t(e)] = {(e / 32) * 32 + 31 - e % 32};
  }
  PlacementPlan current, next;
  current.layers = one_layer(64, a);
  next.layers = one_layer(64, b);
  EXPECT_EQ(migration_between(current.layers, next.layers, 32, 1.0, 1.0, 1.0).copies, 64.0);
  align_plan(current, next, 32);
  EXPECT_EQ(migration_between(current.layers, next.layers, 32, 1.0, 1.0, 1.0).copies, 0.0);
}

TEST(Drift, ReplacingAfterADomainShiftSavesWhatTheFormulaSays) {
  const auto tr = a_then_b(8);
  DriftConfig c = toy_config();
  c.train_domain = "A";
  c.serve_domain = "B";
  c.window_requests = {4, 8};
  const auto res = run_drift(tr, c, "toy");
  ASSERT_EQ(res.runs.size(), 2u);
  EXPECT_EQ(res.mode, "A -> B");
  // Window 4: B is served in two windows; the first by the plan fitted on A (nothing moves), the second by the plan
  // fitted on B's first window.
  const auto& r4 = res.runs[0];
  EXPECT_EQ(r4.fit_requests, 8u);
  EXPECT_EQ(r4.served_requests, 8u);
  ASSERT_EQ(r4.windows.size(), 2u);
  EXPECT_EQ(r4.windows[0].migration.copies, 0.0);
  EXPECT_EQ(r4.windows[0].static_busiest_link_bytes, r4.windows[0].replaced_busiest_link_bytes);
  const auto& w = r4.windows[1];
  // 4 requests x 8 decode tokens x 2 layers, each token crossing once under A's plan (2048 bytes): 131072 bytes, half
  // of it out of each node; B's plan keeps all of it home. Per layer, 2 experts per node move in (aligned: {1,5} of
  // {0,1,4,5} stay on node 0): 8 copies.
  EXPECT_EQ(w.traffic_tokens, 32.0);
  EXPECT_EQ(w.static_dedup_bytes, 131072.0);
  EXPECT_EQ(w.static_busiest_link_bytes, 65536.0);
  EXPECT_EQ(w.replaced_dedup_bytes, 0.0);
  EXPECT_EQ(w.replaced_busiest_link_bytes, 0.0);
  EXPECT_EQ(w.migration.copies, 8.0);
  EXPECT_DOUBLE_EQ(w.saved_seconds, 2.0 * (w.static_busiest_link_bytes - w.replaced_busiest_link_bytes) / (10e9 * 2));
  EXPECT_DOUBLE_EQ(r4.net_seconds_without_overlap(), r4.saved_seconds - r4.migration_seconds);
  EXPECT_DOUBLE_EQ(r4.net_seconds_with_overlap(), r4.saved_seconds); // no window_seconds: full overlap
  // Moving 1 MB copies at 10 GB/s costs far more than this toy traffic saves: the break-even overlap is in (0, 1)
  // and the break-even window carries more traffic than a window here does.
  EXPECT_GT(r4.break_even_overlap(), 0.0);
  EXPECT_LT(r4.break_even_overlap(), 1.0);
  EXPECT_GT(r4.break_even_tokens_per_window(), r4.traffic_tokens / 2.0);
  // The guarded policy: moving 1 MB copies costs more than this toy traffic saves, so it stays put; with 1-byte
  // experts the move pays and it follows the re-fit.
  EXPECT_EQ(r4.guarded_moves, 0u);
  EXPECT_EQ(r4.guarded_net_seconds_without_overlap(), 0.0);
  DriftConfig cheap = c;
  cheap.expert_bytes = 1.0;
  cheap.window_requests = {4};
  const auto moved = run_drift(tr, cheap, "toy").runs[0];
  EXPECT_EQ(moved.guarded_moves, 1u);
  EXPECT_TRUE(moved.windows[1].guarded_moved);
  EXPECT_EQ(moved.windows[1].guarded_busiest_link_bytes, 0.0);
  EXPECT_DOUBLE_EQ(moved.guarded_saved_seconds, moved.saved_seconds);
  // Window 8: one window, served by the plan fitted on A: re-placing never acts.
  ASSERT_EQ(res.runs[1].windows.size(), 1u);
  EXPECT_EQ(res.runs[1].migrated_bytes, 0.0);
  EXPECT_EQ(res.runs[1].saved_seconds, 0.0);
  EXPECT_EQ(res.runs[1].break_even_overlap(), 0.0);
}

TEST(Drift, WindowSecondsExposeOnlyWhatDoesNotFit) {
  const auto tr = a_then_b(8);
  DriftConfig c = toy_config();
  c.train_domain = "A";
  c.serve_domain = "B";
  c.window_requests = {4};
  c.window_seconds = 1e-9; // shorter than any migration: nearly all of it is exposed
  const auto tight = run_drift(tr, c, "toy").runs[0];
  EXPECT_GT(tight.exposed_seconds, 0.0);
  EXPECT_LE(tight.exposed_seconds, tight.migration_seconds);
  c.window_seconds = 1e6; // room for everything
  EXPECT_EQ(run_drift(tr, c, "toy").runs[0].exposed_seconds, 0.0);
}

TEST(Drift, TimeOrderFitsOnTheFirstWindow) {
  const auto tr = a_then_b(8); // A's 8 requests, then B's: the shift is at request 8
  DriftConfig c = toy_config();
  c.window_requests = {8};
  const auto run = run_drift(tr, c, "toy").runs[0];
  EXPECT_EQ(run.fit_requests, 8u);
  EXPECT_EQ(run.served_requests, 8u);
  ASSERT_EQ(run.windows.size(), 1u); // B, served by the plan fitted on A either way
  EXPECT_EQ(run.saved_seconds, 0.0);
}

TEST(Drift, BadConfigurationsAreNamed) {
  const auto tr = a_then_b(4);
  const auto message = [&](DriftConfig c) {
    try {
      run_drift(tr, c, "toy.mst");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  DriftConfig c = toy_config();
  c.window_requests = {8};
  EXPECT_NE(message(c).find("leaves none to serve: the trace has 8 requests"), std::string::npos) << message(c);
  c.window_requests = {2};
  c.train_domain = "A";
  c.serve_domain = "C";
  EXPECT_NE(message(c).find("no domain 'C' in the trace (it has: A, B)"), std::string::npos) << message(c);
  c.serve_domain = "";
  EXPECT_NE(message(c).find("both a training and a serving domain"), std::string::npos);
  c = toy_config();
  c.window_requests = {2};
  c.strategy = "nope";
  EXPECT_NE(message(c).find("unknown placement strategy 'nope'"), std::string::npos);
  c = toy_config();
  c.window_requests = {2};
  c.expert_bytes = std::nan("");
  EXPECT_NE(message(c).find("expert bytes"), std::string::npos);
  c = toy_config();
  c.window_requests = {0};
  EXPECT_NE(message(c).find("at least one request"), std::string::npos);
}
