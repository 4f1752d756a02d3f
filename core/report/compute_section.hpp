#pragma once
#include "report/report_section.hpp"

namespace moescope {

// Report section "compute": the compute side of the step model's result: per-layer time of every operator on the
// busiest GPU (attention, routed experts, shared experts, dense FFN, gate, norms, embedding / LM head) as the engine
// timed them, the compute-only step total of each phase, and roofline points with the device's ceilings (compute per
// type, HBM, scale-up and scale-out network roofs) for plots.
class ComputeSection : public ReportSection {
public:
  std::string key() const override;
  Json view(const ResolvedScenario& s, const DeploymentResult& r) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
