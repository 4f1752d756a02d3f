#include "engine/moe_network.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "engine/input_loader.hpp"
#include "engine/moe_network_detail.hpp"
#include "network/collective.hpp"
#include "network/dispatch.hpp"
#include "network/network_calibration.hpp"

namespace moescope {

namespace {

thread_local bool g_cache_enabled = true;
thread_local EngineCacheStats g_stats;

// Per-thread memo of network results, keyed on the bytes of every input.
thread_local std::unordered_map<std::string, MoeNetworkCost> g_memo;

void put(std::string& key, double v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put(std::string& key, const std::string& v) {
  key += v;
  key += '\0';
}

} // namespace

namespace moe_network_detail {

bool memo_enabled() {
  return g_cache_enabled;
}

const MoeNetworkCost* memo_find(const std::string& key) {
  auto it = g_memo.find(key);
  if (it == g_memo.end()) {
    ++g_stats.network_misses;
    return nullptr;
  }
  ++g_stats.network_hits;
  return &it->second;
}

void memo_store(std::string key, const MoeNetworkCost& cost) {
  if (g_memo.size() > 8192) g_memo.clear();
  g_memo.emplace(std::move(key), cost);
}

std::string network_key(const ResolvedScenario& s, const EngineConfig& c, const std::string& kernel,
                        const TopologyParams& tp, double tokens, double exponent, const DispatchPayload& payload,
                        const KernelCosts& costs) {
  const auto& d = s.deployment;
  std::string key;
  key.reserve(288);
  put(key, kernel);
  put(key, s.scenario.placement.strategy);
  put(key, s.scenario.placement.replica_rule);
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
                   s.scenario.placement.options.balance_cap,
                   s.scenario.placement.options.node_load_cap,
                   double(s.scenario.placement.options.seed),
                   double(s.scenario.placement.options.eplb_groups),
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

} // namespace moe_network_detail

using namespace moe_network_detail;

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
  if (!enabled) g_memo.clear();
}

} // namespace moescope
