#pragma once
// Fitting the calibrated compute model of one accelerator to measured cases: bounded coordinate search over the
// physically meaningful parameters of ComputeCalibration, minimizing the mean absolute log error of the
// predictions (symmetric for over- and under-prediction). `moescope validate --fit` and `moescope calibrate`
// call it; write_compute_calibration (compute/calibration.hpp) writes the result.
#include <string>
#include <vector>

#include "accuracy/operation_predictor.hpp"
#include "compute/calibration.hpp"

namespace moescope {

struct FitOptions {
  int rounds = 6;          // coordinate-search rounds; each halves the search interval
  int points_per_axis = 9; // trial values per parameter per round
  std::string hwdb_dir;    // for the starting calibration (empty: built-in default)
};

struct FitParameterBounds {
  std::string name;
  double lo, hi;
  bool log_scale;
};
// The parameters the fit moves and their physical bounds (documented in docs/compute-model.md).
const std::vector<FitParameterBounds>& compute_fit_parameters();
// The value of fit parameter `name` (a compute_fit_parameters() name) in `c`; NaN for an unknown name.
double compute_fit_parameter_value(const ComputeCalibration& c, const std::string& name);

// Fits the calibration of `device` on `cases` (those whose device is `device` are used; the others ignored).
// Starts from `start`; fills fitted_on (suite file and case ids) and fit (objective, MAPE before and after).
ComputeCalibration fit_compute_calibration(const std::string& device, const std::vector<const ValidationCase*>& cases,
                                           const HardwareDatabase& hwdb, const ComputeCalibration& start,
                                           const FitOptions& options = {});
// Convenience: the device's calibration rows of `cases`, starting from the default calibration.
ComputeCalibration fit_compute_calibration(const std::string& device, const std::vector<ValidationCase>& cases,
                                           const HardwareDatabase& hwdb);

} // namespace moescope
