#pragma once
// Placement studies as a facade operation: every placement strategy (or the named ones) fitted on the training
// requests of a routing trace and scored on held-out requests, as ratios to linear placement (placement/experiment.hpp
// holds the result types and their JSON, Markdown and CSV forms).
#include <cstdint>
#include <string>

#include "placement/experiment.hpp"
#include "placement/strategy.hpp"
#include "trace/importer.hpp"

namespace moescope {

struct PlacementStudy {
  std::string trace_path;
  trace::ImportOptions import;
  placement::ExperimentConfig config; // topology nodes and GPUs per node, folds, strategies, fit and evaluation options
  std::int32_t slots = 0;             // slots per GPU including redundant ones (0: experts / GPUs)
  std::int32_t redundant = -1;        // redundant slots per GPU of the second run (-1: from `slots`)
  double bytes_per_token = 0;         // dispatch bytes per token row (0: from the trace's model)
};

// Checks the study (InputError naming the option), imports the trace and runs it.
placement::ExperimentResult run_placement_study(const PlacementStudy& study);

} // namespace moescope
