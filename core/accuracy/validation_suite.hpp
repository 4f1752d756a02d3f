#pragma once
// Validation suites: measured values of real kernels and collectives, each with its device, operation,
// parameters and source; moescope predicts each case and reports the error. Format: docs/validation-format.md.
#include <string>
#include <vector>

#include "util/json_reader.hpp"

namespace moescope {

// calibration: used to fit the calibrated model; holdout: reported as the model's error; excluded: kept and
// reported, but inconsistent with its own description (e.g. faster than the speed of light of the stated work).
enum class CaseSplit { calibration, holdout, excluded };
std::string to_string(CaseSplit s);

struct ValidationCase {
  std::string id;        // unique within the suite
  std::string device;    // hwdb accelerator name (or system name for multi-GPU cases)
  std::string operation; // a registered OperationPredictor name, e.g. "gemm", "nccl_all_reduce"
  Json parameters;       // operation-specific, checked by the predictor
  double measured = 0.0; // in `unit`
  std::string unit;      // "seconds", "flop_per_s", "bytes_per_s"
  std::string source;    // where the measurement comes from
  CaseSplit split = CaseSplit::holdout;
  std::string pointer;    // JSON pointer of the case in its file, for messages
  std::string suite_file; // the suite file it was read from
};

struct ValidationSuite {
  std::string name;
  std::string description;
  std::string file;
  std::vector<ValidationCase> cases;
};

// Reads a suite; every problem (file, JSON pointer, expectation) goes to `diagnostics`, including unknown operations
// and parameters the operation's predictor rejects.
ValidationSuite read_validation_suite(const Json& json, const std::string& file, Diagnostics& diagnostics);
ValidationSuite load_validation_suite(const std::string& path); // throws InputError listing every problem

} // namespace moescope
