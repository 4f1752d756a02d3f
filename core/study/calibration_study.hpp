#pragma once
// Fitting an accelerator's compute calibration as a facade operation: measurements (CUDA microbenchmark output or
// validation suites) in, hwdb/calibrations/<device>-compute.json (or another path) out, written atomically, with
// the errors before and after on calibration and held-out rows (validation/calibrate.hpp holds the result types).
#include <set>
#include <string>
#include <vector>

#include "accuracy/calibrate.hpp"
#include "study/session.hpp"

namespace moescope {

struct CalibrationStudy {
  std::vector<std::string> files; // measurement files
  std::string device;             // accelerator name in hwdb
  std::string output;             // "" = hwdb/calibrations/<device>-compute.json
  int holdout_every = 4;
  std::vector<std::string> operations; // fit only these validation operations (empty: all compute operations)
};

struct CalibrationOutcome {
  CalibrateResult result;
  std::vector<CalibrationInput> inputs;
  std::string output;  // the file written
  std::string command; // the command line that reproduces it (recorded in the file)
};

// Checks the study (InputError naming the option or file), fits, and writes the calibration file.
CalibrationOutcome run_calibration_study(Session& session, const CalibrationStudy& study);
// A path relative to the session's data root where it lies below it.
std::string data_relative(const Session& session, const std::string& path);

} // namespace moescope
