// Collectives: op and protocol names, bus bytes, NCCL's constants, the algorithm registry (each algorithm registers
// itself from its own collective_<name>.cpp), and the estimate: the fastest algorithm x protocol at speed of light,
// or the calibrated regimes.
#include "network/collective.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "network/network_calibration.hpp"
#include "util/registry.hpp"

namespace moescope {

std::string to_string(CollectiveOp op) {
  switch (op) {
  case CollectiveOp::all_reduce:
    return "all_reduce";
  case CollectiveOp::all_gather:
    return "all_gather";
  case CollectiveOp::reduce_scatter:
    return "reduce_scatter";
  case CollectiveOp::all_to_all:
    return "all_to_all";
  case CollectiveOp::send_recv:
    return "send_recv";
  }
  return "?";
}

std::optional<CollectiveOp> parse_collective_op(const std::string& name) {
  for (auto op : {CollectiveOp::all_reduce, CollectiveOp::all_gather, CollectiveOp::reduce_scatter,
                  CollectiveOp::all_to_all, CollectiveOp::send_recv})
    if (to_string(op) == name) return op;
  return std::nullopt;
}

std::string to_string(NcclProtocol p) {
  switch (p) {
  case NcclProtocol::ll:
    return "ll";
  case NcclProtocol::ll128:
    return "ll128";
  case NcclProtocol::simple:
    return "simple";
  }
  return "?";
}

double bus_bytes_factor(CollectiveOp op, std::int64_t ranks) {
  const double n = static_cast<double>(std::max<std::int64_t>(ranks, 1));
  switch (op) {
  case CollectiveOp::all_reduce:
    return 2.0 * (n - 1.0) / n;
  case CollectiveOp::all_gather:
  case CollectiveOp::reduce_scatter:
  case CollectiveOp::all_to_all:
    return (n - 1.0) / n;
  case CollectiveOp::send_recv:
    return 1.0;
  }
  return 1.0;
}

// Microseconds from NCCL's tuning.cc (see nccl_facts.md), indexed LL, LL128, Simple.
double NcclConstants::base_latency(bool tree, NcclProtocol p) {
  static const double ring[] = {6.6, 14.0, 8.4}, tr[] = {6.8, 14.0, 8.4};
  return (tree ? tr : ring)[static_cast<int>(p)] * 1e-6;
}
double NcclConstants::nvlink_hop(bool tree, NcclProtocol p) {
  static const double ring[] = {0.6, 1.9, 3.4}, tr[] = {0.6, 1.25, 4.0};
  return (tree ? tr : ring)[static_cast<int>(p)] * 1e-6;
}
double NcclConstants::network_hop(bool tree, NcclProtocol p) {
  static const double ring[] = {2.7, 4.0, 14.0}, tr[] = {5.0, 8.5, 14.0};
  return (tree ? tr : ring)[static_cast<int>(p)] * 1e-6;
}
double NcclConstants::protocol_efficiency(NcclProtocol p) {
  switch (p) {
  case NcclProtocol::ll:
    return 0.5;
  case NcclProtocol::ll128:
    return 120.0 / 128.0;
  case NcclProtocol::simple:
    return 1.0;
  }
  return 1.0;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

CollectiveContext make_context(const Topology& topo, std::int64_t ranks) {
  CollectiveContext c;
  c.topology = &topo;
  c.ranks = ranks;
  c.ranks_per_node = std::min<std::int64_t>(ranks, topo.gpus_per_node());
  c.nodes = (ranks + c.ranks_per_node - 1) / c.ranks_per_node;
  c.scale_up_bandwidth = topo.scale_up_bandwidth_per_gpu();
  c.scale_out_bandwidth = topo.scale_out_bandwidth_per_gpu();
  if (c.scale_out_bandwidth <= 0.0) c.scale_out_bandwidth = c.nodes > 1 ? 1e-30 : kInf;
  return c;
}

CollectiveEstimate speed_of_light(const Topology& topo, const CollectiveRequest& req) {
  if (req.ranks < 1) throw std::invalid_argument("collective: ranks must be >= 1");
  if (req.ranks > topo.num_gpus()) throw std::invalid_argument("collective: more ranks than GPUs in the topology");
  const CollectiveContext ctx = make_context(topo, req.ranks);
  CollectiveEstimate best;
  best.seconds = kInf;
  best.bus_bytes = bus_bytes_factor(req.op, req.ranks) * req.bytes;
  bool any = false;
  for (const auto& algo : collective_algorithms()) {
    if (req.algorithm != "auto" && !same_name(algo->name(), req.algorithm)) continue;
    for (auto p : {NcclProtocol::ll, NcclProtocol::ll128, NcclProtocol::simple}) {
      if (req.protocol && *req.protocol != p) continue;
      const auto t = algo->time(ctx, req.op, p, req.bytes);
      if (!t) continue;
      any = true;
      const double total = t->latency_seconds + t->transfer_seconds;
      if (total < best.seconds) {
        best.seconds = total;
        best.latency_seconds = t->latency_seconds;
        best.transfer_seconds = t->transfer_seconds;
        best.algorithm = algo->name();
        best.protocol = p;
      }
    }
  }
  if (!any)
    throw std::invalid_argument("collective: algorithm \"" + req.algorithm + "\" does not implement " +
                                to_string(req.op) + " here");
  if (req.ranks == 1) {
    best.seconds = best.latency_seconds = best.transfer_seconds = 0.0;
  }
  best.bus_bandwidth_bytes_per_s = best.seconds > 0.0 ? best.bus_bytes / best.seconds : 0.0;
  return best;
}

const CollectiveRegime& regime_for(const CollectiveCalibration& cc, double bytes) {
  for (const auto& r : cc.regimes)
    if (bytes <= r.max_bytes) return r;
  return cc.regimes.back();
}

} // namespace

const std::vector<std::unique_ptr<CollectiveAlgorithm>>& collective_algorithms() {
  return Registry<CollectiveAlgorithm>::entries();
}

const CollectiveAlgorithm* find_collective_algorithm(const std::string& name) {
  return Registry<CollectiveAlgorithm>::find(name);
}

CollectiveEstimate estimate_collective(const Topology& topo, const CollectiveRequest& req,
                                       const NetworkCalibration* calibration) {
  if (req.algorithm != "auto" && !find_collective_algorithm(req.algorithm))
    throw std::invalid_argument("collective: unknown algorithm \"" + req.algorithm + "\"");
  CollectiveEstimate sol = speed_of_light(topo, req);
  if (!calibration || req.algorithm != "auto" || req.protocol || req.ranks > topo.gpus_per_node() || req.ranks < 2)
    return sol;
  auto it = calibration->collectives.find(to_string(req.op));
  if (it == calibration->collectives.end() || it->second.empty()) return sol;
  // The entry for this rank count, or the nearest one scaled by the speed-of-light ratio between the two counts.
  const CollectiveCalibration* nearest = nullptr;
  for (const auto& cc : it->second)
    if (!cc.regimes.empty() && (!nearest || std::llabs(cc.ranks - req.ranks) < std::llabs(nearest->ranks - req.ranks)))
      nearest = &cc;
  if (!nearest) return sol;
  CollectiveRequest at_cal = req;
  at_cal.ranks = nearest->ranks;
  const CollectiveRegime& reg = regime_for(*nearest, req.bytes);
  const double bus = bus_bytes_factor(req.op, nearest->ranks) * req.bytes;
  double lat = reg.latency_seconds, transfer = bus / reg.bus_bandwidth_bytes_per_s;
  if (nearest->ranks != req.ranks) {
    const CollectiveEstimate sol_cal = speed_of_light(topo, at_cal);
    const double scale = sol_cal.seconds > 0.0 ? sol.seconds / sol_cal.seconds : 1.0;
    lat *= scale;
    transfer *= scale;
  }
  CollectiveEstimate out;
  out.seconds = lat + transfer;
  out.latency_seconds = lat;
  out.transfer_seconds = transfer;
  out.bus_bytes = sol.bus_bytes;
  out.bus_bandwidth_bytes_per_s = out.seconds > 0.0 ? out.bus_bytes / out.seconds : 0.0;
  out.algorithm = "calibrated";
  out.protocol = reg.protocol == "ll"      ? NcclProtocol::ll
                 : reg.protocol == "ll128" ? NcclProtocol::ll128
                                           : NcclProtocol::simple;
  out.calibrated = true;
  return out;
}

} // namespace moescope
