// The two-stream timeline of an evaluation: the schedule the step model ran, cut to the first MoE layers.
#include <gtest/gtest.h>

#include <algorithm>

#include "study/tbo_timeline.hpp"

using namespace moescope;

namespace {

Session& session() {
  static Session s;
  return s;
}

Evaluation evaluate(const std::string& scenario) {
  return session().evaluate_file(session().data_root() + "/scenarios/" + scenario);
}

} // namespace

TEST(TboTimeline, FirstLayersOfTheEvaluatedSchedule) {
  const Evaluation e = evaluate("sglang-decode-9x8-h100.json");
  for (Phase phase : {Phase::decode, Phase::prefill}) {
    SCOPED_TRACE(to_string(phase));
    const TboTimeline t = tbo_timeline(e, phase, 3);
    const PhaseResult& p = phase == Phase::prefill ? e.result.prefill : e.result.decode;
    EXPECT_TRUE(t.configured);
    EXPECT_TRUE(t.note.empty());
    EXPECT_EQ(t.first_layer, 3); // DeepSeek-V3's three dense layers run before the region
    EXPECT_EQ(t.region_layers, 58);
    EXPECT_EQ(t.layers_shown, 3);
    // One region: its idle time is the phase's, and its makespan is the MoE layers' two-batch time.
    EXPECT_DOUBLE_EQ(t.region_compute_idle_seconds, p.two_batch_compute_idle_seconds);
    double moe = 0;
    for (const auto& l : p.layers)
      if (l.id == "moe") moe += static_cast<double>(l.count) * l.two_batch_seconds;
    EXPECT_NEAR(t.region_makespan_seconds, moe, 1e-9 * moe);
    double stalls = 0, end = 0;
    bool b = false;
    for (const TboInterval& i : t.intervals) {
      EXPECT_LT(i.layer, 3);
      b = b || i.microbatch == 1;
      if (i.kind == TboOpKind::stall) stalls += i.end_seconds - i.start_seconds;
      end = std::max(end, i.end_seconds);
    }
    EXPECT_TRUE(b);
    EXPECT_DOUBLE_EQ(t.stall_seconds, stalls);
    EXPECT_DOUBLE_EQ(t.end_seconds, end);
    EXPECT_LT(t.end_seconds, t.region_makespan_seconds);
    const std::string csv = tbo_timeline_csv(t);
    EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), t.intervals.size() + 1);
    EXPECT_EQ(csv.rfind("stream,microbatch,layer,op,waits_for,start_seconds,end_seconds\n", 0), 0u);
  }
  // More layers than the region has: all of them.
  EXPECT_EQ(tbo_timeline(e, Phase::decode, 100).layers_shown, 58);
}

TEST(TboTimeline, OtherOverlapModesAndDenseModels) {
  const TboTimeline t = tbo_timeline(evaluate("default.json"), Phase::decode); // overlap none
  EXPECT_FALSE(t.configured);
  EXPECT_TRUE(t.note.empty());
  EXPECT_FALSE(t.intervals.empty());
  const TboTimeline dense = tbo_timeline(evaluate("llama-3-70b-dense-1x8-h100.json"), Phase::decode);
  EXPECT_TRUE(dense.intervals.empty());
  EXPECT_NE(dense.note.find("dense"), std::string::npos);
}
