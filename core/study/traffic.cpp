#include "study/traffic.hpp"

namespace moescope {

TrafficMatrices traffic_matrices(const Evaluation& e, Phase phase) {
  const ResolvedScenario& s = e.scenario;
  if (!s.model.is_moe())
    throw InputError(s.scenario.file.empty() ? "<inline>" : s.scenario.file, "/model",
                     "expected a mixture-of-experts model for all-to-all traffic, got dense \"" + s.model.name + "\"");
  const PhaseResult& p = phase == Phase::prefill ? e.result.prefill : e.result.decode;
  const ResolvedScenario pool = pool_scenario(s, phase);
  return moe_traffic_matrices(pool, phase, p.moe.tokens_per_gpu, s.scenario.engine);
}

Json traffic_matrices_to_json(const TrafficMatrices& m) {
  const auto rows = [](const std::vector<double>& v, std::int32_t n) {
    Json out = Json::array();
    for (std::int32_t i = 0; i < n; ++i)
      out.push_back(std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(i) * n,
                                        v.begin() + static_cast<std::ptrdiff_t>(i + 1) * n));
    return out;
  };
  return {{"gpus", m.gpus},
          {"nodes", m.nodes},
          {"gpus_per_node", m.gpus_per_node},
          {"note", "bytes of one MoE layer; row = source, column = destination"},
          {"dispatch_gpu_bytes", rows(m.dispatch_gpu_bytes, m.gpus)},
          {"combine_gpu_bytes", rows(m.combine_gpu_bytes, m.gpus)},
          {"dispatch_node_bytes", rows(m.dispatch_node_bytes, m.nodes)},
          {"combine_node_bytes", rows(m.combine_node_bytes, m.nodes)}};
}

} // namespace moescope
