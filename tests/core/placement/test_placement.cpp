// Placement strategies, homing and evaluation on small hand-checkable cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "../registry_test_util.hpp"
#include "placement/evaluation.hpp"
#include "placement/experiment.hpp"
#include "placement/partition.hpp"
#include "placement/strategy.hpp"
#include "toy_trace.hpp"
#include "trace/trace.hpp"

using namespace moescope;
using namespace moescope::placement;

namespace {

// Two request families over 8 experts (top-2, 2 layers): family A uses experts {0, 2, 4, 6}, family B {1, 3, 5, 7},
// so linear placement (0-3 on node 0, 4-7 on node 1) splits every family over both nodes, and the optimal placement
// puts each family's experts on one node and homes its requests there. Token i of a request picks the family's
// experts i and i+1 (mod 4), so all experts carry the same load. Each family is a domain, so that a split holds out
// as many requests of each (with unequal families, the node load cap and the homing balance cap would, rightly,
// forbid the family placement).
trace::ExpertTrace two_families(int per_family = 20, std::uint32_t prefill = 4, std::uint32_t decode = 8) {
  const auto m = placement_testing::toy_metadata(8, 2, 2, {"A", "B"});
  std::vector<trace::RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  std::uint64_t tok = 0;
  for (int r = 0; r < 2 * per_family; ++r) {
    const int fam = r % 2;
    trace::RequestInfo ri{"req" + std::to_string(r), std::uint32_t(fam), tok, prefill, decode};
    for (std::uint32_t i = 0; i < prefill + decode; ++i) {
      for (int l = 0; l < 2; ++l) {
        const int a = int(i + std::uint32_t(r) + std::uint32_t(l)) % 4, b = (a + 1) % 4;
        ex.push_back(std::uint16_t(2 * a + fam));
        ex.push_back(std::uint16_t(2 * b + fam));
      }
    }
    tok += prefill + decode;
    reqs.push_back(ri);
  }
  return trace::ExpertTrace(m, reqs, ex, {});
}

// 4 experts, top-2, one layer; one request: 1 homing token, then 2 traffic tokens selecting {0, 2} and {2, 3}.
trace::ExpertTrace hand_counted_trace() {
  return trace::ExpertTrace(placement_testing::toy_metadata(4, 2, 1, {"d"}), {{"r", 0, 0, 3, 0}}, {0, 1, 0, 2, 2, 3},
                            {});
}

std::int32_t node_of_expert(const Placement& p, std::int32_t e, std::int32_t gpn) {
  return p.replicas_begin(e)[0] / gpn;
}

} // namespace

// Run-every-entry: the registry holds every strategy the sources register (none dropped at link time).
TEST(PlacementRegistry, EveryStrategyInTheSourcesIsLinkedIn) {
  const auto& strategies = placement_strategies();
  EXPECT_EQ(strategies.size(), registry_testing::registrars_in_sources("placement", "PlacementStrategy"));
  ASSERT_FALSE(strategies.empty());
  EXPECT_EQ(strategies.front()->name(), "linear"); // the baseline of every comparison comes first
  std::set<std::string> names;
  for (const auto& s : strategies) {
    EXPECT_TRUE(names.insert(s->name()).second) << s->name();
    EXPECT_FALSE(s->description().empty()) << s->name();
    EXPECT_EQ(find_placement_strategy(s->name()), s.get());
  }
  EXPECT_EQ(placement_strategy_names().size(), strategies.size());
  EXPECT_EQ(find_placement_strategy("nope"), nullptr);
}

TEST(SplitRequest, PrefillOnlyUsesFirstQuarterForHoming) {
  trace::RequestInfo r{"r", 0, 100, 8, 0};
  auto s = split_request(r, 0.25);
  EXPECT_EQ(s.homing.begin, 100u);
  EXPECT_EQ(s.homing.end, 102u);
  EXPECT_EQ(s.traffic.begin, 102u);
  EXPECT_EQ(s.traffic.end, 108u);
  trace::RequestInfo one{"r", 0, 0, 1, 0}; // a single token: homing 1, traffic 0
  EXPECT_EQ(split_request(one).homing.size(), 1u);
  EXPECT_EQ(split_request(one).traffic.size(), 0u);
  trace::RequestInfo d{"d", 0, 10, 5, 3}; // with decode: prefill homes, decode is measured
  auto sd = split_request(d);
  EXPECT_EQ(sd.homing.begin, 10u);
  EXPECT_EQ(sd.homing.end, 15u);
  EXPECT_EQ(sd.traffic.begin, 15u);
  EXPECT_EQ(sd.traffic.end, 18u);
}

TEST(RoutingStats, CountsLoadsVectorsAndCoactivation) {
  const auto tr = two_families(2, 4, 8); // 4 requests
  const auto s = compute_stats(tr);
  ASSERT_EQ(s.num_requests(), 4u);
  EXPECT_EQ(s.homing_tokens[0], 4.0);
  EXPECT_EQ(s.traffic_tokens[0], 8.0);
  // request 0 (family A) uses only even experts
  for (std::size_t e = 1; e < 8; e += 2)
    EXPECT_EQ(s.traffic(0)[e], 0.0f);
  double total = 0.0;
  for (std::size_t e = 0; e < 8; ++e)
    total += s.layer_load(0)[e];
  EXPECT_EQ(total, 4 * 8 * 2.0); // 4 requests x 8 traffic tokens x top-2
  // experts 0 and 2 co-activate (family A), 0 and 1 never
  EXPECT_GT(s.layer_coact(0)[0 * 8 + 2], 0.0f);
  EXPECT_EQ(s.layer_coact(0)[0 * 8 + 1], 0.0f);
}

TEST(Evaluation, HandCountedPairsBytesAndBusiestLink) {
  // 4 experts, 2 nodes x 1 GPU, linear: node 0 {0, 1}, node 1 {2, 3}. One request: 1 homing token, 2 traffic tokens
  // selecting {0, 2} and {2, 3}. Homed on node 0 (balanced homing, one request).
  const auto tr = hand_counted_trace();
  const auto s = compute_stats(tr, StatsOptions{0.25, false});
  ASSERT_EQ(s.homing_tokens[0], 1.0);
  PlacementTopology topo{2, 1, 2};
  PlacementPlan plan;
  plan.strategy = "linear";
  plan.layers = {Placement::linear(4, 2, 2)};
  plan.homing.nodes = 2;
  EvalOptions eo;
  eo.bytes_per_token = 100.0;
  const auto r = evaluate_plan(plan, s, topo, eo);
  EXPECT_EQ(r.total.pairs, 4.0);
  EXPECT_EQ(r.total.inter_node_pairs, 3.0);
  EXPECT_EQ(r.total.dedup_bytes, 200.0);        // each token crosses to node 1 once
  EXPECT_EQ(r.total.busiest_link_bytes, 200.0); // node 0 out = node 1 in = 2 tokens
  EXPECT_EQ(r.total.gpu_load_max, 3.0);
  EXPECT_EQ(r.total.gpu_load_mean, 2.0);
  EXPECT_EQ(r.tokens_per_node_max, 2.0);
  EXPECT_EQ(r.tokens_per_node_mean, 1.0);
  EXPECT_EQ(r.requests_per_node_max, 1.0);
}

TEST(Evaluation, ExpertSecondsSeeEachGpusTokensPerSlot) {
  // The trace above: GPU 0 holds experts 0 and 1 and gets 1 token of expert 0; GPU 1 holds 2 and 3 and gets 2 tokens
  // of expert 2 and 1 of expert 3. With a compute model of 1 ms per token the slowest GPU takes 3 ms.
  const auto tr = hand_counted_trace();
  const auto s = compute_stats(tr, StatsOptions{0.25, false});
  PlacementTopology topo{2, 1, 2};
  PlacementPlan plan;
  plan.layers = {Placement::linear(4, 2, 2)};
  plan.homing.nodes = 2;
  std::vector<std::vector<double>> calls;
  EvalOptions eo;
  eo.expert_seconds = [&](std::span<const double> tokens) {
    calls.emplace_back(tokens.begin(), tokens.end());
    return 1e-3 * std::accumulate(tokens.begin(), tokens.end(), 0.0);
  };
  const auto r = evaluate_plan(plan, s, topo, eo);
  EXPECT_EQ(calls, (std::vector<std::vector<double>>{{1, 0}, {2, 1}}));
  EXPECT_DOUBLE_EQ(r.total.expert_seconds, 3e-3);
  EXPECT_EQ(r.total.moe_layer_seconds(), -1.0); // no all-to-all time asked for
  eo.all_to_all_time = true;
  const auto t = evaluate_plan(plan, s, topo, eo);
  ASSERT_GT(t.total.a2a_normal_seconds, 0.0);
  EXPECT_DOUBLE_EQ(t.total.moe_layer_seconds(), 3e-3 + t.total.a2a_normal_seconds);
  EXPECT_EQ(evaluate_plan(plan, s, topo, EvalOptions{}).total.expert_seconds, -1.0); // not computed
}

TEST(Evaluation, ReplicaOnHomeNodeIsUsed) {
  // Same trace; expert 2 replicated on node 0 as well: token {0, 2} stays local, token {2, 3} still crosses (for 3).
  const auto tr = hand_counted_trace();
  const auto s = compute_stats(tr, StatsOptions{0.25, false});
  PlacementTopology topo{2, 1, 3};
  PlacementPlan plan;
  plan.layers = {Placement::from_lists(2, {{0}, {0}, {1, 0}, {1}})};
  plan.homing.nodes = 2;
  EvalOptions eo;
  eo.bytes_per_token = 1.0;
  const auto r = evaluate_plan(plan, s, topo, eo);
  EXPECT_EQ(r.total.inter_node_pairs, 1.0);
  EXPECT_EQ(r.total.dedup_bytes, 1.0);
}

TEST(Homing, BalanceCapLimitsTheFavouriteNode) {
  // Four equal requests that all prefer node 0 (affinity), margins 4 > 3 > 2 > 1; cap 1.0 x mean = 2 per node.
  HomingPolicy h;
  h.kind = HomingKind::affinity;
  h.nodes = 2;
  h.vec_size = 2;
  h.balance_cap = 1.0;
  h.weights = {1.0f, 0.0f, /*node 1*/ 0.0f, 1.0f};
  std::vector<std::vector<float>> v = {{6, 4}, {7, 3}, {8, 2}, {9, 1}}; // share on node 0: .6 .7 .8 .9
  std::vector<std::span<const float>> vs(v.begin(), v.end());
  std::vector<double> w(4, 1.0);
  const auto home = h.assign(vs, w);
  EXPECT_EQ(home, (std::vector<std::int32_t>{1, 1, 0, 0})); // the two most decided get node 0
  h.balance_cap = 2.0;                                      // cap 4 per node: everyone gets its favourite
  EXPECT_EQ(h.assign(vs, w), (std::vector<std::int32_t>{0, 0, 0, 0}));
}

TEST(Homing, BalancedIsLargestFirstLeastLoaded) {
  HomingPolicy h;
  h.nodes = 2;
  std::vector<std::vector<float>> v(5, std::vector<float>{});
  std::vector<std::span<const float>> vs(v.begin(), v.end());
  std::vector<double> w = {5, 4, 3, 3, 1};
  const auto home = h.assign(vs, w);
  // 5 -> n0, 4 -> n1, 3 -> n1 (4 < 5), 3 -> n0 (5 < 7), 1 -> n0 or n1 (8 vs 7) -> n1
  EXPECT_EQ(home, (std::vector<std::int32_t>{0, 1, 1, 0, 1}));
}

TEST(Eplb, BalancedPackingAndReplicationMatchEplbPy) {
  std::vector<std::int32_t> pack, rank;
  detail::balanced_packing(std::vector<double>{90, 10, 20, 30, 40, 50, 60, 70}, 4, pack, rank);
  EXPECT_EQ(pack, (std::vector<std::int32_t>{0, 0, 1, 2, 3, 3, 2, 1}));
  std::vector<std::int32_t> phy2log, prank, count;
  detail::replicate_experts(std::vector<double>{90, 10, 20, 30, 40, 50, 60, 70}, 12, phy2log, prank, count);
  EXPECT_EQ(phy2log, (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 0, 7, 6, 5}));
  EXPECT_EQ(count, (std::vector<std::int32_t>{2, 1, 1, 1, 1, 2, 2, 2}));
}

TEST(Eplb, GlobalWithRedundantSlotsHandComputed) {
  // 8 experts, 4 GPUs x 3 slots: replicas of 0, 7, 6, 5; then packing of load / replicas over GPUs, 3 per GPU:
  // GPU0 {0, 6, 2}, GPU1 {0, 6, 1}, GPU2 {4, 3, 5}, GPU3 {7, 7, 5} (both copies of 7 land on GPU 3, as in eplb.py).
  const auto p = eplb_rebalance_layer(std::vector<double>{90, 10, 20, 30, 40, 50, 60, 70}, 12, 1, 1, 4);
  auto gpus = [&](int e) {
    return std::vector<std::int32_t>(p.replicas_begin(e), p.replicas_begin(e) + p.replicas(e));
  };
  EXPECT_EQ(gpus(0), (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(gpus(1), (std::vector<std::int32_t>{1}));
  EXPECT_EQ(gpus(2), (std::vector<std::int32_t>{0}));
  EXPECT_EQ(gpus(3), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(gpus(4), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(gpus(5), (std::vector<std::int32_t>{2, 3}));
  EXPECT_EQ(gpus(6), (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(gpus(7), (std::vector<std::int32_t>{3}));
}

TEST(Eplb, HierarchicalHandComputed) {
  // 2 groups of 4 -> 2 nodes (one group each: identity); within node 0 loads {90, 10, 20, 30} over 2 GPUs:
  // 90 -> g0, 30 -> g1, 20 -> g1, 10 -> g0; node 1 {40, 50, 60, 70}: 70 -> g2, 60 -> g3, 50 -> g3, 40 -> g2.
  const auto p = eplb_rebalance_layer(std::vector<double>{90, 10, 20, 30, 40, 50, 60, 70}, 8, 2, 2, 4);
  const std::vector<std::int32_t> want = {0, 0, 1, 1, 2, 3, 3, 2};
  for (int e = 0; e < 8; ++e) {
    ASSERT_EQ(p.replicas(e), 1);
    EXPECT_EQ(p.replicas_begin(e)[0], want[std::size_t(e)]) << "expert " << e;
  }
  // groups that do not divide over the nodes fall back to the global policy
  const auto g = eplb_rebalance_layer(std::vector<double>{90, 10, 20, 30, 40, 50, 60, 70}, 8, 3, 2, 4);
  EXPECT_EQ(g.replicas_begin(0)[0], 0);
  EXPECT_EQ(g.replicas_begin(7)[0], 1);
}

// Run-every-entry: every registered strategy on a tiny trace gives a valid plan (every expert has a copy on a GPU
// of the topology, no GPU holds more than its slots, one placement per layer) and a homing that puts every request
// on a node.
TEST(PlacementRegistry, EveryStrategyGivesValidPlacementsWithinSlots) {
  const auto tr = two_families();
  const auto s = compute_stats(tr);
  for (int slots : {2, 3}) {
    PlacementTopology topo{2, 2, slots};
    for (const auto& st : placement_strategies()) {
      SCOPED_TRACE(st->name() + " slots " + std::to_string(slots));
      const auto plan = st->fit(PlacementProblem{s, topo, FitOptions{}});
      EXPECT_EQ(plan.strategy, st->name());
      ASSERT_EQ(plan.layers.size(), 2u);
      for (const auto& p : plan.layers) {
        EXPECT_NO_THROW(p.check());
        ASSERT_EQ(p.num_experts, 8);
        EXPECT_LE(p.num_gpus, 4);
        for (std::int32_t e = 0; e < 8; ++e)
          EXPECT_GE(p.replicas(e), 1) << "expert " << e;
        std::vector<int> per_gpu(4, 0);
        for (auto g : p.replica_gpus) {
          ASSERT_GE(g, 0);
          ASSERT_LT(g, 4);
          ++per_gpu[std::size_t(g)];
        }
        for (int c : per_gpu)
          EXPECT_LE(c, slots);
        // 12 slots for 8 experts: some replicas (not for round-robin, whose third slot repeats the first; nor for EPLB
        // with equal loads, whose packing may put both copies of an expert on one GPU, as eplb.py does; nor for the
        // +gain strategies, which leave a slot empty when no copy removes a crossing within the node load cap)
        const bool gain = st->name().find("+gain") != std::string::npos;
        if (slots == 3 && st->name() != "round-robin" && st->name().rfind("eplb", 0) != 0 && !gain) {
          EXPECT_GT(p.replica_gpus.size(), 8u);
        }
      }
      EXPECT_EQ(plan.homing.nodes, 2);
      const auto homes = detail::home_requests(plan.homing, s);
      EXPECT_EQ(homes.size(), s.num_requests());
      for (std::int32_t node : homes) {
        EXPECT_GE(node, 0);
        EXPECT_LT(node, 2);
      }
    }
  }
}

TEST(Strategies, KnownOptimumFamiliesOnOneNodeZeroHeldOutTraffic) {
  const auto tr = two_families(20);
  const auto split = trace::split_requests(tr, 0.25, 0);
  ASSERT_FALSE(split.test.empty());
  const auto train = compute_stats(tr, split.train);
  const auto test = compute_stats(tr, split.test);
  PlacementTopology topo{2, 2, 2};
  const auto linear =
      evaluate_plan(find_placement_strategy("linear")->fit(PlacementProblem{train, topo, FitOptions{}}), test, topo);
  EXPECT_GT(linear.total.inter_node_pairs, 0.0);
  for (const char* name : {"activation-kmeans", "joint-minmax", "coact-partition"}) {
    const auto plan = find_placement_strategy(name)->fit(PlacementProblem{train, topo, FitOptions{}});
    for (const auto& p : plan.layers) {
      // the even experts on one node, the odd ones on the other
      const auto n0 = node_of_expert(p, 0, 2), n1 = node_of_expert(p, 1, 2);
      EXPECT_NE(n0, n1) << name;
      for (int e = 0; e < 8; ++e)
        EXPECT_EQ(node_of_expert(p, e, 2), e % 2 == 0 ? n0 : n1) << name << " expert " << e;
    }
    const auto r = evaluate_plan(plan, test, topo);
    EXPECT_EQ(r.total.inter_node_pairs, 0.0) << name;
    EXPECT_EQ(r.total.dedup_bytes, 0.0) << name;
    EXPECT_EQ(r.total.busiest_link_bytes, 0.0) << name;
    EXPECT_LE(r.tokens_max_over_mean(), 1.10 + 1e-9) << name;
  }
}

TEST(Experiment, ComparisonHasLinearBaselineAndRedundantRows) {
  const auto tr = two_families(10);
  ExperimentConfig cfg;
  cfg.topology = {2, 2, 0};
  cfg.redundant_slots = 1;
  cfg.folds = 2;
  const auto res = run_experiment(tr, cfg, "toy");
  ASSERT_NE(res.baseline("held-out"), nullptr);
  EXPECT_NE(res.find("held-out", "joint-minmax", 1), nullptr);
  EXPECT_EQ(res.find("held-out", "joint-minmax", 0)->fits, 2);
  EXPECT_EQ(res.find("held-out", "joint-minmax", 0)->metrics.total.dedup_bytes, 0.0);
  const auto csv = experiment_csv(res);
  EXPECT_NE(csv.find("joint-minmax"), std::string::npos);
  const auto md = experiment_markdown(res);
  EXPECT_NE(md.find("| linear | 0 | 1.000 | 1.000 | 1.000 |"), std::string::npos);
  const auto j = experiment_json(res);
  // Held-out, and fit on A / fit on B (cross-domain); every strategy with and without the redundant slot.
  EXPECT_EQ(j["rows"].size(), 3 * 2 * placement_strategies().size());
  EXPECT_NE(res.baseline("cross:A->others"), nullptr);
  EXPECT_NE(res.baseline("cross:B->others"), nullptr);
  ExperimentConfig too_many_gpus;
  too_many_gpus.topology = {4, 4, 0};
  EXPECT_THROW(run_experiment(tr, too_many_gpus, "toy"), InputError); // 16 GPUs > 8 experts
}

// eplb-spread: EPLB's copy counts, each expert's copies on as many distinct nodes as it has copies (up to the node
// count), no GPU over its slots, and the placement routes by node_cover.
TEST(Strategies, EplbSpreadPutsCopiesOnDistinctNodes) {
  std::vector<double> load(16);
  for (std::size_t e = 0; e < load.size(); ++e)
    load[e] = 1.0 + double((e * 7) % 5) + (e == 3 ? 20.0 : 0.0); // expert 3 hot enough for several copies
  const auto p = find_placement_strategy("eplb-spread")->fit_expected(load, 8, 4, 3, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->choice, ReplicaChoice::node_cover);
  std::vector<int> slots(8, 0);
  for (std::int32_t e = 0; e < 16; ++e) {
    std::set<std::int32_t> nodes;
    for (std::int32_t i = 0; i < p->replicas(e); ++i) {
      nodes.insert(p->replicas_begin(e)[i] / 2);
      ++slots[std::size_t(p->replicas_begin(e)[i])];
    }
    EXPECT_EQ(int(nodes.size()), std::min(4, p->replicas(e))) << "expert " << e;
  }
  EXPECT_GE(p->replicas(3), 4);
  for (int s : slots)
    EXPECT_LE(s, 3);
  EXPECT_EQ(p->replica_gpus.size(), 24u);
}

TEST(Strategies, LinearAndRoundRobinLayouts) {
  const auto tr = two_families(2);
  const auto s = compute_stats(tr);
  PlacementTopology topo{2, 2, 2};
  const auto lin = find_placement_strategy("linear")->fit(PlacementProblem{s, topo, FitOptions{}});
  const auto rr = find_placement_strategy("round-robin")->fit(PlacementProblem{s, topo, FitOptions{}});
  for (int e = 0; e < 8; ++e) {
    EXPECT_EQ(lin.layers[0].replicas_begin(e)[0], e / 2); // contiguous: GPU g holds 2g, 2g+1
    EXPECT_EQ(rr.layers[0].replicas_begin(e)[0], e % 4);  // striped
  }
  EXPECT_EQ(lin.homing.kind, HomingKind::balanced);
}

TEST(Evaluation, AllToAllTimeThroughTheNetworkModel) {
  const auto tr = two_families(10);
  const auto split = trace::split_requests(tr, 0.25, 0);
  const auto train = compute_stats(tr, split.train);
  const auto test = compute_stats(tr, split.test);
  PlacementTopology topo{2, 2, 2};
  EvalOptions eo;
  eo.all_to_all_time = true;
  const auto lin = evaluate_plan(find_placement_strategy("linear")->fit(PlacementProblem{train, topo, FitOptions{}}),
                                 test, topo, eo);
  const auto ours = evaluate_plan(
      find_placement_strategy("joint-minmax")->fit(PlacementProblem{train, topo, FitOptions{}}), test, topo, eo);
  ASSERT_GT(lin.total.a2a_normal_seconds, 0.0);
  ASSERT_GT(lin.total.a2a_low_latency_seconds, 0.0);
  ASSERT_GE(ours.total.a2a_normal_seconds, 0.0);
  // no inter-node traffic: the all-to-all stays on NVLink and is faster
  EXPECT_LT(ours.total.a2a_normal_seconds, lin.total.a2a_normal_seconds);
}

TEST(Partition, KernighanLinFindsTheTwoCliques) {
  // Two 4-cliques {0,1,2,3} and {4,5,6,7} joined by one weak edge 3-4; start from a bad balanced partition.
  std::vector<float> W(64, 0.0f);
  auto edge = [&](int a, int b, float w) { W[std::size_t(a * 8 + b)] = W[std::size_t(b * 8 + a)] = w; };
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b) {
      edge(a, b, 10);
      edge(a + 4, b + 4, 10);
    }
  edge(3, 4, 1);
  std::vector<double> vw(8, 1.0);
  std::vector<std::int32_t> part = {0, 1, 0, 1, 0, 1, 0, 1};
  refine_partition(W.data(), vw, 2, part);
  EXPECT_EQ(partition_cut(W.data(), 8, part), 1.0);
  const auto p2 = balanced_partition(W.data(), vw, 2, 4);
  EXPECT_EQ(partition_cut(W.data(), 8, p2), 1.0);
}

// <base>+gain on a case whose answer is plain: 2 nodes of 1 GPU, experts 0 and 1 (linear: GPU 0 and GPU 1), one
// redundant slot each, every token selects both. Balanced homing puts two requests on each node, so node-0 tokens
// cross to node 1 for expert 1 and node-1 tokens to node 0 for expert 0: the gain copies are expert 1 on node 0 and
// expert 0 on node 1, after which nothing crosses. The first copy alone would put 1.5 x the mean pairs on its node,
// so with the default node load cap (1.05) none is added.
TEST(Strategies, ReplicaGainAddsTheCopiesThatRemoveCrossings) {
  const auto m = placement_testing::toy_metadata(2, 2, 1, {"A"});
  std::vector<trace::RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  for (std::uint64_t r = 0; r < 4; ++r) {
    reqs.push_back({"r" + std::to_string(r), 0, r * 6, 6, 0});
    for (int t = 0; t < 6; ++t)
      ex.insert(ex.end(), {0, 1});
  }
  const trace::ExpertTrace tr(m, reqs, ex, {});
  const auto stats = compute_stats(tr);
  const PlacementTopology topo{2, 1, 2};
  FitOptions loose;
  loose.node_load_cap = 2.0;
  const auto plan = find_placement_strategy("linear+gain")->fit({stats, topo, loose});
  ASSERT_EQ(plan.layers.size(), 1u);
  const auto& p = plan.layers[0];
  EXPECT_EQ(p.choice, ReplicaChoice::node_cover);
  ASSERT_EQ(p.replicas(0), 2);
  ASSERT_EQ(p.replicas(1), 2);
  EXPECT_EQ(std::set<std::int32_t>(p.replicas_begin(0), p.replicas_begin(0) + 2), (std::set<std::int32_t>{0, 1}));
  EXPECT_EQ(std::set<std::int32_t>(p.replicas_begin(1), p.replicas_begin(1) + 2), (std::set<std::int32_t>{0, 1}));
  EXPECT_EQ(evaluate_plan(plan, stats, topo).total.dedup_bytes, 0.0);
  EXPECT_GT(evaluate_plan(find_placement_strategy("linear")->fit({stats, {2, 1, 1}, loose}), stats, {2, 1, 1})
                .total.dedup_bytes,
            0.0);

  const auto capped = find_placement_strategy("linear+gain")->fit({stats, topo, FitOptions{}});
  EXPECT_EQ(capped.layers[0].replicas(0), 1);
  EXPECT_EQ(capped.layers[0].replicas(1), 1);
}

// Every <base>+gain strategy: without redundant slots the base's placement; with them no GPU over its slots, no
// expert twice on a node, and on the training requests no more node-dedup bytes than the base without copies.
TEST(Strategies, ReplicaGainNeverAddsTrafficOnItsTrainingRequests) {
  const auto tr = two_families(10);
  const auto stats = compute_stats(tr);
  const PlacementTopology base{2, 2, 0}, redundant{2, 2, 3};
  std::size_t variants = 0;
  for (const auto& s : placement_strategies()) {
    const std::string name = s->name();
    if (name.size() < 5 || name.substr(name.size() - 5) != "+gain") continue;
    ++variants;
    const auto* plain = find_placement_strategy(name.substr(0, name.size() - 5));
    ASSERT_NE(plain, nullptr) << name;
    const auto without = s->fit({stats, base, {}});
    const auto base_plan = plain->fit({stats, base, {}});
    for (std::size_t l = 0; l < without.layers.size(); ++l)
      EXPECT_EQ(without.layers[l].replica_gpus, base_plan.layers[l].replica_gpus) << name;
    const auto with = s->fit({stats, redundant, {}});
    for (const auto& p : with.layers) {
      std::vector<int> used(4, 0);
      for (std::int32_t e = 0; e < p.num_experts; ++e) {
        std::set<std::int32_t> nodes;
        for (std::int32_t i = 0; i < p.replicas(e); ++i) {
          ++used[std::size_t(p.replicas_begin(e)[i])];
          EXPECT_TRUE(nodes.insert(p.replicas_begin(e)[i] / 2).second) << name << " expert " << e;
        }
      }
      for (int u : used)
        EXPECT_LE(u, 3) << name;
    }
    EXPECT_LE(evaluate_plan(with, stats, redundant).total.dedup_bytes,
              evaluate_plan(base_plan, stats, base).total.dedup_bytes)
        << name;
  }
  EXPECT_EQ(variants, 4u);
}
