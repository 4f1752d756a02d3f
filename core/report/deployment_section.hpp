#pragma once
#include "report/report_section.hpp"

namespace moescope {

class DeploymentSection : public ReportSection {
public:
  std::string key() const override;
  Json compute(const ResolvedScenario& s) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
