// The placement view's facade: slot maps of a fitted plan on a hand-counted trace, the typed comparison rows against
// the study's own figures, and the study's progress callback (which may stop it).
#include <gtest/gtest.h>

#include <cmath>

#include "placement/routing_stats.hpp"
#include "study/placement_map.hpp"
#include "study/placement_study.hpp"
#include "test_paths.hpp"
#include "util/diagnostics.hpp"

using namespace moescope;

namespace {

// 4 experts, top-2, one layer, one prefill-only request of 3 tokens: the first (a quarter, rounded up) homes it, the
// other two, {0, 2} and {2, 3}, are its traffic. Traffic load: expert 0: 1, expert 1: 0, expert 2: 2, expert 3: 1.
trace::ExpertTrace four_experts() {
  trace::TraceMetadata m;
  m.num_experts = 4;
  m.top_k = 2;
  m.moe_layer_ids = {3};
  m.domains = {"d"};
  return trace::ExpertTrace(m, {{"r", 0, 0, 3, 0}}, {0, 1, 0, 2, 2, 3}, {});
}

const std::string kTrace = std::string(MOESCOPE_TEST_DATA_DIR) + "/traces/deepseek-v2-lite-chat-20.mst";

} // namespace

TEST(PlacementMap, LinearSlotsCarryTheirExpertsTraffic) {
  const auto tr = four_experts();
  const PlacementMap m = placement_map(fit_placement(tr, "linear", 2, 1), tr);
  EXPECT_EQ(m.slots_per_gpu, 2);
  EXPECT_EQ(m.moe_layer_ids, std::vector<std::int32_t>{3});
  ASSERT_EQ(m.layers.size(), 1u);
  const PlacementLayerMap& l = m.layers[0];
  ASSERT_EQ(l.slots.size(), 4u);
  const std::int32_t experts[] = {0, 1, 2, 3};
  const double tokens[] = {1, 0, 2, 1};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(l.slots[i].expert, experts[i]);
    EXPECT_EQ(l.slots[i].replicas, 1);
    EXPECT_EQ(l.slots[i].tokens, tokens[i]);
  }
  EXPECT_EQ(l.gpu_tokens, (std::vector<double>{1, 3}));
  EXPECT_EQ(l.gpu_tokens_max, 3);
  EXPECT_EQ(l.gpu_tokens_mean, 2);
  EXPECT_EQ(l.gpu_max_over_mean(), 1.5);
}

TEST(PlacementMap, ReplicasSplitTheirExpertsTokens) {
  // One redundant slot per GPU: linear puts (g x 3 + s) mod 4 in slot s of GPU g, GPU 0 {0, 1, 2}, GPU 1 {3, 0, 1}:
  // experts 0 and 1 have two replicas, and expert 0's one token is half on each GPU.
  const auto tr = four_experts();
  const PlacementMap m = placement_map(fit_placement(tr, "linear", 2, 1, 1), tr);
  ASSERT_EQ(m.slots_per_gpu, 3);
  const PlacementLayerMap& l = m.layers[0];
  const std::int32_t experts[] = {0, 1, 2, 0, 1, 3};
  const std::int32_t replicas[] = {2, 2, 1, 2, 2, 1};
  const double tokens[] = {0.5, 0, 2, 0.5, 0, 1};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(l.slots[i].expert, experts[i]) << i;
    EXPECT_EQ(l.slots[i].replicas, replicas[i]) << i;
    EXPECT_EQ(l.slots[i].tokens, tokens[i]) << i;
  }
  EXPECT_EQ(l.gpu_tokens, (std::vector<double>{2.5, 1.5}));
  EXPECT_EQ(l.gpu_max_over_mean(), 1.25);
}

TEST(PlacementMap, EveryStrategyPlacesEveryExpertOfTheBundledTrace) {
  const trace::ExpertTrace tr = import_expert_trace(kTrace);
  const auto stats = placement::compute_stats(tr);
  for (const std::string& s : placement::placement_strategy_names()) {
    SCOPED_TRACE(s);
    const PlacementMap m = placement_map(fit_placement(tr, s, 2, 8, 1), tr);
    ASSERT_EQ(m.layers.size(), tr.num_layers());
    EXPECT_EQ(m.slots_per_gpu, 64 / 16 + 1);
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
      std::vector<int> seen(64, 0);
      double total = 0;
      for (const PlacementSlot& slot : m.layers[l].slots)
        if (slot.expert >= 0) {
          ++seen[std::size_t(slot.expert)];
          total += slot.tokens;
        }
      for (int e = 0; e < 64; ++e)
        ASSERT_GE(seen[std::size_t(e)], 1) << "layer " << l << " expert " << e;
      // The slots serve every traffic selection of the layer once.
      double load = 0;
      for (double x : stats.layer_load(std::uint32_t(l)))
        load += x;
      EXPECT_NEAR(total, load, 1e-9 * load);
    }
  }
}

TEST(PlacementStudy, ComparisonRowsAreTheStudysRatiosToLinear) {
  PlacementStudy study;
  study.trace_path = kTrace;
  study.redundant = 1;
  study.config.topology.nodes = 2;
  study.config.topology.gpus_per_node = 8;
  std::size_t calls = 0, last_total = 0;
  study.config.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(done, ++calls);
    last_total = total;
  };
  const auto res = run_placement_study(study);
  EXPECT_EQ(calls, res.rows.size() * 3); // 3 folds of each (strategy, redundancy); the trace has one domain
  EXPECT_EQ(last_total, calls);
  const auto rows = placement_comparison_rows(res);
  ASSERT_EQ(rows.size(), res.rows.size());
  const auto* linear = res.baseline("held-out");
  ASSERT_TRUE(linear);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& m = res.rows[i].metrics;
    EXPECT_EQ(rows[i].strategy, res.rows[i].strategy);
    EXPECT_EQ(rows[i].dedup_bytes, m.total.dedup_bytes);
    EXPECT_DOUBLE_EQ(rows[i].dedup_bytes_ratio, m.total.dedup_bytes / linear->metrics.total.dedup_bytes);
    EXPECT_DOUBLE_EQ(rows[i].busiest_link_ratio, m.total.busiest_link_bytes / linear->metrics.total.busiest_link_bytes);
    EXPECT_EQ(rows[i].gpu_max_over_mean, m.gpu_max_over_mean());
    if (rows[i].strategy == "linear" && rows[i].redundant_slots == 0) EXPECT_EQ(rows[i].dedup_bytes_ratio, 1.0);
  }
}

TEST(PlacementStudy, ProgressCanStopTheStudy) {
  PlacementStudy study;
  study.trace_path = kTrace;
  study.config.topology.nodes = 2;
  study.config.topology.gpus_per_node = 8;
  struct Stop {};
  std::size_t calls = 0;
  study.config.progress = [&](std::size_t, std::size_t) {
    if (++calls == 2) throw Stop{};
  };
  EXPECT_THROW(run_placement_study(study), Stop);
  EXPECT_EQ(calls, 2u);
}

// --moe-time: every row carries the MoE layer time (experts on the slowest GPU + DeepEP normal), the table names the
// winner by it, and the result says which compute model timed the experts.
TEST(PlacementStudy, MoeTimeTimesEveryRowAndNamesTheWinner) {
  Session session;
  PlacementStudy study;
  study.trace_path = kTrace;
  study.config.topology.nodes = 2;
  study.config.topology.gpus_per_node = 4;
  study.config.folds = 1;
  study.config.cross_domain = false;
  study.config.strategies = {"coact-partition"};
  study.moe_time_system = "hgx-h200";
  EXPECT_THROW(run_placement_study(study), std::logic_error); // it needs the catalog and hwdb
  const auto res = run_placement_study(study, &session);
  EXPECT_NE(res.expert_compute_model.find("deepseek-v2-lite experts on h200-sxm"), std::string::npos)
      << res.expert_compute_model;
  ASSERT_EQ(res.rows.size(), 2u);
  for (const auto& row : res.rows) {
    const auto& t = row.metrics.total;
    EXPECT_GT(t.expert_seconds, 0.0) << row.strategy;
    EXPECT_GT(t.a2a_normal_seconds, 0.0) << row.strategy;
    EXPECT_DOUBLE_EQ(t.moe_layer_seconds(), t.expert_seconds + t.a2a_normal_seconds);
  }
  EXPECT_NE(placement::experiment_markdown(res).find("Winner by MoE layer time"), std::string::npos);
  study.moe_time_system = "nope";
  EXPECT_THROW(run_placement_study(study, &session), InputError);
}
