#include "report/deployment_section.hpp"
#include "report/memory_section.hpp"

namespace moescope {

std::vector<std::unique_ptr<ReportSection>> default_report_sections() {
  std::vector<std::unique_ptr<ReportSection>> sections;
  sections.push_back(std::make_unique<DeploymentSection>());
  sections.push_back(std::make_unique<MemorySection>());
  return sections;
}

} // namespace moescope
