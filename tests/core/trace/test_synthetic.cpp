// The synthetic routing generator: fitted on a real trace's train half, its per-layer load statistics come close to
// the held-out half; deterministic given a seed; resampling to another expert count keeps the popularity curve;
// bad arguments are InputErrors (CLI exit status 2).
#include <algorithm>
#include <cmath>
#include <numeric>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace/synthetic_compare.hpp"
#include "trace/synthetic_routing.hpp"
#include "trace/trace_stats.hpp"
#include "trace_test_util.hpp"

namespace moescope::trace {
namespace {

using namespace testing;
using ::testing::HasSubstr;

ExpertTrace sample() {
  return load_tokens(data_dir() + "/deepseek-v2-lite-chat-20.mst");
}

// Tolerances (stated in docs/traces.md, "Synthetic routing"): per layer, synthetic vs held-out differs by at most
// `slack` plus twice what separates the two real halves (the noise floor of the comparison).
void expect_close_to_held_out(const SyntheticComparison& c, double gini_slack, double entropy_slack) {
  const auto& ho = c.held_out;
  const auto& sy = c.synthetic;
  const auto& tr = c.train;
  ASSERT_EQ(sy.gini.size(), ho.gini.size());
  for (std::size_t l = 0; l < ho.gini.size(); ++l) {
    SCOPED_TRACE("layer " + std::to_string(c.layer_ids[l]));
    EXPECT_LE(std::abs(sy.gini[l] - ho.gini[l]), gini_slack + 2 * std::abs(tr.gini[l] - ho.gini[l]));
    EXPECT_LE(std::abs(sy.entropy_bits[l] - ho.entropy_bits[l]),
              entropy_slack + 2 * std::abs(tr.entropy_bits[l] - ho.entropy_bits[l]));
  }
  EXPECT_LE(std::abs(sy.mean_gini - ho.mean_gini), gini_slack);
  EXPECT_LE(std::abs(sy.mean_entropy_bits - ho.mean_entropy_bits), entropy_slack);
}

TEST(Synthetic, SampleTraceHeldOutLoadStatistics) {
  const auto t = sample();
  const auto c = compare_synthetic(t, 0.5, 0, 0);
  EXPECT_EQ(c.synthetic.tokens, c.held_out.tokens);
  // Ten requests per half: the halves themselves differ by 0.04 in mean Gini, hence the wider slack.
  expect_close_to_held_out(c, 0.08, 0.12);
  // Co-activation concentration is in the held-out range (within 30%) and not that of independent draws.
  EXPECT_NEAR(c.synthetic.mean_pair_top_share, c.held_out.mean_pair_top_share, 0.3 * c.held_out.mean_pair_top_share);
}

TEST(Synthetic, DeepSeekChatHeldOut) {
  SKIP_WITHOUT_SHARED();
  const auto t = load_tokens(shared_traces() + "/deepseek-v2-lite-chat/prompts-0001-1000");
  const auto c = compare_synthetic(t, 0.5, 0, 0);
  expect_close_to_held_out(c, 0.02, 0.02);
  EXPECT_NEAR(c.synthetic.mean_pair_top_share, c.held_out.mean_pair_top_share, 0.2 * c.held_out.mean_pair_top_share);
  EXPECT_NEAR(c.synthetic.mean_request_js, c.held_out.mean_request_js, 0.2 * c.held_out.mean_request_js);
}

TEST(Synthetic, Llama4HeldOutDomainsAndPhases) {
  SKIP_WITHOUT_SHARED();
  const auto t = load_tokens(shared_traces() + "/llama4-maverick-mmlu");
  const auto c = compare_synthetic(t, 0.5, 0, 0);
  expect_close_to_held_out(c, 0.05, 0.25);
  EXPECT_NEAR(c.synthetic.domain_js, c.held_out.domain_js, 0.1);
  EXPECT_NEAR(c.synthetic.pd_request_pearson, c.held_out.pd_request_pearson, 0.1);
}

TEST(Synthetic, DeterministicGivenSeed) {
  const auto model = fit_synthetic(sample());
  SyntheticShape shape;
  shape.tokens = 10000; // 1.56 M selections: above the size where generation goes multi-threaded
  shape.seed = 7;
  shape.threads = 1;
  const auto a = generate_synthetic(model, shape);
  shape.threads = 3; // the thread count does not change the output
  const auto b = generate_synthetic(model, shape);
  ASSERT_EQ(a.num_tokens(), 10000u);
  EXPECT_TRUE(std::ranges::equal(a.expert_data(), b.expert_data()));
  ASSERT_EQ(a.num_requests(), b.num_requests());
  for (std::size_t r = 0; r < a.num_requests(); ++r)
    EXPECT_EQ(a.request(r).prefill_tokens, b.request(r).prefill_tokens);
  shape.seed = 8;
  const auto c = generate_synthetic(model, shape);
  EXPECT_FALSE(std::ranges::equal(a.expert_data(), c.expert_data()));
  // Fitting is deterministic too.
  const auto model2 = fit_synthetic(sample());
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    EXPECT_EQ(model.layers[l].alpha[0].value, model2.layers[l].alpha[0].value);
    EXPECT_EQ(model.layers[l].follow.value, model2.layers[l].follow.value);
  }
  // Every token has top-k distinct experts.
  for (std::uint64_t tok = 0; tok < a.num_tokens(); tok += 97)
    for (std::uint32_t l = 0; l < a.num_layers(); ++l) {
      auto e = a.experts(tok, l);
      std::vector<std::uint16_t> v(e.begin(), e.end());
      std::sort(v.begin(), v.end());
      EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
    }
}

TEST(Synthetic, ResampledCurveKeepsLorenzCurve) {
  // A skewed 64-expert curve resampled to 256: the cumulative share at every source quantile i/64 is unchanged.
  std::vector<double> src(64);
  for (std::size_t i = 0; i < src.size(); ++i)
    src[i] = 1.0 / std::pow(double(i + 1), 0.8);
  std::sort(src.begin(), src.end(), std::greater<>());
  const double total = std::accumulate(src.begin(), src.end(), 0.0);
  const auto out = resample_popularity_curve(src, 256);
  ASSERT_EQ(out.size(), 256u);
  EXPECT_NEAR(std::accumulate(out.begin(), out.end(), 0.0), 1.0, 1e-12);
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(), std::greater<>()));
  double cs = 0, co = 0;
  for (std::size_t i = 0; i < 64; ++i) {
    cs += src[i] / total;
    for (std::size_t j = 0; j < 4; ++j)
      co += out[4 * i + j];
    EXPECT_NEAR(co, cs, 1e-12);
  }
  EXPECT_NEAR(gini(out), gini(src), 0.01);
  // max/mean is kept: the hottest expert's share is split among four experts four times as many.
  EXPECT_NEAR(max_over_mean(out), max_over_mean(src), 1e-9);
  // Down to 16: still the same curve at the coarser quantiles.
  const auto down = resample_popularity_curve(src, 16);
  double cd = 0;
  cs = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    cd += down[i];
    for (std::size_t j = 0; j < 4; ++j)
      cs += src[4 * i + j] / total;
    EXPECT_NEAR(cd, cs, 1e-12);
  }
}

TEST(Synthetic, DeepSeekV3ShapeKeepsPopularityShape) {
  const auto train = sample();
  auto model = fit_synthetic(train);
  // Without the request-level tilt (which adds the sampling noise of a few requests), the generated load is the
  // resampled profile plus multinomial noise only.
  for (auto& l : model.layers)
    l.alpha[0].value = l.alpha[1].value = 1e12;
  SyntheticShape shape;
  shape.num_experts = 256;
  shape.num_layers = 58;
  shape.top_k = 8;
  shape.tokens = 20000;
  shape.seed = 1;
  const auto t = generate_synthetic(model, shape);
  EXPECT_EQ(t.num_experts(), 256u);
  EXPECT_EQ(t.num_layers(), 58u);
  EXPECT_EQ(t.top_k(), 8u);
  EXPECT_EQ(t.num_tokens(), 20000u);
  // The generated load's sorted curve follows the fitted profile's curve resampled to 256 (Gini within 0.04 per
  // layer and 0.03 on average, as the sampling noise of 20000 x 8 selections over 256 experts allows).
  StatsOptions so;
  so.coactivation = false;
  const auto stats = compute_stats(t, so);
  double src_gini = 0, syn_gini = 0;
  for (std::uint32_t j = 0; j < 58; ++j) {
    const auto& src = model.layers[std::llround(j * 25.0 / 57.0)];
    std::vector<double> sorted = src.profile;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    const double g = gini(resample_popularity_curve(sorted, 256));
    EXPECT_NEAR(stats.layers[j].gini, g, 0.04) << "layer " << j;
    src_gini += gini(src.profile) / 58;
    syn_gini += stats.layers[j].gini / 58;
  }
  EXPECT_NEAR(syn_gini, src_gini, 0.03);
  // Expert ids are permuted per layer: the hottest expert is not the same everywhere.
  std::vector<std::uint32_t> hottest;
  for (const auto& l : stats.layers)
    hottest.push_back(l.hottest[0].expert);
  std::sort(hottest.begin(), hottest.end());
  EXPECT_GT(std::unique(hottest.begin(), hottest.end()) - hottest.begin(), 10);
}

TEST(Synthetic, BadArgumentsAreInputErrors) {
  const auto model = fit_synthetic(sample());
  SyntheticShape shape;
  shape.tokens = 0;
  EXPECT_THROW(generate_synthetic(model, shape), InputError); // no token
  shape.tokens = 10;
  shape.num_experts = 4;
  shape.top_k = 8;
  EXPECT_THROW(generate_synthetic(model, shape), InputError); // top-k > experts
  shape.num_experts = 70000;
  shape.top_k = 0;
  EXPECT_THROW(generate_synthetic(model, shape), InputError); // too many experts
  SyntheticShape ten;
  ten.tokens = 10;
  EXPECT_THROW(generate_synthetic(SyntheticModel{}, ten), InputError); // empty model
  EXPECT_THROW(resample_popularity_curve(std::vector<double>{1, 0.5}, 0), InputError);
  EXPECT_THROW(resample_popularity_curve(std::vector<double>{}, 8), InputError);
  EXPECT_THROW(resample_popularity_curve(std::vector<double>{1, -1}, 8), InputError);
  SyntheticFitOptions bad;
  bad.smoothing = -1;
  EXPECT_THROW(fit_synthetic(sample(), bad), InputError);
  bad = {};
  bad.iterations = 0;
  EXPECT_THROW(fit_synthetic(sample(), bad), InputError);
  // A trace without tokens.
  TraceMetadata m;
  m.num_experts = 4;
  m.top_k = 2;
  m.moe_layer_ids = {0};
  m.domains = {"a"};
  EXPECT_THROW(fit_synthetic(ExpertTrace(m, {}, std::vector<std::uint16_t>{}, {})), InputError);
  EXPECT_THROW(compare_synthetic(sample(), 1.5, 0, 0), InputError);
}

TEST(Synthetic, CliWritesTargetShapeAndCompares) {
  SKIP_WITHOUT_CLI();
  ScratchDir dir;
  const std::string in = data_dir() + "/deepseek-v2-lite-chat-20.mst";
  const std::string out = dir.file("v3.mst");
  auto r = run_cli("trace synth " + in + " --experts 256 --layers 58 --top-k 8 --tokens 3000 --seed 3 -o " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto t = std::get<ExpertTrace>(load_binary(out));
  EXPECT_EQ(t.num_experts(), 256u);
  EXPECT_EQ(t.num_layers(), 58u);
  EXPECT_EQ(t.top_k(), 8u);
  EXPECT_EQ(t.num_tokens(), 3000u);
  EXPECT_EQ(t.metadata().source_format, "synthetic");
  r = run_cli("trace synth " + in + " --compare");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Gini"));
  EXPECT_THAT(r.output, HasSubstr("held-out"));
  r = run_cli("--json trace synth " + in + " --compare");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"held_out\""));
  // Bad arguments: exit status 2.
  EXPECT_EQ(run_cli("trace synth " + in).status, 2);                                             // nothing to do
  EXPECT_EQ(run_cli("trace synth " + in + " --top-k 300 -o " + dir.file("x.mst")).status, 2);    // top-k > experts
  EXPECT_EQ(run_cli("trace synth " + data_dir() + "/switch -o " + dir.file("y.mst")).status, 2); // counts only
  EXPECT_EQ(run_cli("trace synth " + in + " --compare --test-fraction 0").status, 2);
}

} // namespace
} // namespace moescope::trace
