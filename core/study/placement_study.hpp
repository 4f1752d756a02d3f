#pragma once
// Placement studies as a facade operation: every placement strategy (or the named ones) fitted on the training
// requests of a routing trace and scored on held-out requests, as ratios to linear placement (placement/experiment.hpp
// holds the result types and their JSON, Markdown and CSV forms).
#include <cstdint>
#include <string>
#include <vector>

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

// Checks the study (InputError naming the option), imports the trace and runs it (config.progress is called after
// each fit).
placement::ExperimentResult run_placement_study(const PlacementStudy& study);

// One row of the comparison table that `place compare` prints (placement::experiment_markdown), typed. Ratios are to
// linear without redundant slots on the same split; NaN where that split has no linear row or its figure is 0.
struct PlacementComparisonRow {
  std::string split; // "held-out" or "cross:<train domain>-><others>"
  std::string strategy;
  std::int32_t redundant_slots = 0;
  double inter_node_pairs_ratio = 0, dedup_bytes_ratio = 0, busiest_link_ratio = 0;
  double dedup_bytes = 0, busiest_link_bytes = 0; // summed over folds
  double gpu_max_over_mean = 0, tokens_per_node_max_over_mean = 0, requests_per_node_max_over_mean = 0;
  double fit_seconds = 0; // mean per fit
};
std::vector<PlacementComparisonRow> placement_comparison_rows(const placement::ExperimentResult& result);

// A per-token trace of any importer format (InputError when the file holds only expert counts).
trace::ExpertTrace import_expert_trace(const std::string& path, const trace::ImportOptions& import = {});

} // namespace moescope
