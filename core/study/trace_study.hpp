#pragma once
// Trace operations as the front ends use them: import any supported format, describe it, convert it to moescope's
// binary format, characterise it, and fit / generate / compare the synthetic routing generator. The trace module's
// types (trace/*.hpp) are part of this interface; the checks and the composition live here, not in the front ends.
#include <optional>
#include <string>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace/synthetic_compare.hpp"
#include "trace/synthetic_routing.hpp"
#include "trace/trace_report.hpp"
#include "trace/trace_stats.hpp"
#include "util/json_reader.hpp"

namespace moescope {

// Metadata and sizes of a trace: model, format, kind (tokens / counts), experts, top-k, layers, domains, requests,
// tokens.
Json trace_info_json(const trace::AnyTrace& t);

// Imports `path` and writes it as .mst to `output` (atomically). Returns trace_info_json plus output, output_bytes
// and import_seconds.
Json convert_trace(const std::string& path, const trace::ImportOptions& import, const std::string& output);

// Imports and characterises a trace (InputError on an out-of-range option).
trace::TraceStats trace_statistics(const std::string& path, const trace::ImportOptions& import,
                                   const trace::StatsOptions& options);

struct SyntheticStudy {
  std::string path;
  trace::ImportOptions import;
  std::string output; // "" = no synthetic trace written
  trace::SyntheticShape shape;
  trace::SyntheticFitOptions fit;
  double test_fraction = 0.5;
  std::uint64_t split_seed = 0;
  bool fit_on_all = false; // fit on the whole trace instead of the train half
  bool compare = false;    // synthetic vs held-out statistics
};
struct SyntheticRun {
  std::optional<trace::SyntheticComparison> comparison;
  Json synthetic = Json(); // trace_info_json of the written trace plus output, fit/generate/write seconds
  std::uint64_t fitted_on_requests = 0;
};
SyntheticRun run_synthetic_study(const SyntheticStudy& study);

} // namespace moescope
