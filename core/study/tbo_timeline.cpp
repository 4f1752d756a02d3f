#include "study/tbo_timeline.hpp"

#include <algorithm>

#include "engine/tbo_region.hpp"

namespace moescope {

TboTimeline tbo_timeline(const Evaluation& e, Phase phase, std::int64_t layers) {
  TboTimeline t;
  t.phase = phase;
  const ResolvedScenario& s = e.scenario;
  const EngineConfig& cfg = s.scenario.engine;
  t.configured = cfg.overlap == Overlap::two_batch;
  const PhaseResult& p = phase == Phase::prefill ? e.result.prefill : e.result.decode;
  if (!p.evaluated) {
    t.note = to_string(phase) + " was not evaluated";
    return t;
  }
  if (!s.model.is_moe()) {
    t.note = "dense model \"" + s.model.name + "\": two-batch overlap splits only MoE layers";
    return t;
  }
  // The same phase on the same pool as evaluate_deployment ran it; only the recording is new.
  TboRegionRecord record;
  evaluate_phase(pool_scenario(s, phase), phase, cfg, &record);
  if (record.first_layer < 0) {
    t.note = "a micro-batch of fewer than 2 " + std::string(phase == Phase::prefill ? "tokens" : "sequences") +
             " per GPU is not split into two";
    return t;
  }
  t.first_layer = record.first_layer;
  t.region_layers = static_cast<std::int64_t>(record.schedule.layer_end.size());
  t.layers_shown = std::clamp<std::int64_t>(layers, 1, t.region_layers);
  t.region_makespan_seconds = record.schedule.makespan;
  t.region_compute_idle_seconds = record.schedule.compute_idle;
  for (const TboInterval& i : record.intervals) {
    if (i.layer >= t.layers_shown) continue;
    t.intervals.push_back(i);
    t.end_seconds = std::max(t.end_seconds, i.end_seconds);
    if (i.kind == TboOpKind::stall) t.stall_seconds += i.end_seconds - i.start_seconds;
  }
  return t;
}

std::string tbo_timeline_csv(const TboTimeline& t) {
  const auto number = [](double v) { return Json(v).dump(); }; // shortest text that reads back the same double
  std::string out = "stream,microbatch,layer,op,waits_for,start_seconds,end_seconds\n";
  for (const TboInterval& i : t.intervals)
    out += to_string(i.stream) + "," + (i.microbatch == 0 ? "a" : "b") + "," + std::to_string(t.first_layer + i.layer) +
           "," + to_string(i.kind) + "," + (i.kind == TboOpKind::stall ? to_string(i.waits_for) : std::string()) + "," +
           number(i.start_seconds) + "," + number(i.end_seconds) + "\n";
  return out;
}

} // namespace moescope
