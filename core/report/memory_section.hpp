#pragma once
#include "report/report_section.hpp"

namespace moescope {

// Report section "memory": parameters, weights and KV cache per GPU, and whether the deployment fits.
class MemorySection : public ReportSection {
public:
  std::string key() const override;
  Json view(const ResolvedScenario& s, const DeploymentResult& r) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
