#pragma once
// `moescope eval`: every report section as a view of one evaluation, as JSON and as readable text.
#include "report/report_section.hpp"
#include "util/version.hpp"

namespace moescope {

struct EvalReport {
  Json json;        // {"moescope_version", "scenario", "<section key>": {...}, ...}
  std::string text; // the readable summary
};

// `r` is the step model's result for `s` with both phases evaluated (evaluate_deployment(s, true)): the report
// gives TTFT and TPOT whatever the workload's phase.
EvalReport render_report(const ResolvedScenario& s, const DeploymentResult& r);

} // namespace moescope
