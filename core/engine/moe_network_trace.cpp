// The trace-driven MoE network coster: the mean all-to-all over batches of consecutive trace tokens, routed as
// the trace routed them and homed by the plan's homing policy, under the scenario's placement fitted on the trace.
#include <algorithm>
#include <cmath>

#include "engine/input_loader.hpp"
#include "engine/moe_network_detail.hpp"
#include "engine/trace_routing.hpp"
#include "network/collective.hpp"
#include "placement/strategy.hpp"

namespace moescope::moe_network_detail {

MoeNetworkCost trace_cost(const ResolvedScenario& s, Phase phase, double tokens, const EngineConfig& c,
                          TrafficMatrices* matrices) {
  MoeNetworkCost out;
  const std::string file = s.scenario.file.empty() ? "<inline>" : s.scenario.file;
  const bool decode = phase != Phase::prefill;
  out.kernel = decode ? c.decode_kernel : c.prefill_kernel;
  const DispatchKernel* kernel = &kernel_named(out.kernel);
  if (!s.inputs.trace) throw std::logic_error("trace-driven routing without a loaded trace");
  const TraceRouting& te = *s.inputs.trace;
  const trace::ExpertTrace& tr = te.trace();
  if (static_cast<std::int64_t>(tr.num_experts()) != s.model.moe.num_routed_experts ||
      static_cast<std::int64_t>(tr.top_k()) != s.model.moe.top_k)
    throw InputError(file, "/routing/file",
                     "expected a trace of " + std::to_string(s.model.moe.num_routed_experts) + " experts, top-" +
                         std::to_string(s.model.moe.top_k) + " (model " + s.model.name + "), got " +
                         std::to_string(tr.num_experts()) + " experts, top-" + std::to_string(tr.top_k()));
  const auto& d = s.deployment;
  TopologyParams tp = Topology::params_from_scenario(s);
  tp.nodes =
      static_cast<std::int32_t>(std::max<std::int64_t>(1, (d.gpus_per_stage + d.gpus_per_node - 1) / d.gpus_per_node));
  const Topology topo(tp);
  check_traffic_matrix_size(s, topo, "trace-driven routing");
  const auto ep = static_cast<std::int32_t>(std::min<std::int64_t>(d.moe_ep, topo.num_gpus()));
  const std::int32_t gpn = tp.gpus_per_node;
  const std::int32_t nodes = std::max<std::int32_t>(1, (ep + gpn - 1) / gpn);

  // The placement plan of the scenario's strategy, fitted on the whole trace (cached).
  const placement::PlacementStrategy* strategy = placement::find_placement_strategy(s.scenario.placement.strategy);
  if (!strategy) {
    std::string names;
    for (const auto& n : placement::placement_strategy_names())
      names += (names.empty() ? "" : ", ") + n;
    throw InputError(file, "/placement/strategy",
                     "unknown placement strategy \"" + s.scenario.placement.strategy + "\"; expected one of " + names);
  }
  const PlacementFitSettings& settings = s.scenario.placement.options;
  placement::FitOptions fit;
  fit.balance_cap = settings.balance_cap;
  fit.node_load_cap = settings.node_load_cap;
  fit.seed = settings.seed;
  fit.eplb_groups = static_cast<std::int32_t>(settings.eplb_groups);
  fit.bytes_per_token =
      static_cast<double>(s.model.hidden_size) * bytes_per_element(s.scenario.workload.dtypes.dispatch);
  const placement::PlacementPlan* plan =
      &te.plan(*strategy, {nodes, std::min(gpn, ep), static_cast<std::int32_t>(d.expert_slots_per_gpu)}, fit);
  out.placement = strategy->name();
  if (d.redundant_expert_slots > 0) out.replica_rule = s.scenario.placement.replica_rule;
  out.routing = "trace:" + s.scenario.routing.trace_file;

  bool calibrated = false;
  const KernelCosts costs = kernel_costs(s, out.kernel, calibrated);
  out.calibrated = calibrated;
  out.communication_sms = costs.num_sms;
  const auto& w = s.scenario.workload;
  const DispatchPayload payload =
      DispatchPayload::from_dtypes(s.model.hidden_size, w.dtypes.dispatch, w.dtypes.combine);
  // Memo: the trace, its format and the batches sampled, on top of the expected-value key.
  std::string key;
  if (memo_enabled() && !matrices) {
    key = "trace\0" + te.version() + '\0' + s.scenario.routing.trace_format + '\0' + std::to_string(c.trace_steps) +
          '\0' + network_key(s, c, out.kernel, tp, tokens, 0.0, payload, costs);
    if (const MoeNetworkCost* hit = memo_find(key)) return *hit;
  }
  DispatchOptions options;
  options.use_scale_up = c.use_scale_up;
  options.replica_rule = parse_replica_choice(s.scenario.placement.replica_rule);

  // Batches of consecutive trace tokens: tokens_per_gpu per GPU, requests homed by the plan's homing policy (a
  // request's tokens spread over its home node's GPUs), every MoE layer of the trace routed through its placement.
  const std::uint64_t per_gpu = static_cast<std::uint64_t>(std::max(1.0, std::round(tokens)));
  const std::uint64_t batch_tokens = per_gpu * static_cast<std::uint64_t>(ep);
  const std::uint64_t total = tr.num_tokens();
  if (total == 0) throw InputError(file, "/routing/file", "the trace has no tokens");
  const std::uint32_t layers = tr.num_layers();
  const std::int64_t steps = std::max<std::int64_t>(1, c.trace_steps);
  // Home node of each request (homing from the plan, balanced by the policy's cap).
  std::vector<std::int32_t> home(tr.num_requests(), 0);
  if (nodes > 1 && plan->homing.nodes == nodes) {
    std::vector<std::span<const float>> vecs;
    std::vector<double> weights;
    for (std::size_t r = 0; r < te.stats().num_requests(); ++r) {
      vecs.push_back(te.stats().homing(r));
      weights.push_back(te.stats().traffic_tokens[r] + te.stats().homing_tokens[r]);
    }
    const auto assigned = plan->homing.assign(vecs, weights);
    for (std::size_t r = 0; r < assigned.size() && r < te.stats().requests.size(); ++r)
      home[te.stats().requests[r]] = assigned[r];
  } else {
    for (std::size_t r = 0; r < home.size(); ++r)
      home[r] = static_cast<std::int32_t>(r % static_cast<std::size_t>(nodes));
  }
  std::vector<std::int32_t> token_request(0);
  auto request_of = [&](std::uint64_t tok) {
    // Binary search over requests' token ranges.
    const auto reqs = tr.requests();
    std::size_t lo = 0, hi = reqs.size();
    while (hi - lo > 1) {
      const std::size_t mid = (lo + hi) / 2;
      if (reqs[mid].token_begin <= tok)
        lo = mid;
      else
        hi = mid;
    }
    return lo;
  };

  DispatchWorkspace ws;
  TokenRouting routing;
  routing.top_k = static_cast<std::int32_t>(tr.top_k());
  AllToAllPhase disp, comb;
  double up = 0, outb = 0, busiest = 0, mean = 0, received = 0;
  std::vector<std::int64_t> slot_tokens;
  double best_gpu_load = -1;
  std::int64_t evaluations = 0;
  const std::uint64_t stride = total > batch_tokens ? (total - batch_tokens) / static_cast<std::uint64_t>(steps) : 0;
  std::vector<std::int32_t> node_fill(static_cast<std::size_t>(nodes), 0);
  for (std::int64_t step = 0; step < steps; ++step) {
    const std::uint64_t begin = static_cast<std::uint64_t>(step) * stride;
    // Source GPU of each token: round-robin over the GPUs of its request's home node, capped at per_gpu each
    // (overflow goes to the least-filled GPU).
    routing.source_gpu.assign(batch_tokens, 0);
    std::vector<std::uint64_t> fill(static_cast<std::size_t>(ep), 0);
    std::fill(node_fill.begin(), node_fill.end(), 0);
    for (std::uint64_t i = 0; i < batch_tokens; ++i) {
      const std::uint64_t tok = (begin + i) % total;
      const std::int32_t n = home[request_of(tok)] % nodes;
      std::int32_t g = n * gpn + (node_fill[static_cast<std::size_t>(n)]++ % std::min(gpn, ep));
      if (g >= ep || fill[static_cast<std::size_t>(g)] >= per_gpu)
        g = static_cast<std::int32_t>(std::min_element(fill.begin(), fill.end()) - fill.begin());
      fill[static_cast<std::size_t>(g)] += 1;
      routing.source_gpu[i] = g;
    }
    for (std::uint32_t l = 0; l < layers; ++l) {
      routing.experts.resize(batch_tokens * routing.top_k);
      for (std::uint64_t i = 0; i < batch_tokens; ++i) {
        const auto ids = tr.experts((begin + i) % total, l);
        for (std::int32_t j = 0; j < routing.top_k; ++j)
          routing.experts[i * routing.top_k + j] = ids[j];
      }
      const Placement& p = plan->layers[std::min<std::size_t>(l, plan->layers.size() - 1)];
      const DispatchResult& r = evaluate_dispatch(*kernel, topo, p, routing, payload, costs, options, ws);
      if (matrices) add_matrices(*matrices, r);
      accumulate(disp, r.dispatch);
      accumulate(comb, r.combine);
      up += (r.dispatch.scale_up_bytes + r.combine.scale_up_bytes) / std::max(1, ep);
      outb += (r.dispatch.scale_out_bytes + r.combine.scale_out_bytes) / std::max(1, ep);
      busiest += r.max_expert_tokens_per_gpu;
      double sum = 0;
      std::int32_t bg = 0;
      for (std::int32_t g = 0; g < ep; ++g) {
        sum += r.expert_tokens_per_gpu[static_cast<std::size_t>(g)];
        if (r.expert_tokens_per_gpu[static_cast<std::size_t>(g)] >
            r.expert_tokens_per_gpu[static_cast<std::size_t>(bg)])
          bg = g;
      }
      mean += sum / std::max(1, ep);
      received += r.received_rows_per_gpu[static_cast<std::size_t>(bg)];
      if (r.max_expert_tokens_per_gpu > best_gpu_load) {
        // Per-slot tokens of the busiest GPU: count its experts' pairs in this batch.
        best_gpu_load = r.max_expert_tokens_per_gpu;
        std::vector<std::int64_t> per_expert(static_cast<std::size_t>(p.num_experts), 0);
        for (std::int32_t e : routing.experts)
          if (e >= 0) per_expert[static_cast<std::size_t>(e)] += 1;
        slot_tokens.clear();
        for (std::int32_t e = 0; e < p.num_experts; ++e)
          for (const std::int32_t* q = p.replicas_begin(e); q != p.replicas_begin(e) + p.replicas(e); ++q)
            if (*q == bg) slot_tokens.push_back(per_expert[static_cast<std::size_t>(e)] / p.replicas(e));
      }
      ++evaluations;
    }
  }
  const double n = static_cast<double>(std::max<std::int64_t>(evaluations, 1));
  out.mode = "trace";
  out.ep_gpus = ep;
  out.tokens_per_gpu = tokens;
  out.dispatch_bytes_per_token = payload.dispatch_bytes_per_token;
  out.combine_bytes_per_token = payload.combine_bytes_per_token;
  out.dispatch = averaged(disp, n);
  out.combine = averaged(comb, n);
  out.scale_up_bytes_per_gpu = up / n;
  out.scale_out_bytes_per_gpu = outb / n;
  out.busiest_gpu_expert_tokens = busiest / n;
  out.mean_gpu_expert_tokens = mean / n;
  out.busiest_gpu_received_rows = received / n;
  // The grouped GEMM runs the busiest GPU's slots at the average busiest load, shaped like the worst batch seen.
  double slot_sum = 0;
  for (auto x : slot_tokens)
    slot_sum += static_cast<double>(x);
  if (slot_sum > 0)
    for (auto& x : slot_tokens)
      x = static_cast<std::int64_t>(std::llround(static_cast<double>(x) * out.busiest_gpu_expert_tokens / slot_sum));
  out.busiest_gpu_slot_tokens = slot_tokens;
  out.scale_up_bandwidth_per_gpu = topo.scale_up_bandwidth_per_gpu();
  out.scale_out_bandwidth_per_gpu = topo.has_scale_out() ? topo.scale_out_bandwidth_per_gpu() : 0.0;
  out.note = "trace-driven: " + std::to_string(steps) + " batches x " + std::to_string(layers) + " MoE layers of " +
             std::to_string(batch_tokens) + " tokens. ";
  if (matrices) finish_matrices(*matrices, topo.num_gpus(), gpn, 1.0 / n);
  if (memo_enabled() && !matrices) memo_store(std::move(key), out);
  return out;
}

} // namespace moescope::moe_network_detail
