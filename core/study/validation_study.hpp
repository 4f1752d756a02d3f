#pragma once
// Validation runs as a facade operation: predict every case of validation suites (validation/suites/*.json) in one
// or both time-model modes and compare with the measurement, optionally refitting accelerators' compute
// calibrations on the suites' calibration rows first (docs/validation-format.md).
#include <string>
#include <vector>

#include "accuracy/validation_run.hpp"
#include "study/session.hpp"

namespace moescope {

struct ValidationStudy {
  std::vector<std::string> suite_files;
  std::vector<TimeModelMode> modes = {TimeModelMode::calibrated};
  bool keep_cases = true;               // false: summaries only
  std::vector<std::string> fit_devices; // refit and write hwdb/calibrations/<device>-compute.json first
};

struct ValidationOutcome {
  Json json;                     // {"suites": [...], "fits": [...]}
  std::string text;              // per-suite tables and summaries
  std::vector<std::string> fits; // one line per refitted calibration
};

// Every problem of every suite is reported at once (InputError naming file and JSON pointer).
ValidationOutcome run_validation_study(Session& session, const ValidationStudy& study);

} // namespace moescope
