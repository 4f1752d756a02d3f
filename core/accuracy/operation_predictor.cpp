#include "accuracy/operation_predictor.hpp"

#include "compute/calibration.hpp"

namespace moescope {

std::string to_string(TimeModelMode m) {
  return m == TimeModelMode::speed_of_light ? "speed-of-light" : "calibrated";
}

const Accelerator& PredictionContext::accelerator(const ValidationCase& c) const {
  if (!hwdb) throw InputError("", c.pointer, "no hardware database to look up device \"" + c.device + "\"");
  return hwdb->accelerator(c.device, "", c.pointer + "/device");
}

const ComputeCalibration& PredictionContext::compute_calibration(const std::string& accelerator) const {
  auto o = compute_calibrations.find(accelerator);
  if (o != compute_calibrations.end()) return o->second;
  auto it = loaded_.find(accelerator);
  if (it != loaded_.end()) return it->second;
  ComputeCalibration c;
  if (hwdb_dir.empty()) {
    c = default_compute_calibration();
    c.accelerator = accelerator;
  } else {
    c = find_compute_calibration(hwdb_dir, accelerator);
  }
  return loaded_.emplace(accelerator, std::move(c)).first->second;
}

const OperationPredictor* find_operation_predictor(const std::string& name) {
  for (const auto& p : operation_predictors())
    if (p->name() == name) return p.get();
  return nullptr;
}

} // namespace moescope
