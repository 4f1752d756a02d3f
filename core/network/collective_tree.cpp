// Collective algorithm "tree" (all-reduce only): NCCL's tree, with the latency constants of its tree tables.
#include <cmath>
#include <optional>

#include "network/collective_detail.hpp"

namespace moescope {
namespace {

class TreeAlgorithm : public CollectiveAlgorithm {
public:
  std::string name() const override { return "tree"; }
  std::optional<AlgorithmTime> time(const CollectiveContext& c, CollectiveOp op, NcclProtocol p,
                                    double bytes) const override {
    if (op != CollectiveOp::all_reduce) return std::nullopt;
    // A chain inside each node and a binary tree between nodes, up (reduce) and down (broadcast).
    const double levels = c.nodes > 1 ? std::ceil(std::log2(static_cast<double>(c.nodes))) : 0.0;
    const double lat = NcclConstants::base_latency(true, p) +
                       2.0 * (static_cast<double>(c.ranks_per_node - 1) * NcclConstants::nvlink_hop(true, p) +
                              levels * NcclConstants::network_hop(true, p));
    // Each rank sends and receives the full buffer once per direction of the tree.
    const double bw = ring_bandwidth(c) * NcclConstants::protocol_efficiency(p);
    return AlgorithmTime{lat, bus_bytes_factor(op, c.ranks) * bytes / bw};
  }
};

// Self-registration (util/registry.hpp): nothing else names this algorithm.
const Registrar<CollectiveAlgorithm> registered{20, [] { return std::make_unique<TreeAlgorithm>(); }};

} // namespace

} // namespace moescope
