#pragma once
// The two-stream timeline (Gantt) of the two-batch-overlap schedule behind an evaluation: every op of micro-batches
// a and b on the compute and communication streams for the first MoE layers of the busiest stage, and the compute
// stream's stalls waiting for communication, as the step model scheduled them (engine/tbo_schedule.hpp). The step
// model always schedules two-batch overlap, so a scenario with another overlap mode gets the timeline of what
// two-batch overlap would do (`configured` false).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tbo_schedule.hpp"
#include "study/session.hpp"

namespace moescope {

struct TboTimeline {
  Phase phase = Phase::decode;
  bool configured = false;        // the scenario's overlap is two-batch
  std::string note;               // why there is no timeline ("" when there is one)
  std::int64_t first_layer = 0;   // index in the stage of the region's first layer (TboInterval::layer 0)
  std::int64_t region_layers = 0; // MoE layers in the region (the schedule's fill and drain are at its ends)
  std::int64_t layers_shown = 0;
  // The ops of the shown layers in issue order (each stream in time order), stalls on the compute stream.
  std::vector<TboInterval> intervals;
  double end_seconds = 0;   // end of the last shown op
  double stall_seconds = 0; // the shown stalls
  double region_makespan_seconds = 0, region_compute_idle_seconds = 0;
};

// The timeline of `phase` (the evaluation has both) for the first `layers` MoE layers of the stage's first
// two-batch region: that phase evaluated again on its pool with the schedule recorded.
TboTimeline tbo_timeline(const Evaluation& e, Phase phase, std::int64_t layers = 4);
// One row per interval: stream, microbatch (a/b), layer (in the stage), op, waits_for, start_seconds, end_seconds.
std::string tbo_timeline_csv(const TboTimeline& t);

} // namespace moescope
