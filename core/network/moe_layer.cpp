#include "network/moe_layer.hpp"

#include <algorithm>
#include <stdexcept>

#include "network/network_calibration.hpp"

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
  evaluate_dispatch_expected(*kernel, out.topology, placement, uniform_sources(routing, out.topology.num_gpus()),
                             out.payload, costs, options, out.expected);
  return out;
}

} // namespace moescope
