#pragma once
// Re-placement over time as a facade operation (`moescope place drift`, placement/drift.hpp): the trace imported, the
// expert weight bytes taken from the model catalog and the per-GPU scale-up and scale-out bandwidths from a hwdb
// system, unless given (the catalog model: catalog_model_of_trace, placement_study.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "placement/drift.hpp"
#include "study/session.hpp"
#include "trace/importer.hpp"

namespace moescope {

struct PlacementDriftStudy {
  std::string trace_path;
  trace::ImportOptions import;
  placement::DriftConfig config;             // expert_bytes and the bandwidths: 0 = from `model` and `system`
  std::vector<std::int64_t> window_requests; // requests per window, one run each (into config.window_requests)
  std::int32_t redundant = 0;                // redundant slots per GPU
  double bytes_per_token = 0;                // dispatch bytes per token row (0: from the trace's model)
  std::string system = "hgx-h200";
  std::string model; // catalog name for the expert bytes ("": the catalog model the trace's model name names)
};

// Checks the study (InputError naming the option), imports the trace and runs it.
placement::DriftResult run_placement_drift_study(Session& session, const PlacementDriftStudy& study);

} // namespace moescope
