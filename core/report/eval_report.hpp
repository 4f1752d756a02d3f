#pragma once
// `moescope eval`: every report section for one scenario, as JSON and as readable text.
#include "report/report_section.hpp"

namespace moescope {

struct EvalReport {
  Json json;        // {"moescope_version", "scenario", "<section key>": {...}, ...}
  std::string text; // the readable summary
};

EvalReport evaluate_scenario(const ResolvedScenario& s);

} // namespace moescope
