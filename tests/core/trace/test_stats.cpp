// Statistics on hand-made tiny traces with hand-computed values (docs/traces.md gives the definitions).
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "trace/importer.hpp"
#include "trace/trace_stats.hpp"
#include "trace_test_util.hpp"

namespace moescope::trace {
namespace {

using namespace testing;

TEST(Primitives, Gini) {
  EXPECT_DOUBLE_EQ(gini(std::vector<double>{1, 1, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(gini(std::vector<double>{0, 0, 0, 1}), 0.75); // (n-1)/n: everything on one expert
  EXPECT_DOUBLE_EQ(gini(std::vector<double>{3, 3, 1, 1}), 0.25); // sum|xi-xj| = 16, 2 n^2 mean = 64
  EXPECT_DOUBLE_EQ(gini(std::vector<double>{0, 0}), 0.0);
}

TEST(Primitives, EntropyCvMaxMean) {
  EXPECT_DOUBLE_EQ(entropy_bits(std::vector<double>{1, 1, 1, 1}), 2.0);
  EXPECT_DOUBLE_EQ(entropy_bits(std::vector<double>{1, 1, 2}), 1.5);
  EXPECT_DOUBLE_EQ(entropy_bits(std::vector<double>{0, 5}), 0.0);
  EXPECT_DOUBLE_EQ(coefficient_of_variation(std::vector<double>{1, 3}), 0.5);
  EXPECT_DOUBLE_EQ(coefficient_of_variation(std::vector<double>{3, 3, 1, 1}), 0.5);
  EXPECT_DOUBLE_EQ(max_over_mean(std::vector<double>{3, 3, 1, 1}), 1.5);
  EXPECT_DOUBLE_EQ(max_over_mean(std::vector<double>{0, 0}), 0.0);
}

TEST(Primitives, Correlations) {
  EXPECT_NEAR(pearson(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4, 6}), 1.0, 1e-15);
  EXPECT_NEAR(pearson(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}), -1.0, 1e-15);
  EXPECT_NEAR(pearson(std::vector<double>{2, 1, 1, 0}, std::vector<double>{1, 2, 0, 3}), -2.0 / std::sqrt(10.0), 1e-15);
  EXPECT_TRUE(std::isnan(pearson(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
  // Spearman: monotone but non-linear is 1; one swapped pair of four is 1 - 6*2/(4*15) = 0.8; ties get mean ranks.
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 8, 27, 64}), 1.0, 1e-15);
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 3, 2, 4}), 0.8, 1e-15);
  EXPECT_NEAR(spearman(std::vector<double>{1, 2, 2, 3}, std::vector<double>{1, 3, 3, 4}), 1.0, 1e-15);
  EXPECT_NEAR(spearman(std::vector<double>{2, 1, 1, 0}, std::vector<double>{1, 2, 0, 3}), -3.0 / std::sqrt(22.5),
              1e-15);
}

TEST(Primitives, JensenShannonAndMutualInformation) {
  EXPECT_DOUBLE_EQ(jensen_shannon(std::vector<double>{1, 0}, std::vector<double>{0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(jensen_shannon(std::vector<double>{2, 6}, std::vector<double>{1, 3}), 0.0);
  // p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4); JS = 1/2 [1/2 log2(2/3) + 1/2 log2 2] + 1/2 log2(4/3).
  const double js = 0.5 * (0.5 * std::log2(0.5 / 0.75) + 0.5 * std::log2(0.5 / 0.25)) + 0.5 * std::log2(1 / 0.75);
  EXPECT_NEAR(jensen_shannon(std::vector<double>{1, 1}, std::vector<double>{1, 0}), js, 1e-15);
  // Perfect dependence: MI = H = 1 bit; independence: 0.
  EXPECT_NEAR(mutual_information_bits(std::vector<double>{5, 0, 0, 5}, 2, 2), 1.0, 1e-15);
  EXPECT_NEAR(mutual_information_bits(std::vector<double>{1, 1, 1, 1}, 2, 2), 0.0, 1e-15);
}

// E = 4, K = 2, two MoE layers; r0 (domain a) = 2 prefill + 1 decode tokens, r1 (domain b) = 1 prefill token.
ExpertTrace tiny() {
  TraceMetadata m;
  m.model = "tiny";
  m.num_experts = 4;
  m.top_k = 2;
  m.moe_layer_ids = {1, 3};
  m.domains = {"a", "b"};
  return ExpertTrace(m, {{"r0", 0, 0, 2, 1}, {"r1", 1, 3, 1, 0}},
                     {0, 1, 2, 3, /*t1*/ 1, 0, 3, 2, /*t2*/ 0, 2, 1, 3, /*t3*/ 3, 1, 0, 2}, {});
}

TEST(TraceStats, LoadPerLayerByHand) {
  const auto s = compute_stats(tiny());
  ASSERT_EQ(s.layers.size(), 2u);
  // Layer 1 counts [3, 3, 1, 1]; layer 3 counts [1, 1, 3, 3].
  for (const auto& l : s.layers) {
    EXPECT_EQ(l.selections, 8u);
    EXPECT_DOUBLE_EQ(l.max_over_mean, 1.5);
    EXPECT_DOUBLE_EQ(l.cv, 0.5);
    EXPECT_DOUBLE_EQ(l.gini, 0.25);
    EXPECT_NEAR(l.entropy_bits, 0.75 * std::log2(8.0 / 3.0) + 0.75, 1e-12);
    EXPECT_NEAR(l.normalized_entropy, (0.75 * std::log2(8.0 / 3.0) + 0.75) / 2.0, 1e-12);
  }
  EXPECT_EQ(s.layers[0].hottest[0].expert, 0u);
  EXPECT_DOUBLE_EQ(s.layers[0].hottest[0].share, 3.0 / 8.0);
  EXPECT_EQ(s.layers[1].hottest[0].expert, 2u);
}

TEST(TraceStats, CoactivationByHand) {
  const auto s = compute_stats(tiny());
  ASSERT_TRUE(s.coactivation);
  const auto& w = s.coactivation->within[0];
  // Layer 1 pairs: (0,1) (0,1) (0,2) (1,3); P(0) = P(1) = 3/4.
  EXPECT_EQ(w.pairs, 4u);
  ASSERT_FALSE(w.top_pairs.empty());
  EXPECT_EQ(w.top_pairs[0].a, 0u);
  EXPECT_EQ(w.top_pairs[0].b, 1u);
  EXPECT_EQ(w.top_pairs[0].count, 2u);
  EXPECT_NEAR(w.top_pairs[0].lift, 0.5 / (0.75 * 0.75), 1e-12);
  EXPECT_DOUBLE_EQ(w.top_pair_share, 0.5);
  // Layer 1 -> 3, all k x k combinations: joint counts (0,1)1 (0,2)2 (0,3)3 (1,0)1 (1,2)3 (1,3)2 (2,1)1 (2,3)1
  // (3,0)1 (3,2)1 of 16.
  ASSERT_EQ(s.coactivation->cross.size(), 1u);
  const auto& a = s.coactivation->cross[0];
  EXPECT_NEAR(a.mutual_information_bits, 0.46691718668869925, 1e-12);
  EXPECT_NEAR(a.normalized_mi, 0.46691718668869925 / 1.811278124459133, 1e-12);
  EXPECT_DOUBLE_EQ(a.top_successor_share, 0.5);
  EXPECT_DOUBLE_EQ(a.baseline_top_share, 0.375);
}

TEST(TraceStats, PrefillDecodeCorrelationByHand) {
  TraceMetadata m;
  m.model = "phases";
  m.num_experts = 4;
  m.top_k = 1;
  m.moe_layer_ids = {0};
  m.domains = {"d"};
  // Prefill experts 0 0 1 2 -> counts [2,1,1,0]; decode 0 1 1 3 3 3 -> counts [1,2,0,3].
  const ExpertTrace t(m, {{"r", 0, 0, 4, 6}, {"p", 0, 10, 1, 0}}, {0, 0, 1, 2, 0, 1, 1, 3, 3, 3, /*p*/ 2}, {});
  const auto s = compute_stats(t);
  ASSERT_TRUE(s.phases);
  EXPECT_EQ(s.phases->requests_with_both, 1u);
  EXPECT_EQ(s.phases->prefill_tokens, 5u);
  EXPECT_EQ(s.phases->decode_tokens, 6u);
  ASSERT_EQ(s.phases->layers.size(), 1u);
  const auto& l = s.phases->layers[0];
  EXPECT_NEAR(l.request_pearson, -2.0 / std::sqrt(10.0), 1e-12);
  EXPECT_NEAR(l.request_spearman, -3.0 / std::sqrt(22.5), 1e-12);
  // Request "p" has no decode phase: the aggregate uses only "r".
  EXPECT_NEAR(l.aggregate_pearson, -2.0 / std::sqrt(10.0), 1e-12);
}

TEST(TraceStats, DomainsDriftAndClassificationByHand) {
  TraceMetadata m;
  m.model = "domains";
  m.num_experts = 4;
  m.top_k = 1;
  m.moe_layer_ids = {0};
  m.domains = {"a", "b"};
  // Eight one-token requests: domain a always picks expert 0 or 1, domain b 2 or 3; the first four requests (a, a,
  // b, b) use experts {0, 2}, the last four {1, 3}.
  std::vector<RequestInfo> reqs;
  std::vector<std::uint16_t> ex = {0, 0, 2, 2, 1, 1, 3, 3};
  const std::uint32_t dom[] = {0, 0, 1, 1, 0, 0, 1, 1};
  for (std::uint32_t i = 0; i < 8; ++i)
    reqs.push_back({"q" + std::to_string(i), dom[i], i, 1, 0});
  const ExpertTrace t(m, reqs, ex, {});
  StatsOptions o;
  o.windows = 2;
  const auto s = compute_stats(t, o);
  ASSERT_TRUE(s.domains);
  // Domain a counts [2,2,0,0], b [0,0,2,2]: disjoint, JS = 1 bit.
  EXPECT_DOUBLE_EQ(s.domains->mean_js, 1.0);
  EXPECT_DOUBLE_EQ(s.domains->js_matrix[1], 1.0);
  EXPECT_TRUE(s.domains->classified);
  EXPECT_EQ(s.domains->test_requests, 4u);
  EXPECT_EQ(s.domains->train_requests, 4u);
  EXPECT_DOUBLE_EQ(s.domains->chance, 0.5);
  // Whatever the split, a test request shares its domain's experts only if the train half saw the same expert;
  // here each domain's train half has one request per window only by chance, so just bound the accuracy.
  EXPECT_GE(s.domains->accuracy, 0.0);
  EXPECT_LE(s.domains->accuracy, 1.0);
  // Drift: window 1 counts [2,0,2,0], window 2 [0,2,0,2]: JS = 1 bit; hottest 10% (one expert) never shared.
  ASSERT_TRUE(s.drift);
  EXPECT_EQ(s.drift->windows, 2u);
  EXPECT_DOUBLE_EQ(s.drift->layers[0].mean_js, 1.0);
  EXPECT_DOUBLE_EQ(s.drift->layers[0].hot_set_overlap, 0.0);
  EXPECT_DOUBLE_EQ(s.drift->layers[0].window_max_over_mean, 2.0);
}

TEST(TraceStats, ClassificationIsPerfectWhenDomainsUseDisjointExperts) {
  TraceMetadata m;
  m.model = "domains";
  m.num_experts = 4;
  m.top_k = 2;
  m.moe_layer_ids = {0};
  m.domains = {"a", "b"};
  std::vector<RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  for (std::uint32_t i = 0; i < 20; ++i) {
    const std::uint32_t d = i % 2;
    reqs.push_back({"q" + std::to_string(i), d, i, 1, 0});
    ex.push_back(static_cast<std::uint16_t>(2 * d));
    ex.push_back(static_cast<std::uint16_t>(2 * d + 1));
  }
  const auto s = compute_stats(ExpertTrace(m, reqs, ex, {}));
  ASSERT_TRUE(s.domains && s.domains->classified);
  EXPECT_DOUBLE_EQ(s.domains->accuracy, 1.0);
  EXPECT_EQ(s.domains->test_requests, 10u);
}

TEST(TraceStats, CountTracesGetLoadDomainsAndCrossLayerAffinity) {
  const auto s = compute_stats(import_trace(data_dir() + "/olmoe/mistral"));
  EXPECT_EQ(s.kind, "counts");
  EXPECT_EQ(s.layers.size(), 3u);
  ASSERT_TRUE(s.domains);
  EXPECT_FALSE(s.domains->classified);
  EXPECT_GT(s.domains->mean_js, 0.0);
  ASSERT_TRUE(s.coactivation);
  ASSERT_EQ(s.coactivation->cross.size(), 2u);
  EXPECT_EQ(s.coactivation->cross[0].from_layer, 0);
  EXPECT_EQ(s.coactivation->cross[0].to_layer, 7);
  EXPECT_FALSE(s.phases);
}

TEST(TraceStats, JsonCarriesEverySection) {
  const auto j = stats_to_json(compute_stats(import_trace(data_dir() + "/llama4")));
  for (const char* key : {"load", "drift", "domains", "prefill_decode", "coactivation"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["layers"], 24);
  EXPECT_EQ(j["load"]["layers"].size(), 24u);
}

TEST(TraceStats, CliStatsPrintsTablesAndJson) {
  SKIP_WITHOUT_CLI();
  auto r = run_cli("trace stats " + data_dir() + "/deepseek-v2-lite-chat-20.mst");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("Expert load per layer"));
  r = run_cli("--json trace stats " + data_dir() + "/esft");
  EXPECT_EQ(r.status, 0) << r.output;
  const auto j = Json::parse(r.output);
  EXPECT_TRUE(j["domains"].contains("classification"));
  ScratchDir dir;
  r = run_cli("trace convert " + data_dir() + "/llama4 -o " + dir.file("l.mst"));
  EXPECT_EQ(r.status, 0) << r.output;
  r = run_cli("--json trace info " + dir.file("l.mst"));
  EXPECT_EQ(Json::parse(r.output)["decode_tokens"], 181);
}

} // namespace
} // namespace moescope::trace
