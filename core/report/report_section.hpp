#pragma once
// A report is a list of sections, each a view of one evaluation: the resolved scenario and the step model's result
// (engine/step_model.hpp), computed once. A section selects and arranges what it shows as JSON and renders that JSON
// as text; none computes performance. The same JSON goes to `--json`, the `-o` report file, the Python bindings and
// the GUI.
#include <memory>
#include <string>
#include <vector>

#include "engine/step_model.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

class ReportSection {
public:
  virtual ~ReportSection() = default;
  virtual std::string key() const = 0; // JSON key of the section
  virtual Json view(const ResolvedScenario& s, const DeploymentResult& r) const = 0;
  virtual std::string render_text(const Json& data) const = 0;
};

// The sections `moescope eval` produces, in order.
std::vector<std::unique_ptr<ReportSection>> default_report_sections();

} // namespace moescope
