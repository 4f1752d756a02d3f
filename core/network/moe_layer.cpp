#include "network/moe_layer.hpp"

#include <algorithm>
#include <stdexcept>

#include "network/network_calibration.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

MoeLayerNetwork evaluate_moe_layer_network(const ResolvedScenario& s, Phase phase, const std::string& kernel_name) {
  MoeLayerNetwork out;
  const bool decode = phase != Phase::prefill;
  out.phase = decode ? "decode" : "prefill";
  out.kernel = !kernel_name.empty() ? kernel_name : decode ? "deepep_low_latency" : "deepep_normal";
  const DispatchKernel* kernel = find_dispatch_kernel(out.kernel);
  if (!kernel) throw std::invalid_argument("unknown dispatch kernel \"" + out.kernel + "\"");

  const auto& d = s.deployment;
  TopologyParams tp = Topology::params_from_scenario(s);
  // One pipeline stage: its GPUs are the EP group's sources and hosts.
  const std::int64_t stage_gpus = d.gpus_per_stage;
  tp.nodes = static_cast<std::int32_t>(std::max<std::int64_t>(1, (stage_gpus + d.gpus_per_node - 1) / d.gpus_per_node));
  out.topology = Topology(tp);
  out.ep_gpus = static_cast<std::int32_t>(std::min<std::int64_t>(d.moe_ep, out.topology.num_gpus()));

  const auto experts = static_cast<std::int32_t>(s.model.moe.num_routed_experts);
  const auto top_k = static_cast<std::int32_t>(s.model.moe.top_k);
  out.placement_strategy = "linear";
  if (s.scenario.placement.strategy != "linear")
    out.note = "this section is the expected-value view with linear placement; placement strategy \"" +
               s.scenario.placement.strategy + "\" is evaluated in the end-to-end (engine) section. ";
  const Placement placement =
      Placement::linear(experts, out.ep_gpus, static_cast<std::int32_t>(d.expert_slots_per_gpu));

  ExpectedRouting routing;
  routing.num_experts = experts;
  routing.top_k = top_k;
  routing.power_law_exponent =
      s.scenario.routing.kind == RoutingKind::power_law ? s.scenario.routing.power_law_exponent : 0.0;
  if (s.scenario.routing.group_limited) {
    routing.num_groups = static_cast<std::int32_t>(s.model.moe.num_groups);
    routing.groups_per_token = static_cast<std::int32_t>(s.model.moe.groups_per_token);
  }
  if (s.scenario.routing.kind == RoutingKind::trace)
    out.note += "Trace routing is taken as uniform here; the engine section replays the trace. ";
  const auto& w = s.scenario.workload;
  out.tokens_per_gpu =
      decode ? static_cast<double>(w.batch_per_gpu)
             : static_cast<double>(w.prefill_tokens_per_gpu > 0 ? w.prefill_tokens_per_gpu : w.input_tokens);
  routing.tokens_per_gpu = out.tokens_per_gpu;
  out.payload = DispatchPayload::from_dtypes(s.model.hidden_size, w.dtypes.dispatch, w.dtypes.combine);

  KernelCosts costs;
  if (const NetworkCalibration* cal = find_network_calibration(s.system.name)) {
    auto it = cal->dispatch_kernels.find(out.kernel);
    if (it != cal->dispatch_kernels.end()) {
      costs = it->second;
      // num_sms in a calibration is the kernel's default SM budget (DeepEP normal: 20); 0 there: no SM limit.
      out.calibrated = true;
    }
  }
  DispatchOptions options;
  const std::vector<SourceClass> sources = uniform_sources(routing, out.topology.num_gpus());
  if (traffic_matrices_needed(out.topology, placement, sources, options))
    check_traffic_matrix_size(s, out.topology, "replicated experts, or a fabric the closed form does not cover");
  evaluate_dispatch_expected(*kernel, out.topology, placement, sources, out.payload, costs, options, out.expected);
  return out;
}

// The traffic model keeps GPU x GPU matrices for trace routing and for placements it cannot take in closed form; a
// larger expert-parallel domain is a scenario error, reported on the deployment, not an allocation failure.
void check_traffic_matrix_size(const ResolvedScenario& s, const Topology& topo, const char* why) {
  if (topo.num_gpus() <= kMaxTrafficMatrixGpus) return;
  throw InputError(s.scenario.file.empty() ? "<inline>" : s.scenario.file, "/deployment/nodes",
                   "expected at most " + std::to_string(kMaxTrafficMatrixGpus) +
                       " GPUs in the expert-parallel domain when the traffic model keeps GPU x GPU matrices (" + why +
                       "), got " + std::to_string(topo.num_gpus()) +
                       "; one slot per expert (no redundant experts) on a switched scale-up fabric with one NIC per "
                       "GPU takes the closed form, which has no such limit");
}

} // namespace moescope
