#pragma once
#include "report/report_section.hpp"

namespace moescope {

// Report section "engine": the end-to-end step model (core/engine): TTFT, TPOT, tokens/s per GPU and per node for
// prefill and decode, step time under each overlap assumption, utilization, memory, and a per-layer breakdown
// (attention, dispatch, expert GEMM, combine, shared experts, ...).
class EngineSection : public ReportSection {
public:
  std::string key() const override;
  Json view(const ResolvedScenario& s, const DeploymentResult& r) const override;
  std::string render_text(const Json& data) const override;
};

} // namespace moescope
