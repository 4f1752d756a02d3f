#pragma once
// Placement studies as a facade operation: every placement strategy (or the named ones) fitted on the training
// requests of a routing trace and scored on held-out requests, as ratios to linear placement (placement/experiment.hpp
// holds the result types and their JSON, Markdown and CSV forms).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/model_catalog.hpp"
#include "placement/experiment.hpp"
#include "placement/strategy.hpp"
#include "study/session.hpp"
#include "trace/importer.hpp"

namespace moescope {

struct PlacementStudy {
  std::string trace_path;
  trace::ImportOptions import;
  placement::ExperimentConfig config; // topology nodes and GPUs per node, folds, strategies, fit and evaluation options
  std::int32_t slots = 0;             // slots per GPU including redundant ones (0: experts / GPUs)
  std::int32_t redundant = -1;        // redundant slots per GPU of the second run (-1: from `slots`)
  double bytes_per_token = 0;         // dispatch bytes per token row (0: from the trace's model)
  // hwdb system whose accelerator times the routed experts (study/expert_compute_timer.hpp), which with the
  // all-to-all gives each strategy's MoE layer time; "": not timed.
  std::string moe_time_system;
};

// Checks the study (InputError naming the option), imports the trace and runs it (config.progress is called after
// each fit). Timing the MoE layer reads the catalog and hwdb through `session` (required then).
placement::ExperimentResult run_placement_study(const PlacementStudy& study, Session* session = nullptr);

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
  // With PlacementStudy::moe_time_system: the MoE layer time (routed experts on the slowest GPU + DeepEP normal),
  // summed over folds, and its ratio to linear's; -1 and NaN when not timed.
  double moe_layer_seconds = -1, moe_layer_ratio = std::numeric_limits<double>::quiet_NaN();
};
std::vector<PlacementComparisonRow> placement_comparison_rows(const placement::ExperimentResult& result);

// The catalog model a trace's model name names ("DeepSeek-V2-Lite-Chat" -> deepseek-v2-lite): the entry whose name or
// display name, without case and punctuation, starts the trace's; the longest on ties. nullptr when none does.
const ModelArchitecture* catalog_model_of_trace(const ModelCatalog& catalog, const std::string& trace_model);

// The option checks both placement studies share (InputError naming the option): nodes in [1, 64], GPUs per node
// in [1, 65536]; and, once the trace's expert count is known, redundant slots in [0, experts - base slots] (a GPU
// holds each expert at most once).
void check_placement_topology_options(const placement::PlacementTopology& topology);
void check_redundant_slots_option(std::int32_t redundant, std::int32_t experts, std::int32_t base_slots);

// A per-token trace of any importer format (InputError when the file holds only expert counts).
trace::ExpertTrace import_expert_trace(const std::string& path, const trace::ImportOptions& import = {});

} // namespace moescope
