// Validation predictors of the network model: NCCL collectives ("nccl_all_reduce", "nccl_all_gather",
// "nccl_reduce_scatter", "nccl_all_to_all") and DeepEP kernels ("deepep_normal_dispatch", "deepep_normal_combine",
// "deepep_low_latency_dispatch", "deepep_low_latency_combine"). Parameters are documented in docs/network-model.md.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "accuracy/operation_predictor.hpp"
#include "model/model_limits.hpp"
#include "network/collective.hpp"
#include "network/dispatch.hpp"
#include "network/network_calibration.hpp"
#include "scenario/scenario_limits.hpp"

namespace moescope {

namespace {

TopologyParams system_params(const HardwareDatabase& hwdb, const std::string& system, std::int32_t nodes,
                             std::int32_t gpus_per_node) {
  const SystemSpec& s = hwdb.system(system);
  const Interconnect& up = hwdb.interconnect(s.scale_up_interconnect);
  TopologyParams p;
  p.nodes = nodes;
  p.gpus_per_node = gpus_per_node;
  p.scale_up_topology = s.scale_up_topology;
  p.scale_up_link_bandwidth_bytes_per_s = up.link_bandwidth_per_direction_bytes_per_s.value;
  p.scale_up_links_per_device = up.links_per_device.value;
  p.scale_up_latency_seconds = up.latency_seconds.value;
  p.scale_up_achievable_fraction = up.achievable_bandwidth_fraction ? up.achievable_bandwidth_fraction.value : 1.0;
  if (s.scale_out_interconnect) {
    const Interconnect& out = hwdb.interconnect(*s.scale_out_interconnect);
    p.has_scale_out = true;
    p.nic_bandwidth_bytes_per_s = out.device_bandwidth_per_direction_bytes_per_s();
    p.nics_per_gpu = s.nics_per_accelerator.value;
    p.nic_latency_seconds = out.latency_seconds.value;
    p.nic_achievable_fraction = out.achievable_bandwidth_fraction ? out.achievable_bandwidth_fraction.value : 1.0;
  }
  p.rail_optimized = s.rail_optimized;
  p.oversubscription = s.oversubscription ? s.oversubscription.value : 1.0;
  return p;
}

const NetworkCalibration* calibration_for(const PredictionContext& ctx, const std::string& system) {
  if (ctx.mode != TimeModelMode::calibrated) return nullptr;
  if (ctx.hwdb_dir.empty()) return find_network_calibration(system);
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<NetworkCalibration>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const std::string path = ctx.hwdb_dir + "/calibrations/" + system + "-network.json";
  auto it = cache.find(path);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<NetworkCalibration> c;
  if (std::filesystem::exists(path)) c = std::make_unique<NetworkCalibration>(load_network_calibration(path));
  return (cache[path] = std::move(c)).get();
}

std::string system_of(const ValidationCase& c) {
  return c.parameters.value("system", c.device);
}

void check_params(const ValidationCase& c, const std::string& file, Diagnostics& d,
                  const std::vector<std::string>& required, const std::vector<std::string>& optional) {
  JsonObjectReader r(c.parameters, file, c.pointer + "/parameters", d);
  if (!r.valid()) return;
  // Counts are integers; GPU counts are bounded as in a scenario (the topology is built per GPU), the rest by 2^24.
  for (const auto& k : required) {
    if (k == "system")
      r.string(k);
    else if (k == "message_size_bytes")
      r.number_in(k, 1, 1e15);
    else
      r.integer_in(k, 1, k == "num_gpus" || k == "ep" ? scenario_limits::kMaxGpus : model_limits::kMaxDimension);
  }
  for (const auto& k : optional)
    r.accept(k);
  r.finish();
}

class NcclPredictor : public OperationPredictor {
public:
  explicit NcclPredictor(CollectiveOp op) : op_(op) {}
  std::string name() const override { return "nccl_" + to_string(op_); }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    check_params(c, file, d, {"system", "num_gpus", "message_size_bytes"},
                 {"dtype", "message_size_elements", "framework", "nccl_version"});
    if (c.unit != "seconds") d.add(file, c.pointer + "/unit", "expected \"seconds\"");
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const std::string system = system_of(c);
    const auto n = c.parameters.at("num_gpus").get<std::int64_t>();
    const SystemSpec& s = ctx.hwdb->system(system);
    const auto gpn = static_cast<std::int32_t>(s.scale_up_domain_size.value);
    const auto nodes = static_cast<std::int32_t>((n + gpn - 1) / gpn);
    const Topology topo(system_params(*ctx.hwdb, system, nodes, gpn));
    CollectiveRequest req;
    req.op = op_;
    req.ranks = n;
    req.bytes = c.parameters.at("message_size_bytes").get<double>();
    return estimate_collective(topo, req, calibration_for(ctx, system)).seconds;
  }

private:
  CollectiveOp op_;
};

// DeepEP test harness semantics (tests/test_internode.py, test_low_latency.py, test_intranode.py): random
// expert scores, group-limited top-k with one group per node (normal kernels, min(nodes, 4) groups per token),
// plain top-k (low-latency). Measured "bytes_per_s" is DeepEP's logical bandwidth: RDMA = (token, node) pairs
// including the own node x bytes per row; NVLink = rows received x bytes per row; per rank, averaged.
class DeepEpPredictor : public OperationPredictor {
public:
  DeepEpPredictor(bool low_latency, bool combine) : ll_(low_latency), combine_(combine) {}
  std::string name() const override {
    return std::string("deepep_") + (ll_ ? "low_latency_" : "normal_") + (combine_ ? "combine" : "dispatch");
  }
  void check(const ValidationCase& c, const std::string& file, Diagnostics& d) const override {
    check_params(c, file, d, {"system", "ep", "tokens_per_rank", "hidden", "top_k", "num_experts"},
                 {"use_nvlink", "num_sms", "num_topk_groups", "gpus_per_node", "dispatch_dtype", "combine_dtype",
                  "bandwidth_kind", "readme_commit", "framework", "message_size_bytes"});
    if (c.unit != "seconds" && c.unit != "bytes_per_s")
      d.add(file, c.pointer + "/unit", "expected \"seconds\" or \"bytes_per_s\"");
  }
  double predict(const ValidationCase& c, const PredictionContext& ctx) const override {
    const Json& p = c.parameters;
    const std::string system = system_of(c);
    const auto ep = p.at("ep").get<std::int32_t>();
    const auto tokens = p.at("tokens_per_rank").get<std::int32_t>();
    const auto hidden = p.at("hidden").get<std::int64_t>();
    const auto top_k = p.at("top_k").get<std::int32_t>();
    const auto experts = p.at("num_experts").get<std::int32_t>();
    const SystemSpec& s = ctx.hwdb->system(system);
    const auto gpn =
        std::min<std::int32_t>(p.value("gpus_per_node", static_cast<std::int32_t>(s.scale_up_domain_size.value)), ep);
    const std::int32_t nodes = (ep + gpn - 1) / gpn;
    const Topology topo(system_params(*ctx.hwdb, system, nodes, gpn));
    const Placement placement = Placement::linear(experts, ep, 0);
    // Routing sample: at most 512 tokens per rank, scaled to the real count (link bytes are linear in tokens).
    const std::int32_t sample = std::min(tokens, 512);
    const double scale = static_cast<double>(tokens) / sample;
    const std::int32_t groups = ll_ ? 1 : nodes;
    const std::int32_t groups_per_token = ll_ ? 1 : p.value("num_topk_groups", std::min(nodes, 4));
    const TokenRouting routing =
        sample_group_limited_routing(sample, ep, experts, top_k, experts % groups == 0 ? groups : 1,
                                     experts % groups == 0 ? groups_per_token : 1, 12345);
    const DataType ddt = parse_data_type(p.value("dispatch_dtype", "fp8")).value_or(DataType::fp8);
    const DataType cdt = parse_data_type(p.value("combine_dtype", "bf16")).value_or(DataType::bf16);
    DispatchPayload payload = DispatchPayload::from_dtypes(hidden, ddt, cdt);
    const double row_dispatch = payload.dispatch_bytes_per_token, row_combine = payload.combine_bytes_per_token;
    payload.dispatch_bytes_per_token *= scale;
    payload.combine_bytes_per_token *= scale;
    const std::string kernel_name = ll_ ? "deepep-low-latency" : "deepep-normal";
    KernelCosts costs;
    if (const NetworkCalibration* cal = calibration_for(ctx, system)) {
      auto it = cal->dispatch_kernels.find(kernel_name);
      if (it != cal->dispatch_kernels.end()) costs = it->second;
    }
    if (p.contains("num_sms"))
      costs.num_sms = p.at("num_sms").get<double>();
    else
      costs.num_sms = 0.0;
    costs.per_message_seconds *= scale; // messages (puts) grow with the tokens too
    DispatchOptions options;
    options.use_scale_up = p.value("use_nvlink", true);
    DispatchWorkspace ws;
    const DispatchResult& r =
        evaluate_dispatch(*find_dispatch_kernel(kernel_name), topo, placement, routing, payload, costs, options, ws);
    const double seconds = combine_ ? r.combine.seconds : r.dispatch.seconds;
    if (c.unit == "seconds") return seconds;
    // Logical bandwidth as DeepEP prints it.
    const double row = combine_ ? row_combine : row_dispatch;
    double rows = 0.0;
    if (p.value("bandwidth_kind", std::string("rdma")) == "nvlink" || nodes == 1) {
      for (double x : r.received_rows_per_gpu)
        rows += x;
    } else {
      const std::int32_t k = routing.top_k;
      for (std::int32_t t = 0; t < routing.num_tokens(); ++t) {
        std::uint64_t mask = 0;
        for (std::int32_t j = 0; j < k; ++j) {
          const std::int32_t e = routing.experts[static_cast<std::size_t>(t) * k + j];
          if (e >= 0) mask |= 1ull << (topo.node_of(placement.replica_gpus[static_cast<std::size_t>(e)]) % 64);
        }
        rows += static_cast<double>(__builtin_popcountll(mask));
      }
    }
    rows = rows * scale / ep;
    // DeepEP counts fp8 rows as hidden x (1 + 4/128) bytes and bf16 rows as hidden x 2.
    return rows * row / seconds;
  }

private:
  bool ll_, combine_;
};

} // namespace

std::unique_ptr<OperationPredictor> make_nccl_all_reduce_predictor() {
  return std::make_unique<NcclPredictor>(CollectiveOp::all_reduce);
}
std::unique_ptr<OperationPredictor> make_nccl_all_gather_predictor() {
  return std::make_unique<NcclPredictor>(CollectiveOp::all_gather);
}
std::unique_ptr<OperationPredictor> make_nccl_reduce_scatter_predictor() {
  return std::make_unique<NcclPredictor>(CollectiveOp::reduce_scatter);
}
std::unique_ptr<OperationPredictor> make_nccl_all_to_all_predictor() {
  return std::make_unique<NcclPredictor>(CollectiveOp::all_to_all);
}
std::unique_ptr<OperationPredictor> make_deepep_normal_dispatch_predictor() {
  return std::make_unique<DeepEpPredictor>(false, false);
}
std::unique_ptr<OperationPredictor> make_deepep_normal_combine_predictor() {
  return std::make_unique<DeepEpPredictor>(false, true);
}
std::unique_ptr<OperationPredictor> make_deepep_low_latency_dispatch_predictor() {
  return std::make_unique<DeepEpPredictor>(true, false);
}
std::unique_ptr<OperationPredictor> make_deepep_low_latency_combine_predictor() {
  return std::make_unique<DeepEpPredictor>(true, true);
}

} // namespace moescope
