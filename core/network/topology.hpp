#pragma once
// The network a deployment runs on, as a flat list of directed links: each GPU's scale-up port (switched fabric),
// per-peer links (full mesh) or per-axis links (torus), each GPU's NIC into a (rail-optimized) fat tree, and the
// leaf-to-spine uplinks that carry cross-rail / cross-leaf traffic with the fabric's oversubscription.
// Every link has a per-direction bandwidth (line rate and achievable) and a latency. See docs/network-model.md.
#include <cstdint>
#include <string>
#include <vector>

#include "hw/system.hpp"

namespace moescope {

struct ResolvedScenario;

enum class LinkKind {
  scale_up_out, // GPU -> switch port (switched scale-up)
  scale_up_in,  // switch -> GPU port
  peer,         // one direction of a point-to-point link: full-mesh peer link or torus axis link
  nic_out,      // NIC -> leaf switch
  nic_in,       // leaf switch -> NIC
  leaf_up,      // leaf -> spine (aggregate of the leaf's uplinks)
  leaf_down,    // spine -> leaf
};
std::string to_string(LinkKind k);

struct Link {
  LinkKind kind = LinkKind::scale_up_out;
  std::int32_t a = 0;                 // GPU (ports, peer source), NIC index (NIC links), leaf index (leaf links)
  std::int32_t b = -1;                // peer destination GPU; torus: axis * 2 + (0: + direction, 1: - direction)
  double line_rate_bytes_per_s = 0.0; // per direction
  double bandwidth_bytes_per_s = 0.0; // achievable per direction (line rate x achievable fraction)
  double latency_seconds = 0.0;
  bool scale_out = false;
};

// Everything the topology is built from, in SI units. from_scenario() fills it from the resolved hwdb entries.
struct TopologyParams {
  std::int32_t nodes = 1;         // scale-up domains
  std::int32_t gpus_per_node = 1; // GPUs of one domain that the deployment uses
  ScaleUpTopology scale_up_topology = ScaleUpTopology::switched;
  double scale_up_link_bandwidth_bytes_per_s = 0.0; // one link, one direction
  double scale_up_links_per_device = 1.0;
  double scale_up_latency_seconds = 0.0;
  double scale_up_achievable_fraction = 1.0;
  std::vector<std::int32_t> torus_dims; // empty: derived from gpus_per_node (near-square / near-cube)
  bool has_scale_out = false;
  double nic_bandwidth_bytes_per_s = 0.0; // one NIC (all its ports), one direction
  double nics_per_gpu = 1.0;              // > 1: aggregated into one NIC link per GPU; < 1: NICs shared by GPUs
  double nic_latency_seconds = 0.0;
  double nic_achievable_fraction = 1.0;
  bool rail_optimized = true;
  double oversubscription = 1.0;
};

class Topology {
public:
  Topology() = default;
  explicit Topology(const TopologyParams& p);
  static Topology from_scenario(const ResolvedScenario& s);
  static TopologyParams params_from_scenario(const ResolvedScenario& s);

  const TopologyParams& params() const { return params_; }
  std::int32_t num_gpus() const { return num_gpus_; }
  std::int32_t nodes() const { return params_.nodes; }
  std::int32_t gpus_per_node() const { return params_.gpus_per_node; }
  std::int32_t node_of(std::int32_t gpu) const { return gpu / params_.gpus_per_node; }
  std::int32_t local_of(std::int32_t gpu) const { return gpu % params_.gpus_per_node; }
  std::int32_t gpu(std::int32_t node, std::int32_t local) const { return node * params_.gpus_per_node + local; }
  bool has_scale_out() const { return params_.has_scale_out && params_.nodes > 1; }

  const std::vector<Link>& links() const { return links_; }
  const std::vector<double>& inverse_bandwidths() const { return inv_bw_; } // 1 / achievable bandwidth per link
  // Per link: 1 = scale-up link counted in per-tier bytes (out port or point-to-point), 2 = NIC out (counted),
  // plus 4 when the link is a scale-out link; 0 otherwise.
  const std::vector<std::uint8_t>& link_flags() const { return flags_; }
  std::string link_name(std::int32_t link) const; // "gpu3.scale_up.out", "node1.nic2.in", "rail0.leaf.up", ...

  // Links crossed by a transfer from `src` to `dst` (src != dst) over the scale-up fabric (same node) or over
  // the scale-out network (any two GPUs; a same-node pair then loops through the leaf switch). Returns the
  // number written to `out` (at most kMaxPathLinks).
  static constexpr int kMaxPathLinks = 16;
  int scale_up_path(std::int32_t src, std::int32_t dst, std::int32_t* out) const;
  int scale_out_path(std::int32_t src, std::int32_t dst, std::int32_t* out) const;
  double scale_up_latency(std::int32_t src, std::int32_t dst) const;
  double scale_out_latency(std::int32_t src, std::int32_t dst) const;

  // Per-GPU figures (achievable, one direction).
  double scale_up_bandwidth_per_gpu() const { return scale_up_per_gpu_; }
  double scale_out_bandwidth_per_gpu() const { return scale_out_per_gpu_; }
  double scale_up_line_rate_per_gpu() const { return scale_up_line_per_gpu_; }
  double scale_out_line_rate_per_gpu() const { return scale_out_line_per_gpu_; }
  const std::vector<std::int32_t>& torus_dims() const { return torus_dims_; }

  // Direct link indices (-1 when the topology has no such link).
  std::int32_t scale_up_out_link(std::int32_t gpu) const;
  std::int32_t scale_up_in_link(std::int32_t gpu) const;
  std::int32_t nic_of(std::int32_t gpu) const; // global NIC index
  std::int32_t nic_out_link(std::int32_t nic) const { return nic_out_base_ < 0 ? -1 : nic_out_base_ + 2 * nic; }
  std::int32_t nic_in_link(std::int32_t nic) const { return nic_out_base_ < 0 ? -1 : nic_out_base_ + 2 * nic + 1; }
  std::int32_t nics_per_node() const { return nics_per_node_; }
  // Fat-tree leaves (rail-optimized: one per NIC index; else one per node) and their uplink / downlink.
  std::int32_t num_leaves() const { return num_leaves_; }
  std::int32_t leaf_of_gpu(std::int32_t gpu) const { return nic_out_base_ < 0 ? -1 : leaf_of_nic(nic_of(gpu)); }
  std::int32_t leaf_up_link(std::int32_t leaf) const { return leaf_base_ < 0 ? -1 : leaf_base_ + 2 * leaf; }
  std::int32_t leaf_down_link(std::int32_t leaf) const { return leaf_base_ < 0 ? -1 : leaf_base_ + 2 * leaf + 1; }
  // One-way latency of a scale-out transfer within one leaf / across leaves (through a spine).
  double scale_out_latency_same_leaf() const;
  double scale_out_latency_cross_leaf() const;

private:
  std::int32_t leaf_of_nic(std::int32_t nic) const;
  std::int32_t torus_coord(std::int32_t local, int axis) const;

  TopologyParams params_;
  std::int32_t num_gpus_ = 0;
  std::vector<Link> links_;
  std::vector<double> inv_bw_;
  std::vector<std::uint8_t> flags_;
  std::vector<std::int32_t> torus_dims_;
  std::int32_t port_base_ = -1;    // switched: 2 links per GPU (out, in)
  std::int32_t peer_base_ = -1;    // full mesh: gpus_per_node - 1 links per GPU; torus: 2 * ndims per GPU
  std::int32_t nic_out_base_ = -1; // 2 links per NIC (out, in)
  std::int32_t leaf_base_ = -1;    // 2 links per leaf (up, down)
  std::int32_t nics_per_node_ = 0;
  std::int32_t num_leaves_ = 0;
  double scale_up_per_gpu_ = 0.0, scale_out_per_gpu_ = 0.0;
  double scale_up_line_per_gpu_ = 0.0, scale_out_line_per_gpu_ = 0.0;
};

// Factors `n` into `ndims` near-equal factors (largest first), e.g. 8 -> {4, 2}, 64 -> {4, 4, 4}.
std::vector<std::int32_t> near_equal_factors(std::int32_t n, int ndims);

} // namespace moescope
