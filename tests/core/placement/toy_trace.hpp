#pragma once
// Metadata of the hand-made traces of the placement tests: model "toy", layers numbered 1..layers.
#include <numeric>
#include <string>
#include <vector>

#include "trace/trace.hpp"

namespace moescope::placement_testing {

inline trace::TraceMetadata toy_metadata(std::uint32_t experts, std::uint32_t top_k, int layers,
                                         std::vector<std::string> domains) {
  trace::TraceMetadata m;
  m.model = "toy";
  m.num_experts = experts;
  m.top_k = top_k;
  m.moe_layer_ids.resize(std::size_t(layers));
  std::iota(m.moe_layer_ids.begin(), m.moe_layer_ids.end(), 1);
  m.domains = std::move(domains);
  return m;
}

} // namespace moescope::placement_testing
