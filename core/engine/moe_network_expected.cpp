// The expected-value MoE network coster: the all-to-all of a batch whose routing follows the expected per-expert
// loads, under the scenario's placement in its expected-value form (closed form where the dispatch kernel has one).
#include <algorithm>
#include <cmath>

#include "engine/moe_network_detail.hpp"
#include "network/collective.hpp"
#include "placement/routing_stats.hpp"
#include "placement/strategy.hpp"

namespace moescope::moe_network_detail {

// The scenario's strategy in its expected-value form, on the expected per-expert loads; linear (said in the note)
// for a strategy that needs a trace.
Placement expected_placement(const ResolvedScenario& s, const ExpectedRouting& routing, std::int32_t ep,
                             std::int32_t gpn, std::string& used, std::string& note) {
  const auto slots = static_cast<std::int32_t>(s.deployment.expert_slots_per_gpu);
  const std::string& name = s.scenario.placement.strategy;
  const placement::PlacementStrategy* strategy = placement::find_placement_strategy(name);
  if (!strategy) {
    std::string names;
    for (const auto& n : placement::placement_strategy_names())
      names += (names.empty() ? "" : ", ") + n;
    throw InputError(s.scenario.file.empty() ? "<inline>" : s.scenario.file, "/placement/strategy",
                     "unknown placement strategy \"" + name + "\"; expected one of " + names);
  }
  const std::int32_t nodes = std::max<std::int32_t>(1, ep / std::max<std::int32_t>(gpn, 1));
  const std::vector<double> load = inclusion_probabilities(routing);
  const ReplicaChoice rule =
      parse_replica_choice(s.scenario.placement.replica_rule).value_or(ReplicaChoice::node_cover);
  if (auto p = strategy->fit_expected(load, ep, nodes, slots, static_cast<std::int32_t>(s.model.moe.num_groups))) {
    used = strategy->name();
    p->choice = rule;
    return *p;
  }
  used = "linear";
  note += "placement strategy \"" + name + "\" needs a trace; linear placement used in expected-value mode. ";
  return Placement::linear(routing.num_experts, ep, slots, rule);
}

// `matrices`: also fill the GPU x GPU byte matrices (not memoized).
MoeNetworkCost expected_cost(const ResolvedScenario& s, Phase phase, double tokens, const EngineConfig& c,
                             TrafficMatrices* matrices) {
  MoeNetworkCost out;
  const bool decode = phase != Phase::prefill;
  out.kernel = decode ? c.decode_kernel : c.prefill_kernel;
  const DispatchKernel* kernel = &kernel_named(out.kernel);
  const auto& d = s.deployment;
  TopologyParams tp = Topology::params_from_scenario(s);
  tp.nodes =
      static_cast<std::int32_t>(std::max<std::int64_t>(1, (d.gpus_per_stage + d.gpus_per_node - 1) / d.gpus_per_node));
  const auto& w = s.scenario.workload;
  const bool power = s.scenario.routing.kind == RoutingKind::power_law;
  const double exponent = power ? s.scenario.routing.power_law_exponent : 0.0;
  bool calibrated = false;
  const KernelCosts costs = kernel_costs(s, out.kernel, calibrated);
  const DispatchPayload payload =
      DispatchPayload::from_dtypes(s.model.hidden_size, w.dtypes.dispatch, w.dtypes.combine);

  std::string key;
  if (memo_enabled() && !matrices) {
    key = network_key(s, c, out.kernel, tp, tokens, exponent, payload, costs);
    if (const MoeNetworkCost* hit = memo_find(key)) return *hit;
  }

  const Topology topo(tp);
  const auto ep = static_cast<std::int32_t>(std::min<std::int64_t>(d.moe_ep, topo.num_gpus()));
  ExpectedRouting routing;
  routing.num_experts = static_cast<std::int32_t>(s.model.moe.num_routed_experts);
  routing.top_k = static_cast<std::int32_t>(s.model.moe.top_k);
  routing.power_law_exponent = exponent;
  routing.tokens_per_gpu = tokens;
  if (s.scenario.routing.group_limited) {
    routing.num_groups = static_cast<std::int32_t>(s.model.moe.num_groups);
    routing.groups_per_token = static_cast<std::int32_t>(s.model.moe.groups_per_token);
  }
  out.routing = power ? "expected:power_law" : "expected:uniform";
  if (routing.group_limited())
    out.routing += ":group_limited";
  else if (power && s.scenario.routing.group_limited && s.model.moe.groups_per_token < s.model.moe.num_groups)
    out.note += "the model's group-limited routing is not applied with power-law popularity. ";
  if (s.scenario.routing.kind == RoutingKind::trace)
    out.note += "trace routing evaluated as uniform in expected-value mode. ";
  const Placement placement = expected_placement(s, routing, ep, tp.gpus_per_node, out.placement, out.note);
  if (placement.replica_gpus.size() > static_cast<std::size_t>(placement.num_experts))
    out.replica_rule = to_string(placement.choice);
  DispatchOptions options;
  options.use_scale_up = c.use_scale_up;
  options.expected_traffic_matrices = matrices != nullptr;
  const std::vector<SourceClass> sources = uniform_sources(routing, ep);
  if (matrices)
    check_traffic_matrix_size(s, topo, "traffic matrices requested");
  else if (traffic_matrices_needed(topo, placement, sources, options))
    check_traffic_matrix_size(s, topo, "replicated experts, or a fabric the closed form does not cover");
  ExpectedDispatch ed;
  evaluate_dispatch_expected(*kernel, topo, placement, sources, payload, costs, options, ed);
  const DispatchResult& r = ed.result;
  if (matrices) {
    add_matrices(*matrices, r);
    finish_matrices(*matrices, topo.num_gpus(), tp.gpus_per_node, 1.0);
  }
  out.mode = "expected_value";
  out.ep_gpus = ep;
  out.tokens_per_gpu = tokens;
  out.dispatch_bytes_per_token = payload.dispatch_bytes_per_token;
  out.combine_bytes_per_token = payload.combine_bytes_per_token;
  out.dispatch = phase_detail(r.dispatch, topo);
  out.combine = phase_detail(r.combine, topo);
  out.busiest_gpu_expert_tokens = ed.expected_max_expert_tokens_per_gpu;
  out.mean_gpu_expert_tokens = ed.mean_expert_tokens_per_gpu;
  for (double x : r.received_rows_per_gpu)
    out.busiest_gpu_received_rows = std::max(out.busiest_gpu_received_rows, x);
  const double g = std::max(1, ep);
  out.scale_up_bytes_per_gpu = (r.dispatch.scale_up_bytes + r.combine.scale_up_bytes) / g;
  out.scale_out_bytes_per_gpu = (r.dispatch.scale_out_bytes + r.combine.scale_out_bytes) / g;
  out.calibrated = calibrated;
  out.communication_sms = costs.num_sms;
  out.scale_up_bandwidth_per_gpu = topo.scale_up_bandwidth_per_gpu();
  out.scale_out_bandwidth_per_gpu = topo.has_scale_out() ? topo.scale_out_bandwidth_per_gpu() : 0.0;
  if (memo_enabled() && !matrices) memo_store(std::move(key), out);
  return out;
}

} // namespace moescope::moe_network_detail
