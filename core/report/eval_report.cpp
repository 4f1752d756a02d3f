#include "report/eval_report.hpp"

namespace moescope {

EvalReport render_report(const ResolvedScenario& s, const DeploymentResult& r) {
  EvalReport out;
  out.json["moescope_version"] = moescope_version();
  out.json["scenario"] = scenario_to_json(s.scenario);
  for (const auto& section : default_report_sections()) {
    Json data = section->view(s, r);
    out.text += section->render_text(data);
    out.text += "\n";
    out.json[section->key()] = std::move(data);
  }
  return out;
}

} // namespace moescope
