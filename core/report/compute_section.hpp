#pragma once
#include "report/report_section.hpp"

namespace moescope {

// Report section "compute": per-layer compute and memory time of every operator on the busiest GPU (attention,
// routed experts, shared experts, dense FFN, gate, norms, embedding / LM head), the step total for the scenario's
// phase(s) under the engine mode of the scenario ("engine": {"mode": ...}), and roofline points with the device's
// ceilings (compute per type, HBM, scale-up and scale-out network roofs) for plots.
class ComputeSection : public ReportSection {
public:
  std::string key() const override;
  Json compute(const ResolvedScenario& s) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
