#include "report/compute_section.hpp"
#include "report/deployment_section.hpp"
#include "report/engine_section.hpp"
#include "report/memory_section.hpp"
#include "report/network_section.hpp"

namespace moescope {

std::vector<std::unique_ptr<ReportSection>> default_report_sections() {
  std::vector<std::unique_ptr<ReportSection>> sections;
  sections.push_back(std::make_unique<DeploymentSection>());
  sections.push_back(std::make_unique<MemorySection>());
  sections.push_back(std::make_unique<ComputeSection>());
  sections.push_back(std::make_unique<NetworkSection>());
  sections.push_back(std::make_unique<EngineSection>());
  return sections;
}

} // namespace moescope
