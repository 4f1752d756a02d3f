#pragma once
// One kind of measured operation (a GEMM, an MLA decode, an NCCL all-reduce, a DeepEP dispatch, ...):
// checks a case's parameters and predicts the measured quantity from moescope's models. Adding an operation is
// adding one file with a class and one line in operation_registry.cpp.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "accuracy/validation_suite.hpp"
#include "compute/calibration.hpp"
#include "hw/hardware_database.hpp"

namespace moescope {

enum class TimeModelMode { speed_of_light, calibrated };
std::string to_string(TimeModelMode m);

struct PredictionContext {
  const HardwareDatabase* hwdb = nullptr;
  TimeModelMode mode = TimeModelMode::calibrated;
  // Where compute calibrations are looked up (<hwdb_dir>/calibrations/<accelerator>-compute.json); empty: defaults.
  std::string hwdb_dir;
  // Calibrations that take precedence over files (the fitting routine sets its trial parameters here).
  std::map<std::string, ComputeCalibration> compute_calibrations;

  // The accelerator a case names (InputError naming the case's file and pointer when unknown).
  const Accelerator& accelerator(const ValidationCase& c) const;
  // The compute calibration of `accelerator`: an override, else the file (cached), else the default.
  const ComputeCalibration& compute_calibration(const std::string& accelerator) const;

private:
  mutable std::map<std::string, ComputeCalibration> loaded_;
};

class OperationPredictor {
public:
  virtual ~OperationPredictor() = default;
  virtual std::string name() const = 0;
  // Records problems with the case's parameters (file/pointer from the case) into `diagnostics`.
  virtual void check(const ValidationCase& c, const std::string& file, Diagnostics& diagnostics) const = 0;
  // The predicted value in the case's unit.
  virtual double predict(const ValidationCase& c, const PredictionContext& context) const = 0;
};

// All registered predictors (operation_registry.cpp).
const std::vector<std::unique_ptr<OperationPredictor>>& operation_predictors();
const OperationPredictor* find_operation_predictor(const std::string& name);

} // namespace moescope
