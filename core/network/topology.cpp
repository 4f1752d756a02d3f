#include "network/topology.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "scenario/resolved_scenario.hpp"

namespace moescope {

namespace {
// Extra one-way latency of each additional switch a scale-out transfer crosses when it goes leaf -> spine -> leaf
// (two more switch hops than a same-leaf transfer). InfiniBand NDR switches: about 0.2-0.3 us port to port.
constexpr double kSpineHopSeconds = 0.3e-6;
} // namespace

std::string to_string(LinkKind k) {
  switch (k) {
  case LinkKind::scale_up_out:
    return "scale_up_out";
  case LinkKind::scale_up_in:
    return "scale_up_in";
  case LinkKind::peer:
    return "peer";
  case LinkKind::nic_out:
    return "nic_out";
  case LinkKind::nic_in:
    return "nic_in";
  case LinkKind::leaf_up:
    return "leaf_up";
  case LinkKind::leaf_down:
    return "leaf_down";
  }
  return "?";
}

std::vector<std::int32_t> near_equal_factors(std::int32_t n, int ndims) {
  std::vector<std::int32_t> dims;
  std::int32_t rest = std::max<std::int32_t>(n, 1);
  for (int d = ndims; d >= 1; --d) {
    // The largest divisor of `rest` not above rest^(1/d) (rounded), so that the remaining factors stay balanced.
    const auto target = static_cast<std::int32_t>(std::llround(std::pow(static_cast<double>(rest), 1.0 / d)));
    std::int32_t best = 1;
    for (std::int32_t f = 1; f <= rest; ++f)
      if (rest % f == 0 && f <= std::max<std::int32_t>(target, 1)) best = f;
    if (d == 1) best = rest;
    dims.push_back(best);
    rest /= best;
  }
  std::sort(dims.begin(), dims.end(), std::greater<>());
  return dims;
}

Topology::Topology(const TopologyParams& p) : params_(p) {
  if (p.nodes < 1 || p.gpus_per_node < 1) throw std::invalid_argument("topology: nodes and gpus_per_node must be >= 1");
  num_gpus_ = p.nodes * p.gpus_per_node;
  const std::int32_t gpn = p.gpus_per_node;
  scale_up_line_per_gpu_ = p.scale_up_link_bandwidth_bytes_per_s * p.scale_up_links_per_device;
  scale_up_per_gpu_ = scale_up_line_per_gpu_ * p.scale_up_achievable_fraction;

  switch (p.scale_up_topology) {
  case ScaleUpTopology::switched: {
    port_base_ = static_cast<std::int32_t>(links_.size());
    for (std::int32_t g = 0; g < num_gpus_; ++g) {
      links_.push_back({LinkKind::scale_up_out, g, -1, scale_up_line_per_gpu_, scale_up_per_gpu_,
                        p.scale_up_latency_seconds, false});
      links_.push_back(
          {LinkKind::scale_up_in, g, -1, scale_up_line_per_gpu_, scale_up_per_gpu_, p.scale_up_latency_seconds, false});
    }
    break;
  }
  case ScaleUpTopology::full_mesh: {
    peer_base_ = static_cast<std::int32_t>(links_.size());
    const double line = gpn > 1 ? scale_up_line_per_gpu_ / (gpn - 1) : scale_up_line_per_gpu_;
    for (std::int32_t g = 0; g < num_gpus_; ++g)
      for (std::int32_t l = 0; l < gpn; ++l)
        if (l != local_of(g))
          links_.push_back({LinkKind::peer, g, gpu(node_of(g), l), line, line * p.scale_up_achievable_fraction,
                            p.scale_up_latency_seconds, false});
    break;
  }
  case ScaleUpTopology::torus_2d:
  case ScaleUpTopology::torus_3d: {
    const int ndims = p.scale_up_topology == ScaleUpTopology::torus_2d ? 2 : 3;
    torus_dims_ = p.torus_dims.empty() ? near_equal_factors(gpn, ndims) : p.torus_dims;
    std::int32_t prod = 1;
    for (auto d : torus_dims_)
      prod *= d;
    if (prod != gpn) throw std::invalid_argument("topology: torus dimensions do not multiply to gpus_per_node");
    peer_base_ = static_cast<std::int32_t>(links_.size());
    const double line = scale_up_line_per_gpu_ / (2.0 * static_cast<double>(torus_dims_.size()));
    for (std::int32_t g = 0; g < num_gpus_; ++g)
      for (std::size_t axis = 0; axis < torus_dims_.size(); ++axis)
        for (int dir = 0; dir < 2; ++dir)
          links_.push_back({LinkKind::peer, g, static_cast<std::int32_t>(axis * 2 + dir), line,
                            line * p.scale_up_achievable_fraction, p.scale_up_latency_seconds, false});
    break;
  }
  }

  if (p.has_scale_out) {
    const bool shared = p.nics_per_gpu < 1.0;
    nics_per_node_ =
        shared ? std::max<std::int32_t>(1, static_cast<std::int32_t>(std::lround(gpn * p.nics_per_gpu))) : gpn;
    const double nic_line = shared ? p.nic_bandwidth_bytes_per_s : p.nic_bandwidth_bytes_per_s * p.nics_per_gpu;
    scale_out_line_per_gpu_ = shared ? nic_line * nics_per_node_ / gpn : nic_line;
    scale_out_per_gpu_ = scale_out_line_per_gpu_ * p.nic_achievable_fraction;
    nic_out_base_ = static_cast<std::int32_t>(links_.size());
    const std::int32_t nics = nics_per_node_ * p.nodes;
    for (std::int32_t n = 0; n < nics; ++n) {
      links_.push_back(
          {LinkKind::nic_out, n, -1, nic_line, nic_line * p.nic_achievable_fraction, p.nic_latency_seconds, true});
      links_.push_back(
          {LinkKind::nic_in, n, -1, nic_line, nic_line * p.nic_achievable_fraction, p.nic_latency_seconds, true});
    }
    // Leaves: one per rail (NIC i of every node) when rail-optimized, else one per node (top of rack).
    num_leaves_ = p.rail_optimized ? nics_per_node_ : p.nodes;
    const std::int32_t nics_per_leaf = p.rail_optimized ? p.nodes : nics_per_node_;
    const double up_line = nic_line * nics_per_leaf / std::max(p.oversubscription, 1e-9);
    leaf_base_ = static_cast<std::int32_t>(links_.size());
    for (std::int32_t l = 0; l < num_leaves_; ++l) {
      links_.push_back(
          {LinkKind::leaf_up, l, -1, up_line, up_line * p.nic_achievable_fraction, kSpineHopSeconds, true});
      links_.push_back(
          {LinkKind::leaf_down, l, -1, up_line, up_line * p.nic_achievable_fraction, kSpineHopSeconds, true});
    }
  }
  inv_bw_.reserve(links_.size());
  for (const Link& l : links_) {
    inv_bw_.push_back(1.0 / l.bandwidth_bytes_per_s);
    const bool up_counted = l.kind == LinkKind::scale_up_out || l.kind == LinkKind::peer;
    flags_.push_back(static_cast<std::uint8_t>((up_counted ? 1 : 0) | (l.kind == LinkKind::nic_out ? 2 : 0) |
                                               (l.scale_out ? 4 : 0)));
  }
}

TopologyParams Topology::params_from_scenario(const ResolvedScenario& s) {
  TopologyParams p;
  p.nodes = static_cast<std::int32_t>(s.deployment.nodes);
  p.gpus_per_node = static_cast<std::int32_t>(s.deployment.gpus_per_node);
  p.scale_up_topology = s.system.scale_up_topology;
  p.scale_up_link_bandwidth_bytes_per_s = s.scale_up.link_bandwidth_per_direction_bytes_per_s.value;
  p.scale_up_links_per_device = s.scale_up.links_per_device.value;
  p.scale_up_latency_seconds = s.scale_up.latency_seconds.value;
  p.scale_up_achievable_fraction =
      s.scale_up.achievable_bandwidth_fraction ? s.scale_up.achievable_bandwidth_fraction.value : 1.0;
  if (s.scale_out && s.nics_per_accelerator > 0.0) {
    p.has_scale_out = true;
    p.nic_bandwidth_bytes_per_s = s.scale_out->device_bandwidth_per_direction_bytes_per_s();
    p.nics_per_gpu = s.nics_per_accelerator;
    p.nic_latency_seconds = s.scale_out->latency_seconds.value;
    p.nic_achievable_fraction =
        s.scale_out->achievable_bandwidth_fraction ? s.scale_out->achievable_bandwidth_fraction.value : 1.0;
  }
  p.rail_optimized = s.system.rail_optimized;
  p.oversubscription = s.system.oversubscription ? s.system.oversubscription.value : 1.0;
  return p;
}

Topology Topology::from_scenario(const ResolvedScenario& s) {
  return Topology(params_from_scenario(s));
}

std::int32_t Topology::scale_up_out_link(std::int32_t g) const {
  return port_base_ < 0 ? -1 : port_base_ + 2 * g;
}
std::int32_t Topology::scale_up_in_link(std::int32_t g) const {
  return port_base_ < 0 ? -1 : port_base_ + 2 * g + 1;
}

std::int32_t Topology::nic_of(std::int32_t g) const {
  if (nic_out_base_ < 0) return -1;
  const std::int32_t gpn = params_.gpus_per_node;
  return node_of(g) * nics_per_node_ + local_of(g) * nics_per_node_ / gpn;
}

std::int32_t Topology::leaf_of_nic(std::int32_t nic) const {
  return params_.rail_optimized ? nic % nics_per_node_ : nic / nics_per_node_;
}

std::int32_t Topology::torus_coord(std::int32_t local, int axis) const {
  std::int32_t v = local;
  for (int a = 0; a < axis; ++a)
    v /= torus_dims_[a];
  return v % torus_dims_[axis];
}

int Topology::scale_up_path(std::int32_t src, std::int32_t dst, std::int32_t* out) const {
  if (src == dst) return 0;
  switch (params_.scale_up_topology) {
  case ScaleUpTopology::switched:
    out[0] = port_base_ + 2 * src;
    out[1] = port_base_ + 2 * dst + 1;
    return 2;
  case ScaleUpTopology::full_mesh: {
    const std::int32_t gpn = params_.gpus_per_node;
    const std::int32_t ls = local_of(src), ld = local_of(dst);
    out[0] = peer_base_ + src * (gpn - 1) + (ld < ls ? ld : ld - 1);
    return 1;
  }
  default: {
    // Dimension-order routing, shortest way round each ring (ties: + direction).
    const int ndims = static_cast<int>(torus_dims_.size());
    const std::int32_t node_base = node_of(src) * params_.gpus_per_node;
    std::int32_t cur = local_of(src);
    const std::int32_t target = local_of(dst);
    int n = 0;
    std::int32_t stride = 1;
    for (int axis = 0; axis < ndims; ++axis) {
      const std::int32_t size = torus_dims_[axis];
      const std::int32_t c = torus_coord(cur, axis), t = torus_coord(target, axis);
      const std::int32_t fwd = ((t - c) % size + size) % size;
      const bool plus = fwd <= size - fwd;
      const std::int32_t steps = plus ? fwd : size - fwd;
      for (std::int32_t s = 0; s < steps && n < kMaxPathLinks; ++s) {
        const std::int32_t cc = torus_coord(cur, axis);
        out[n++] = peer_base_ + (node_base + cur) * 2 * ndims + axis * 2 + (plus ? 0 : 1);
        const std::int32_t nc = plus ? (cc + 1) % size : (cc - 1 + size) % size;
        cur += (nc - cc) * stride;
      }
      stride *= size;
    }
    return n;
  }
  }
}

int Topology::scale_out_path(std::int32_t src, std::int32_t dst, std::int32_t* out) const {
  if (nic_out_base_ < 0 || src == dst) return 0;
  const std::int32_t ns = nic_of(src), nd = nic_of(dst);
  int n = 0;
  out[n++] = nic_out_link(ns);
  const std::int32_t ls = leaf_of_nic(ns), ld = leaf_of_nic(nd);
  if (ls != ld) {
    out[n++] = leaf_base_ + 2 * ls;
    out[n++] = leaf_base_ + 2 * ld + 1;
  }
  out[n++] = nic_in_link(nd);
  return n;
}

double Topology::scale_up_latency(std::int32_t src, std::int32_t dst) const {
  if (src == dst) return 0.0;
  if (torus_dims_.empty()) return params_.scale_up_latency_seconds;
  std::int32_t path[kMaxPathLinks];
  return scale_up_path(src, dst, path) * params_.scale_up_latency_seconds;
}

double Topology::scale_out_latency(std::int32_t src, std::int32_t dst) const {
  if (nic_out_base_ < 0 || src == dst) return 0.0;
  const bool cross = leaf_of_nic(nic_of(src)) != leaf_of_nic(nic_of(dst));
  return params_.nic_latency_seconds + (cross ? 2.0 * kSpineHopSeconds : 0.0);
}

double Topology::scale_out_latency_same_leaf() const {
  return params_.nic_latency_seconds;
}
double Topology::scale_out_latency_cross_leaf() const {
  return params_.nic_latency_seconds + 2.0 * kSpineHopSeconds;
}

std::string Topology::link_name(std::int32_t i) const {
  const Link& l = links_.at(static_cast<std::size_t>(i));
  const auto gpu_name = [&](std::int32_t g) {
    return "node" + std::to_string(node_of(g)) + ".gpu" + std::to_string(local_of(g));
  };
  switch (l.kind) {
  case LinkKind::scale_up_out:
    return gpu_name(l.a) + ".scale_up.out";
  case LinkKind::scale_up_in:
    return gpu_name(l.a) + ".scale_up.in";
  case LinkKind::peer:
    if (!torus_dims_.empty())
      return gpu_name(l.a) + ".torus.axis" + std::to_string(l.b / 2) + (l.b % 2 == 0 ? "+" : "-");
    return gpu_name(l.a) + "->gpu" + std::to_string(local_of(l.b));
  case LinkKind::nic_out:
  case LinkKind::nic_in:
    return "node" + std::to_string(l.a / nics_per_node_) + ".nic" + std::to_string(l.a % nics_per_node_) +
           (l.kind == LinkKind::nic_out ? ".out" : ".in");
  case LinkKind::leaf_up:
  case LinkKind::leaf_down:
    return (params_.rail_optimized ? "rail" : "node") + std::to_string(l.a) + ".leaf" +
           (l.kind == LinkKind::leaf_up ? ".up" : ".down");
  }
  return "?";
}

} // namespace moescope
