#pragma once
#include "report/report_section.hpp"

namespace moescope {

// Report section "network": the MoE dispatch and combine of the step model's result, per layer (full micro-batch):
// time and its terms, the busiest link, and the bytes per tier, under the routing and placement the engine used.
class NetworkSection : public ReportSection {
public:
  std::string key() const override;
  Json view(const ResolvedScenario& s, const DeploymentResult& r) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
