#pragma once
// The step model's two-batch schedule recorded op by op, for the two-stream timeline (study/tbo_timeline.hpp).
// Apart from step_model.hpp so that the headers most of the tree includes stay as they are.
#include <cstdint>
#include <vector>

#include "engine/step_model.hpp"
#include "engine/tbo_schedule.hpp"

namespace moescope {

// The first two-batch region (run of consecutive MoE layers) of the busiest stage as evaluate_phase scheduled it.
// first_layer: the index of the region's first layer in the stage; -1 when there is no region (a dense model, or a
// micro-batch of fewer than 2 sequences or tokens per GPU).
struct TboRegionRecord {
  std::int64_t first_layer = -1;
  TboSchedule schedule;               // of the whole region
  std::vector<TboInterval> intervals; // TboInterval::layer counts from the region's first layer
};

// evaluate_phase (step_model.hpp), also filling `record` (null: nothing recorded); the result is the same.
PhaseResult evaluate_phase(const ResolvedScenario& s, Phase phase, const EngineConfig& config, TboRegionRecord* record);

} // namespace moescope
