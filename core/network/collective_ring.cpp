// Collective algorithm "ring" (all-reduce, all-gather, reduce-scatter): NCCL's ring, its latency one hop per rank
// and pass (NVLink inside a node, the network between nodes), its bandwidth the scale-up port or the node's NICs.
#include <algorithm>
#include <optional>

#include "network/collective_detail.hpp"

namespace moescope {

double ring_bandwidth(const CollectiveContext& c) {
  // Inside a node every rank's scale-up port carries its bus bytes; across nodes the node's rings leave through
  // its ranks_per_node NICs, so the inter-node bus bandwidth is ranks_per_node x the per-GPU NIC bandwidth.
  double bw = c.scale_up_bandwidth;
  if (c.nodes > 1) bw = std::min(bw, static_cast<double>(c.ranks_per_node) * c.scale_out_bandwidth);
  return bw;
}

double ring_latency(const CollectiveContext& c, double passes, NcclProtocol p, bool tree) {
  const double inter = c.nodes > 1 ? passes * static_cast<double>(c.nodes) : 0.0;
  const double intra = std::max(0.0, passes * static_cast<double>(c.ranks - 1) - inter);
  return NcclConstants::base_latency(tree, p) + intra * NcclConstants::nvlink_hop(tree, p) +
         inter * NcclConstants::network_hop(tree, p);
}

namespace {

class RingAlgorithm : public CollectiveAlgorithm {
public:
  std::string name() const override { return "ring"; }
  std::optional<AlgorithmTime> time(const CollectiveContext& c, CollectiveOp op, NcclProtocol p,
                                    double bytes) const override {
    if (op != CollectiveOp::all_reduce && op != CollectiveOp::all_gather && op != CollectiveOp::reduce_scatter)
      return std::nullopt;
    const double passes = op == CollectiveOp::all_reduce ? 2.0 : 1.0;
    const double bw = ring_bandwidth(c) * NcclConstants::protocol_efficiency(p);
    return AlgorithmTime{ring_latency(c, passes, p, false), bus_bytes_factor(op, c.ranks) * bytes / bw};
  }
};

// Self-registration (util/registry.hpp): nothing else names this algorithm.
const Registrar<CollectiveAlgorithm> registered{10, [] { return std::make_unique<RingAlgorithm>(); }};

} // namespace

} // namespace moescope
