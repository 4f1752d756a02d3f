#include "engine/moe_network.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "engine/input_loader.hpp"
#include "engine/trace_routing.hpp"
#include "network/collective.hpp"
#include "network/dispatch.hpp"
#include "network/network_calibration.hpp"
#include "placement/routing_stats.hpp"
#include "placement/strategy.hpp"

namespace moescope {

namespace {

thread_local bool g_cache_enabled = true;
thread_local EngineCacheStats g_stats;

struct KeyHash {
  std::size_t operator()(const std::string& k) const { return std::hash<std::string>()(k); }
};

// Per-thread memo of expected-value results, keyed on the bytes of every input.
struct NetworkMemo {
  std::unordered_map<std::string, MoeNetworkCost, KeyHash> map;
};
thread_local NetworkMemo g_memo;

void put(std::string& key, double v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put(std::string& key, const std::string& v) {
  key += v;
  key += '\0';
}

// Everything an all-to-all result depends on, as bytes (kernel, placement strategy, kernel-cost source, topology,
// EP and slots, tokens, routing, payload, kernel costs, options).
std::string network_key(const ResolvedScenario& s, const EngineConfig& c, const std::string& kernel,
                        const TopologyParams& tp, double tokens, double exponent, const DispatchPayload& payload,
                        const KernelCosts& costs) {
  const auto& d = s.deployment;
  std::string key;
  key.reserve(288);
  put(key, kernel);
  put(key, s.scenario.placement.strategy);
  put(key, c.network_calibration.empty() ? s.system.name : c.network_calibration);
  for (double v : {double(tp.nodes),
                   double(tp.gpus_per_node),
                   double(static_cast<int>(tp.scale_up_topology)),
                   tp.scale_up_link_bandwidth_bytes_per_s,
                   tp.scale_up_links_per_device,
                   tp.scale_up_latency_seconds,
                   tp.scale_up_achievable_fraction,
                   double(tp.has_scale_out),
                   tp.nic_bandwidth_bytes_per_s,
                   tp.nics_per_gpu,
                   tp.nic_latency_seconds,
                   tp.nic_achievable_fraction,
                   double(tp.rail_optimized),
                   tp.oversubscription,
                   double(d.moe_ep),
                   double(d.expert_slots_per_gpu),
                   tokens,
                   exponent,
                   double(s.model.moe.num_routed_experts),
                   double(s.model.moe.top_k),
                   double(s.model.moe.num_groups),
                   double(s.model.moe.groups_per_token),
                   double(s.scenario.routing.group_limited),
                   payload.dispatch_bytes_per_token,
                   payload.combine_bytes_per_token,
                   costs.fixed_seconds,
                   costs.per_message_seconds,
                   costs.scale_up_efficiency,
                   costs.scale_out_efficiency,
                   costs.per_sm_bytes_per_s,
                   costs.num_sms,
                   double(c.use_scale_up)})
    put(key, v);
  return key;
}

KernelCosts kernel_costs(const ResolvedScenario& s, const std::string& kernel, bool& calibrated) {
  KernelCosts costs;
  calibrated = false;
  const NetworkCalibration* cal = s.inputs.network_calibration.get();
  if (!cal) return costs;
  auto it = cal->dispatch_kernels.find(kernel);
  if (it == cal->dispatch_kernels.end()) return costs;
  costs = it->second; // num_sms: the kernel's SM budget (DeepEP normal: 20), 0 = no SM limit
  calibrated = true;
  return costs;
}

const DispatchKernel& kernel_named(const std::string& name) {
  const DispatchKernel* kernel = find_dispatch_kernel(name);
  if (!kernel) throw std::invalid_argument("unknown dispatch kernel \"" + name + "\" (checked when read)");
  return *kernel;
}

AllToAllPhase phase_detail(const PhaseCost& p, const Topology& topo) {
  AllToAllPhase a;
  a.seconds = p.seconds;
  a.transfer_seconds = p.transfer_seconds;
  a.latency_seconds = p.latency_seconds;
  a.message_seconds = p.message_seconds;
  a.fixed_seconds = p.fixed_seconds;
  a.busiest_link = p.busiest_link >= 0 ? topo.link_name(p.busiest_link) : "none";
  a.busiest_link_bytes = p.busiest_link_bytes;
  a.busiest_link_bandwidth_bytes_per_s =
      p.busiest_link >= 0 ? topo.links()[static_cast<std::size_t>(p.busiest_link)].bandwidth_bytes_per_s : 0.0;
  a.scale_up_bytes = p.scale_up_bytes;
  a.scale_out_bytes = p.scale_out_bytes;
  return a;
}

// Running mean of per-batch phase costs (trace-driven mode): the link names differ from batch to batch.
void accumulate(AllToAllPhase& sum, const PhaseCost& p) {
  sum.seconds += p.seconds;
  sum.transfer_seconds += p.transfer_seconds;
  sum.latency_seconds += p.latency_seconds;
  sum.message_seconds += p.message_seconds;
  sum.fixed_seconds += p.fixed_seconds;
  sum.busiest_link_bytes += p.busiest_link_bytes;
  sum.scale_up_bytes += p.scale_up_bytes;
  sum.scale_out_bytes += p.scale_out_bytes;
}
AllToAllPhase averaged(AllToAllPhase sum, double n) {
  for (double* x : {&sum.seconds, &sum.transfer_seconds, &sum.latency_seconds, &sum.message_seconds, &sum.fixed_seconds,
                    &sum.busiest_link_bytes, &sum.scale_up_bytes, &sum.scale_out_bytes})
    *x /= n;
  sum.busiest_link = "n/a (trace-driven, averaged)";
  return sum;
}

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
  if (auto p = strategy->fit_expected(load, ep, nodes, slots, static_cast<std::int32_t>(s.model.moe.num_groups))) {
    used = strategy->name();
    return *p;
  }
  used = "linear";
  note += "placement strategy \"" + name + "\" needs a trace; linear placement used in expected-value mode. ";
  return Placement::linear(routing.num_experts, ep, slots);
}

// Adds one evaluation's GPU x GPU byte matrices to `m` (trace mode sums batches, then divides).
void add_matrices(TrafficMatrices& m, const DispatchResult& r) {
  if (m.dispatch_gpu_bytes.empty()) {
    m.dispatch_gpu_bytes.assign(r.dispatch_bytes.size(), 0.0);
    m.combine_gpu_bytes.assign(r.combine_bytes.size(), 0.0);
  }
  for (std::size_t i = 0; i < r.dispatch_bytes.size() && i < m.dispatch_gpu_bytes.size(); ++i) {
    m.dispatch_gpu_bytes[i] += r.dispatch_bytes[i];
    m.combine_gpu_bytes[i] += r.combine_bytes[i];
  }
}

// The node x node sums of the GPU matrices, after scaling them by `scale` (1 / batches in trace mode).
void finish_matrices(TrafficMatrices& m, std::int32_t gpus, std::int32_t gpus_per_node, double scale) {
  m.gpus = gpus;
  m.gpus_per_node = std::max(1, gpus_per_node);
  m.nodes = (gpus + m.gpus_per_node - 1) / m.gpus_per_node;
  for (auto* v : {&m.dispatch_gpu_bytes, &m.combine_gpu_bytes}) {
    v->resize(static_cast<std::size_t>(gpus) * static_cast<std::size_t>(gpus), 0.0);
    for (double& x : *v)
      x *= scale;
  }
  const auto n = static_cast<std::size_t>(m.nodes);
  m.dispatch_node_bytes.assign(n * n, 0.0);
  m.combine_node_bytes.assign(n * n, 0.0);
  for (std::int32_t a = 0; a < gpus; ++a)
    for (std::int32_t b = 0; b < gpus; ++b) {
      const std::size_t g = static_cast<std::size_t>(a) * static_cast<std::size_t>(gpus) + static_cast<std::size_t>(b);
      const std::size_t k =
          static_cast<std::size_t>(a / m.gpus_per_node) * n + static_cast<std::size_t>(b / m.gpus_per_node);
      m.dispatch_node_bytes[k] += m.dispatch_gpu_bytes[g];
      m.combine_node_bytes[k] += m.combine_gpu_bytes[g];
    }
}

// `matrices`: also fill the GPU x GPU byte matrices (not memoized).
MoeNetworkCost expected_cost(const ResolvedScenario& s, Phase phase, double tokens, const EngineConfig& c,
                             TrafficMatrices* matrices = nullptr) {
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
  if (g_cache_enabled && !matrices) {
    key = network_key(s, c, out.kernel, tp, tokens, exponent, payload, costs);
    auto it = g_memo.map.find(key);
    if (it != g_memo.map.end()) {
      ++g_stats.network_hits;
      return it->second;
    }
    ++g_stats.network_misses;
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
  if (g_cache_enabled && !matrices) {
    if (g_memo.map.size() > 8192) g_memo.map.clear();
    g_memo.map.emplace(std::move(key), out);
  }
  return out;
}

// ---- Trace-driven mode -------------------------------------------------------------------------------------------

MoeNetworkCost trace_cost(const ResolvedScenario& s, Phase phase, double tokens, const EngineConfig& c,
                          TrafficMatrices* matrices = nullptr) {
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
  const placement::PlacementPlan* plan =
      &te.plan(*strategy, {nodes, std::min(gpn, ep), static_cast<std::int32_t>(d.expert_slots_per_gpu)},
               static_cast<double>(s.model.hidden_size) * bytes_per_element(s.scenario.workload.dtypes.dispatch));
  out.placement = strategy->name();
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
  if (g_cache_enabled && !matrices) {
    key = "trace\0" + te.version() + '\0' + s.scenario.routing.trace_format + '\0' + std::to_string(c.trace_steps) +
          '\0' + network_key(s, c, out.kernel, tp, tokens, 0.0, payload, costs);
    auto it = g_memo.map.find(key);
    if (it != g_memo.map.end()) {
      ++g_stats.network_hits;
      return it->second;
    }
    ++g_stats.network_misses;
  }
  DispatchOptions options;
  options.use_scale_up = c.use_scale_up;

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
  if (g_cache_enabled && !matrices) {
    if (g_memo.map.size() > 8192) g_memo.map.clear();
    g_memo.map.emplace(std::move(key), out);
  }
  return out;
}

} // namespace

MoeNetworkCost moe_network_cost(const ResolvedScenario& given, Phase phase, double tokens_per_gpu,
                                const EngineConfig& c) {
  ResolvedScenario storage;
  const ResolvedScenario& s = with_inputs(given, c, storage);
  const bool has_trace = s.scenario.routing.kind == RoutingKind::trace;
  const bool use_trace = c.routing_source == "trace" || (c.routing_source == "auto" && has_trace);
  if (use_trace) {
    if (!has_trace)
      throw InputError(s.scenario.file.empty() ? "<inline>" : s.scenario.file, "/engine/routing_source",
                       "routing_source \"trace\" needs routing.kind \"trace\" with a trace file");
    return trace_cost(s, phase, tokens_per_gpu, c);
  }
  return expected_cost(s, phase, tokens_per_gpu, c);
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

void check_engine_extension_names(const Scenario& s, const EngineConfig& c) {
  const std::string file = s.file.empty() ? "<inline>" : s.file;
  Diagnostics d;
  auto expected = [&](const char* field, const std::string& name, std::vector<std::string> names) {
    std::string list;
    for (const auto& n : names)
      list += (list.empty() ? "" : ", ") + std::string("\"") + n + "\"";
    d.add(file, field, "expected one of " + list + ", got \"" + name + "\"");
  };
  for (const auto& [field, name] : {std::pair<const char*, std::string>{"/engine/decode_kernel", c.decode_kernel},
                                    {"/engine/prefill_kernel", c.prefill_kernel}})
    if (!find_dispatch_kernel(name)) expected(field, name, dispatch_kernel_names());
  if (c.collective_algorithm != "auto" && !find_collective_algorithm(c.collective_algorithm)) {
    std::vector<std::string> names{"auto"};
    for (const auto& a : collective_algorithms())
      names.push_back(a->name());
    expected("/engine/collective_algorithm", c.collective_algorithm, names);
  }
  d.throw_if_any();
}

TrafficMatrices moe_traffic_matrices(const ResolvedScenario& given, Phase phase, double tokens_per_gpu,
                                     const EngineConfig& c) {
  ResolvedScenario storage;
  const ResolvedScenario& s = with_inputs(given, c, storage);
  TrafficMatrices m;
  const bool has_trace = s.scenario.routing.kind == RoutingKind::trace;
  if (c.routing_source == "trace" || (c.routing_source == "auto" && has_trace))
    trace_cost(s, phase, tokens_per_gpu, c, &m);
  else
    expected_cost(s, phase, tokens_per_gpu, c, &m);
  return m;
}

EngineCacheStats engine_cache_stats() {
  return g_stats;
}
void set_engine_network_cache(bool enabled) {
  g_cache_enabled = enabled;
  if (!enabled) g_memo.map.clear();
}

} // namespace moescope
