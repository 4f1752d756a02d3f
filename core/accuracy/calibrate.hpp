#pragma once
// `moescope calibrate`: fits the compute calibration of one accelerator on the calibration rows of CUDA measurement
// files and validation suites, and reports the error before and after on the calibration rows and, apart, on the
// held-out rows. Documented in docs/calibration.md.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "accuracy/compute_calibration_fit.hpp"
#include "accuracy/cuda_measurements.hpp"
#include "accuracy/validation_run.hpp"
#include "compute/calibration.hpp"

namespace moescope {

struct CalibrationInput {
  std::string file;
  std::string kind;                   // "cuda_measurements" or "validation_suite"
  ValidationSuite suite;              // every case of the file (a CUDA file's cases all carry the device given)
  std::optional<CudaConversion> cuda; // conversion counts of a CUDA file
};

// Reads `path` and detects its format by content: an object with a "schema" key is a CUDA measurement file
// (converted with `device` and `holdout_every`), anything else is read as a validation suite. Throws InputError
// (file and JSON pointer of every problem).
CalibrationInput load_calibration_input(const std::string& path, const std::string& device, int holdout_every = 4);
CalibrationInput read_calibration_input(const Json& json, const std::string& file, const std::string& device,
                                        int holdout_every, Diagnostics& diagnostics);

struct SplitErrors {
  ErrorSummary calibration, holdout, excluded;
  ErrorSummary all; // calibration and held-out rows (not the excluded ones)
};
// Predicts `cases` with `calibration` (calibrated mode) and summarizes the absolute percentage errors by split.
SplitErrors evaluate_compute_calibration(const std::vector<const ValidationCase*>& cases, const HardwareDatabase& hwdb,
                                         const ComputeCalibration& calibration);
Json split_errors_to_json(const SplitErrors& e);

struct CalibrateOptions {
  std::string device;    // hwdb accelerator
  std::string hwdb_dir;  // where the installed calibration is looked up (for the "installed" comparison); "" = none
  int holdout_every = 4; // the rule the CUDA inputs were split with (for the provenance)
  std::set<std::string> operations; // only cases of these operations are fitted and evaluated; empty = all
  FitOptions fit;
};

// Whether `operation` is predicted by the compute model (its error depends on the compute calibration): every
// registered operation except the network ones ("nccl_*", "deepep_*", calibrated by hwdb/calibrations/*-network.json).
bool is_compute_operation(const std::string& operation);

struct CalibrateResult {
  std::string device;
  std::vector<const ValidationCase*> cases; // the device's compute cases over all inputs (of the selected operations)
  std::size_t calibration_cases = 0, holdout_cases = 0, excluded_cases = 0;
  std::map<std::string, std::size_t> cases_by_operation;
  std::map<std::string, std::size_t> ignored_by_operation; // the device's cases not used: network or deselected
  SplitErrors before;                                      // built-in default calibration (the fit's starting point)
  std::optional<SplitErrors> installed;                    // the calibration file in hwdb_dir, when there is one
  std::string installed_file;
  SplitErrors after;         // the fitted calibration
  ComputeCalibration fitted; // fitted_on and fit (statistics, provenance) filled
};

// Fits the device's calibration on the calibration rows of `inputs` and evaluates it on every row. InputError when
// the inputs hold no calibration row of the device. `inputs` must outlive the result (it points into them).
CalibrateResult calibrate_compute(const std::vector<CalibrationInput>& inputs, const HardwareDatabase& hwdb,
                                  const CalibrateOptions& options);

// The calibration file's JSON: compute_calibration_to_json plus "generated_by".
Json calibration_file_json(const CalibrateResult& r, const std::string& generated_by);

} // namespace moescope
