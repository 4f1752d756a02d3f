#pragma once
// A report is a list of sections; each section computes its data from the resolved scenario and renders it as
// text. The same JSON goes to `--json`, the `-o` report file, the Python bindings and the GUI.
#include <memory>
#include <string>
#include <vector>

#include "scenario/resolved_scenario.hpp"

namespace moescope {

class ReportSection {
public:
  virtual ~ReportSection() = default;
  virtual std::string key() const = 0; // JSON key of the section
  virtual Json compute(const ResolvedScenario& s) const = 0;
  virtual std::string render_text(const Json& data) const = 0;
};

// The sections `moescope eval` produces, in order.
std::vector<std::unique_ptr<ReportSection>> default_report_sections();

} // namespace moescope
