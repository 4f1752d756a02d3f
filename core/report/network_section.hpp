#pragma once
#include "report/report_section.hpp"

namespace moescope {

// Report section "network": MoE dispatch and combine time per layer (expected-value mode from the scenario's
// routing and placement), the busiest link, and the bytes per tier.
class NetworkSection : public ReportSection {
public:
  std::string key() const override;
  Json compute(const ResolvedScenario& s) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
