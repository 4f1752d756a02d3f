// The dependency-aware two-batch schedule on hand-computed toy cases, and ideal <= realistic <= serial.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>

#include "engine/step_model.hpp"
#include "engine/tbo_region.hpp"
#include "engine/tbo_schedule.hpp"
#include "engine_test_support.hpp"

using namespace moescope;
using namespace moescope::engine_test;

namespace {

TboLayerOps ops(double attention, double dispatch, double experts, double combine, double shared = 0, double prep = 0) {
  TboLayerOps o;
  o.attention_prep = o.attention_prep_busy = prep;
  o.attention = o.attention_busy = attention;
  o.dispatch = dispatch;
  o.experts = o.experts_busy = experts;
  o.combine = combine;
  o.shared = o.shared_busy = shared;
  return o;
}

double serial_halves(const std::vector<TboLayerOps>& v) { // both micro-batches, every op in sequence (busy times)
  double t = 0;
  for (const auto& o : v)
    t += 2.0 * (o.attention_prep_busy + o.attention_busy + o.shared_busy + o.experts_busy + o.dispatch + o.combine);
  return t;
}

// The recorded timeline of `v` against the schedule without recording: the same totals, each stream's ops in time
// order without overlap, the compute stream tiled from 0 to the makespan by its ops and stalls, the stalls summing
// to compute_idle.
std::vector<TboInterval> checked_timeline(const std::vector<TboLayerOps>& v, TboOrder order) {
  const TboSchedule plain = simulate_two_batch(v, order);
  std::vector<TboInterval> iv;
  const TboSchedule r = simulate_two_batch(v, order, &iv);
  EXPECT_EQ(r.makespan, plain.makespan);
  EXPECT_EQ(r.compute_busy, plain.compute_busy);
  EXPECT_EQ(r.communication_busy, plain.communication_busy);
  EXPECT_EQ(r.compute_idle, plain.compute_idle);
  EXPECT_EQ(r.layer_end, plain.layer_end);
  double end[2] = {0, 0}, stalls = 0, gaps = 0, compute_end = 0, comm = 0;
  for (const TboInterval& i : iv) {
    const int s = i.stream == TboStream::compute ? 0 : 1;
    EXPECT_LT(i.start_seconds, i.end_seconds);
    EXPECT_GE(i.start_seconds, end[s]); // in order, never overlapping
    if (s == 0) {
      EXPECT_EQ(i.start_seconds, end[0]); // tiled: ops and stalls back to back
    }
    EXPECT_EQ(i.kind == TboOpKind::dispatch || i.kind == TboOpKind::combine, s == 1);
    if (i.kind == TboOpKind::stall) {
      stalls += i.end_seconds - i.start_seconds;
      EXPECT_TRUE(i.waits_for == TboOpKind::dispatch || i.waits_for == TboOpKind::combine);
    } else if (s == 0) {
      gaps += i.start_seconds - compute_end; // time since the previous compute op: the stalls between
      compute_end = i.end_seconds;
    } else {
      comm += i.end_seconds - i.start_seconds;
    }
    end[s] = i.end_seconds;
  }
  gaps += end[0] - compute_end;
  EXPECT_NEAR(std::max(end[0], end[1]), r.makespan, 1e-12 * r.makespan);
  EXPECT_NEAR(stalls, r.compute_idle, 1e-9 * r.makespan);
  EXPECT_NEAR(gaps, r.compute_idle, 1e-9 * r.makespan);
  EXPECT_NEAR(comm, r.communication_busy, 1e-9 * r.makespan);
  return iv;
}

} // namespace

TEST(TboSchedule, PrefillEqualStages) {
  // Attention, dispatch, experts, combine all 1 (per micro-batch). Issue order a.X, b.X, a.Y, b.Y:
  // a.A [0,1] a.D [1,2] b.A [1,2] b.D [2,3] a.E [2,3] a.C [3,4] b.E [3,4] b.C [4,5].
  const auto one = simulate_two_batch({ops(1, 1, 1, 1)}, TboOrder::prefill);
  EXPECT_DOUBLE_EQ(one.makespan, 5.0);
  EXPECT_DOUBLE_EQ(one.compute_busy, 4.0);
  // Steady state: 4 per layer (both streams always busy, = the ideal 2 x 2), plus one attention of fill.
  const std::vector<TboLayerOps> two(2, ops(1, 1, 1, 1));
  const auto r = simulate_two_batch(two, TboOrder::prefill);
  EXPECT_DOUBLE_EQ(r.makespan, 9.0);
  ASSERT_EQ(r.layer_end.size(), 2u);
  EXPECT_DOUBLE_EQ(r.layer_end[0], 5.0);
  EXPECT_DOUBLE_EQ(r.layer_end[1], 9.0);
  const std::vector<TboLayerOps> ten(10, ops(1, 1, 1, 1));
  EXPECT_DOUBLE_EQ(simulate_two_batch(ten, TboOrder::prefill).makespan, 41.0);
  EXPECT_DOUBLE_EQ(ideal_two_batch(ten), 40.0);
}

TEST(TboSchedule, CommunicationDominated) {
  // Dispatch and combine 3, compute 1: the communication stream never idles after the first attention:
  // a.A [0,1] a.D [1,4] b.A [1,2] b.D [4,7] a.E [4,5] a.C [7,10] b.E [7,8] b.C [10,13].
  const auto r = simulate_two_batch({ops(1, 3, 1, 3)}, TboOrder::prefill);
  EXPECT_DOUBLE_EQ(r.makespan, 13.0);
  EXPECT_DOUBLE_EQ(r.communication_busy, 12.0);
  EXPECT_DOUBLE_EQ(ideal_two_batch({ops(1, 3, 1, 3)}), 12.0);
}

TEST(TboSchedule, ComputeDominated) {
  // Compute 3, communication 1: the compute stream never idles; the last combine is exposed:
  // a.A [0,3] a.D [3,4] b.A [3,6] b.D [6,7] a.E [6,9] a.C [9,10] b.E [9,12] b.C [12,13].
  const auto r = simulate_two_batch({ops(3, 1, 3, 1)}, TboOrder::prefill);
  EXPECT_DOUBLE_EQ(r.makespan, 13.0);
  EXPECT_DOUBLE_EQ(r.compute_busy, 12.0);
  EXPECT_DOUBLE_EQ(r.compute_idle, 1.0);
  EXPECT_DOUBLE_EQ(ideal_two_batch({ops(3, 1, 3, 1)}), 12.0);
}

TEST(TboSchedule, DecodeOrderAndInOrderWaits) {
  // Decode order (micro-batch a two stages ahead): stages [P] [Q] [D, S] [wait D, E, C] [wait C], all ops 1:
  // a.P [0,1] a.Q [1,2] a.D [2,3] a.S [2,3] b.P [3,4] a.E [4,5] a.C [5,6] b.Q [5,6] (a waits for C until 6)
  // b.D [6,7] b.S [6,7] b.E [7,8] b.C [8,9].
  const auto r = simulate_two_batch({ops(1, 1, 1, 1, 1, 1)}, TboOrder::decode);
  EXPECT_DOUBLE_EQ(r.makespan, 9.0);
  EXPECT_DOUBLE_EQ(r.compute_busy, 8.0);
  // A long combine: a's wait for its combine blocks the compute stream in order, so b's dispatch and shared
  // experts, issued after it, start only when a's combine lands (a.C [5,10], b.D [10,11], b.E [11,12], b.C [12,17]),
  // although b.S depends on nothing of a.
  const auto w = simulate_two_batch({ops(1, 1, 1, 5, 1, 1)}, TboOrder::decode);
  EXPECT_DOUBLE_EQ(w.makespan, 17.0);
  // The same work in prefill order overlaps better: b's attention runs while a communicates.
  EXPECT_LT(simulate_two_batch({ops(2, 1, 1, 5, 1, 0)}, TboOrder::prefill).makespan, w.makespan);
}

TEST(TboSchedule, SmHoldingCommunicationSlowsConcurrentCompute) {
  // All ops 1; compute concurrent with a communication kernel takes 2 (half the SMs):
  // a.A [0,1]; a.D [1,2]; b.A from 1: half done at 2, rest at full rate -> 2.5; b.D [2.5,3.5];
  // a.E from 2.5 under b.D: half at 3.5 -> 4; a.C [4,5]; b.E from 4 under a.C: half at 5 -> 5.5; b.C [5.5,6.5].
  TboLayerOps o = ops(1, 1, 1, 1);
  o.attention_busy = o.experts_busy = 2;
  o.comm_uses_sms = true;
  const auto r = simulate_two_batch({o}, TboOrder::prefill);
  EXPECT_DOUBLE_EQ(r.makespan, 6.5);
  // Ideal: the communication window (4) at the busy rate covers half the compute work (4 plain = 8 busy);
  // the other half at the plain rate: 4 + 2 = 6.
  EXPECT_DOUBLE_EQ(ideal_two_batch({o}), 6.0);
  // Without the SM flag the busy times are ignored.
  o.comm_uses_sms = false;
  EXPECT_DOUBLE_EQ(simulate_two_batch({o}, TboOrder::prefill).makespan, 5.0);
}

TEST(TboSchedule, IdealBelowRealisticBelowSerialOnRandomCases) {
  std::uint64_t x = 88172645463325252ull;
  auto rnd = [&] { // xorshift, in (0, 1]
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<double>((x >> 11) % 1000 + 1) / 1000.0;
  };
  for (int c = 0; c < 300; ++c) {
    const int layers = 1 + static_cast<int>(rnd() * 12);
    std::vector<TboLayerOps> v;
    const bool sms = c % 3 == 0;
    for (int l = 0; l < layers; ++l) {
      TboLayerOps o = ops(rnd(), rnd() * 2, rnd(), rnd() * 2, rnd() * 0.3, rnd() * 0.3);
      if (sms) { // one slowdown for every op (the ideal bound assumes a uniform ratio)
        const double f = 1.0 + rnd() * 0.5;
        o.attention_prep_busy *= f;
        o.attention_busy *= f;
        o.experts_busy *= f;
        o.shared_busy *= f;
        o.comm_uses_sms = true;
      }
      v.push_back(o);
    }
    for (TboOrder order : {TboOrder::prefill, TboOrder::decode}) {
      const auto r = simulate_two_batch(v, order);
      checked_timeline(v, order);
      const double ideal = ideal_two_batch(v);
      EXPECT_LE(ideal, r.makespan * (1 + 1e-12)) << c;
      EXPECT_LE(r.makespan, serial_halves(v) * (1 + 1e-12)) << c;
      for (std::size_t i = 1; i < r.layer_end.size(); ++i)
        EXPECT_LE(r.layer_end[i - 1], r.layer_end[i]);
    }
  }
}

TEST(TboTimeline, PrefillTwoLayersByHand) {
  // Attention 1, dispatch 2, experts 1, combine 1, shared 0.5 per micro-batch, issued a.X0 b.X0 a.Y0 b.Y0 a.X1 ...
  const auto iv = checked_timeline(std::vector<TboLayerOps>(2, ops(1, 2, 1, 1, 0.5)), TboOrder::prefill);
  using K = TboOpKind;
  constexpr auto C = TboStream::compute, M = TboStream::communication;
  struct Row {
    TboStream stream;
    int mb, layer;
    K kind;
    double start, end;
  };
  const Row want[] = {
      {C, 0, 0, K::attention, 0, 1},     {M, 0, 0, K::dispatch, 1, 3},      // a.X0
      {C, 1, 0, K::attention, 1, 2},     {M, 1, 0, K::dispatch, 3, 5},      // b.X0
      {C, 0, 0, K::stall, 2, 3},         {C, 0, 0, K::experts, 3, 4},       // a.Y0: waits for its dispatch
      {M, 0, 0, K::combine, 5, 6},                                          //
      {C, 1, 0, K::stall, 4, 5},         {C, 1, 0, K::experts, 5, 6},       // b.Y0
      {M, 1, 0, K::combine, 6, 7},                                          //
      {C, 0, 0, K::shared, 6, 6.5},      {C, 0, 1, K::attention, 6.5, 7.5}, // a.X1: combine a0 already landed
      {M, 0, 1, K::dispatch, 7.5, 9.5},                                     //
      {C, 1, 0, K::shared, 7.5, 8},      {C, 1, 1, K::attention, 8, 9},     // b.X1
      {M, 1, 1, K::dispatch, 9.5, 11.5},                                    //
      {C, 0, 1, K::stall, 9, 9.5},       {C, 0, 1, K::experts, 9.5, 10.5},  // a.Y1
      {M, 0, 1, K::combine, 11.5, 12.5},                                    //
      {C, 1, 1, K::stall, 10.5, 11.5},   {C, 1, 1, K::experts, 11.5, 12.5}, // b.Y1
      {M, 1, 1, K::combine, 12.5, 13.5},                                    //
      {C, 0, 1, K::shared, 12.5, 13},    {C, 1, 1, K::shared, 13, 13.5},    // a.Z, b.Z: the combines have landed
  };
  ASSERT_EQ(iv.size(), std::size(want));
  for (std::size_t k = 0; k < iv.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(iv[k].stream, want[k].stream);
    EXPECT_EQ(iv[k].microbatch, want[k].mb);
    EXPECT_EQ(iv[k].layer, want[k].layer);
    EXPECT_EQ(iv[k].kind, want[k].kind);
    EXPECT_DOUBLE_EQ(iv[k].start_seconds, want[k].start);
    EXPECT_DOUBLE_EQ(iv[k].end_seconds, want[k].end);
  }
  EXPECT_EQ(iv[4].waits_for, TboOpKind::dispatch);
  const auto r = simulate_two_batch(std::vector<TboLayerOps>(2, ops(1, 2, 1, 1, 0.5)), TboOrder::prefill);
  EXPECT_DOUBLE_EQ(r.makespan, 13.5);
  EXPECT_DOUBLE_EQ(r.compute_idle, 3.5); // the four stalls: 1 + 1 + 0.5 + 1
}

TEST(TboTimeline, DecodeIssueOrder) {
  // Micro-batch a two stages ahead: a0 a1 (a2 b0) (a3 b1) ... (a9 b7) b8 b9 over the stages [prep] [attention]
  // [dispatch, shared] [wait, experts, combine] [wait] of two layers.
  const auto iv = checked_timeline(std::vector<TboLayerOps>(2, ops(1, 1, 1, 1, 1, 1)), TboOrder::decode);
  std::string compute, comm;
  for (const TboInterval& i : iv) {
    if (i.kind == TboOpKind::stall) continue;
    (i.stream == TboStream::compute ? compute : comm) +=
        (i.microbatch == 0 ? "a." : "b.") + to_string(i.kind) + std::to_string(i.layer) + " ";
  }
  EXPECT_EQ(compute, "a.attention_prep0 a.attention0 a.shared0 b.attention_prep0 a.experts0 b.attention0 b.shared0 "
                     "a.attention_prep1 b.experts0 a.attention1 a.shared1 b.attention_prep1 a.experts1 b.attention1 "
                     "b.shared1 b.experts1 ");
  EXPECT_EQ(comm, "a.dispatch0 a.combine0 b.dispatch0 b.combine0 a.dispatch1 a.combine1 b.dispatch1 b.combine1 ");
}

TEST(TboTimeline, RecordingLeavesThePhaseUnchanged) {
  const auto s = resolve_json(scenario_json(repo("scenarios/sglang-prefill-2k-4x8-h100.json")));
  const PhaseResult plain = evaluate_phase(s, Phase::prefill, s.scenario.engine);
  TboRegionRecord rec;
  const PhaseResult recorded = evaluate_phase(s, Phase::prefill, s.scenario.engine, &rec);
  EXPECT_EQ(recorded.step_seconds, plain.step_seconds);
  EXPECT_EQ(recorded.two_batch_compute_idle_seconds, plain.two_batch_compute_idle_seconds);
  // DeepSeek-V3: three dense layers, then one region of 58 MoE layers.
  EXPECT_EQ(rec.first_layer, 3);
  EXPECT_EQ(rec.schedule.layer_end.size(), 58u);
  EXPECT_DOUBLE_EQ(rec.schedule.compute_idle, plain.two_batch_compute_idle_seconds);
  EXPECT_FALSE(rec.intervals.empty());
}

TEST(TboSchedule, SglangScenariosIdealBelowRealisticBelowNoOverlap) {
  for (const char* f : {"scenarios/sglang-prefill-1k-4x8-h100.json", "scenarios/sglang-prefill-4k-4x8-h100.json",
                        "scenarios/sglang-decode-9x8-h100.json"}) {
    const auto s = resolve_json(scenario_json(repo(f)), repo(f));
    const EngineConfig cfg = s.scenario.engine;
    EXPECT_EQ(cfg.overlap, Overlap::two_batch) << f;
    const Phase phase = s.scenario.workload.phase;
    const PhaseResult r = evaluate_phase(s, phase, cfg);
    EXPECT_LE(r.step_seconds_by_overlap_two_batch_ideal, r.step_seconds_by_overlap_two_batch * (1 + 1e-12)) << f;
    EXPECT_LT(r.step_seconds_by_overlap_two_batch, r.step_seconds_by_overlap_none) << f;
    EXPECT_DOUBLE_EQ(r.step_seconds, r.step_seconds_by_overlap_two_batch) << f;
    for (const auto& l : r.layers) {
      EXPECT_LE(l.two_batch_ideal_seconds, l.two_batch_seconds * (1 + 1e-12)) << f << " " << l.id;
      // SGLang splits only the MoE layers.
      if (l.id == "dense") {
        EXPECT_DOUBLE_EQ(l.two_batch_seconds, l.serial_seconds) << f;
      }
    }
    // Prefill uses DeepEP normal kernels, which hold 20 SMs (network calibration); decode's low-latency kernels none.
    EXPECT_DOUBLE_EQ(r.communication_sms, phase == Phase::prefill ? 20.0 : 0.0) << f;
    // The configured "two_batch_ideal" gives the ideal figure as the step.
    EngineConfig ideal = cfg;
    ideal.overlap = Overlap::two_batch_ideal;
    EXPECT_DOUBLE_EQ(evaluate_phase(s, phase, ideal).step_seconds, r.step_seconds_by_overlap_two_batch_ideal) << f;
  }
}

TEST(TboSchedule, OverlapSettingNamesBothTwoBatchAssumptions) {
  Json j = scenario_json(repo("scenarios/sglang-decode-9x8-h100.json"));
  j["engine"]["overlap"] = "two-batch-ideal";
  EXPECT_EQ(resolve_json(j).scenario.engine.overlap, Overlap::two_batch_ideal);
  EXPECT_EQ(to_string(Overlap::two_batch_ideal), "two-batch-ideal");
  j["engine"]["overlap"] = "two_batch_ideal"; // the 0.1.0 spelling names the same assumption
  EXPECT_EQ(resolve_json(j).scenario.engine.overlap, Overlap::two_batch_ideal);
  j["engine"]["overlap"] = "two_batch";
  EXPECT_EQ(resolve_json(j).scenario.engine.overlap, Overlap::two_batch);
  j["engine"]["overlap"] = "perfect";
  EXPECT_THROW(resolve_json(j).scenario.engine, InputError);
}

// engine.overlap_communication_slowdown (a what-if assumption): dispatch and combine take f times their calibrated
// time while they overlap compute. The no-overlap sum does not move; the overlapped figures do, and never drop.
TEST(TboSchedule, OverlapCommunicationSlowdownAffectsOnlyOverlappedFigures) {
  Json j = scenario_json(repo("scenarios/sglang-prefill-4k-4x8-h100.json"));
  const auto base_s = resolve_json(j);
  const PhaseResult base = evaluate_phase(base_s, Phase::prefill, base_s.scenario.engine);
  EXPECT_EQ(base_s.scenario.engine.overlap_communication_slowdown, 1.0);
  j["engine"]["overlap_communication_slowdown"] = 2.0;
  const auto slow_s = resolve_json(j);
  const PhaseResult slow = evaluate_phase(slow_s, Phase::prefill, slow_s.scenario.engine);
  EXPECT_DOUBLE_EQ(slow.step_seconds_by_overlap_none, base.step_seconds_by_overlap_none);
  EXPECT_GT(slow.step_seconds_by_overlap_two_batch, 1.05 * base.step_seconds_by_overlap_two_batch);
  EXPECT_GT(slow.step_seconds_by_overlap_two_batch_ideal, base.step_seconds_by_overlap_two_batch_ideal);
  EXPECT_GT(slow.step_seconds_by_overlap_intra_layer, base.step_seconds_by_overlap_intra_layer);
  // The MoE communication stream of the schedule is twice as long: at least the doubled stream per MoE layer.
  const auto& l = slow.layers.back();
  ASSERT_EQ(l.id, "moe");
  EXPECT_GE(l.two_batch_ideal_seconds * (1 + 1e-12), 2.0 * l.communication_seconds);
  EXPECT_FALSE(slow.notes.empty());
  j["engine"]["overlap_communication_slowdown"] = 0.5;
  EXPECT_THROW(resolve_json(j).scenario.engine, InputError);
}
