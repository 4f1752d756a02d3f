#pragma once
#include "report/report_section.hpp"

namespace moescope {

class DeploymentSection : public ReportSection {
public:
  std::string key() const override;
  Json view(const ResolvedScenario& s, const DeploymentResult& r) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
