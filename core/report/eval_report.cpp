#include "report/eval_report.hpp"

namespace moescope {

EvalReport evaluate_scenario(const ResolvedScenario& s) {
  EvalReport r;
  r.json["moescope_version"] = "0.1.0";
  r.json["scenario"] = scenario_to_json(s.scenario);
  for (const auto& section : default_report_sections()) {
    Json data = section->compute(s);
    r.text += section->render_text(data);
    r.text += "\n";
    r.json[section->key()] = std::move(data);
  }
  return r;
}

} // namespace moescope
