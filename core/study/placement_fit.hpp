#pragma once
// One placement strategy fitted on a trace and scored on another (or the same) trace, for scripting: the pieces of a
// placement study (study/placement_study.hpp) one at a time, so that a design study can keep the plan, look at where
// each expert went, and evaluate it on held-out requests of its own choosing.
#include <string>

#include "placement/evaluation.hpp"
#include "placement/strategy.hpp"
#include "trace/trace.hpp"

namespace moescope {

struct PlacementFit {
  placement::PlacementPlan plan;
  placement::PlacementTopology topology; // slots_per_gpu resolved (base slots + redundant)
  placement::FitOptions fit;
};

// Fits `strategy` on every request of `trace` with `redundant` extra slots per GPU. InputError naming the option for
// an unknown strategy or a topology that does not fit the trace. bytes_per_token 0: from the trace's model.
PlacementFit fit_placement(const trace::ExpertTrace& trace, const std::string& strategy, std::int32_t nodes,
                           std::int32_t gpus_per_node, std::int32_t redundant = 0, double bytes_per_token = 0,
                           std::uint64_t seed = 0);

// Scores the fitted plan on the requests of `test` (homing them by the plan's policy). The trace must have the
// fitted trace's experts and layers (InputError otherwise).
placement::PlanMetrics evaluate_placement(const PlacementFit& fit, const trace::ExpertTrace& test);

} // namespace moescope
