#pragma once
// The elasticity of the headline metrics to each hardware figure of the scenario (accelerator and interconnects),
// by central differences through a Session (docs/engine.md, "Sensitivity").
#include <map>
#include <string>
#include <vector>

#include "study/session.hpp"

namespace moescope {

struct SensitivityRow {
  std::string parameter; // JSON pointer of the override
  double base_value = 0;
  std::map<std::string, double> low, high;  // metrics at base x (1 - step) and x (1 + step)
  std::map<std::string, double> elasticity; // (dm / m) / (dp / p), central difference
};
struct SensitivityResult {
  double step = 0.1;
  std::map<std::string, double> base;
  std::vector<SensitivityRow> rows; // sorted by the largest |elasticity| of the first metric
  std::vector<std::string> metrics;
};
// The hardware parameters of the scenario's accelerator and interconnects, each perturbed by +-step.
SensitivityResult sensitivity(const Json& scenario, const std::string& label, double step, Session& session);
Json sensitivity_json(const SensitivityResult& r);

} // namespace moescope
