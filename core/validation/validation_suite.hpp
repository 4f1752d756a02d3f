#pragma once
// Validation suites: measured values of real kernels and collectives, each with its device, operation,
// parameters and source; moescope predicts each case and reports the error. Format: docs/validation-format.md.
#include <string>
#include <vector>

#include "util/json_reader.hpp"

namespace moescope {

enum class CaseSplit { calibration, holdout };

struct ValidationCase {
  std::string id;        // unique within the suite
  std::string device;    // hwdb accelerator name (or system name for multi-GPU cases)
  std::string operation; // a registered OperationPredictor name, e.g. "gemm", "nccl_all_reduce"
  Json parameters;       // operation-specific, checked by the predictor
  double measured = 0.0; // in `unit`
  std::string unit;      // "seconds", "flop_per_s", "bytes_per_s"
  std::string source;    // where the measurement comes from
  CaseSplit split = CaseSplit::holdout;
  std::string pointer; // JSON pointer of the case in its file, for messages
};

struct ValidationSuite {
  std::string name;
  std::string description;
  std::string file;
  std::vector<ValidationCase> cases;
};

ValidationSuite load_validation_suite(const std::string& path); // throws InputError listing every problem

} // namespace moescope
