// Collective algorithm "hierarchical" (all-reduce, all-gather, reduce-scatter on several nodes): a ring inside each
// node, a ring across nodes on each rank's NIC, and (all-reduce) the node ring again.
#include <optional>

#include "network/collective_detail.hpp"

namespace moescope {
namespace {

class HierarchicalAlgorithm : public CollectiveAlgorithm {
public:
  std::string name() const override { return "hierarchical"; }
  std::optional<AlgorithmTime> time(const CollectiveContext& c, CollectiveOp op, NcclProtocol p,
                                    double bytes) const override {
    if (c.nodes < 2 || op == CollectiveOp::send_recv || op == CollectiveOp::all_to_all) return std::nullopt;
    // Inside the node (ring over ranks_per_node), then across nodes (ring over nodes, each rank carrying 1 /
    // ranks_per_node of the data on its own NIC), then inside the node again for all-reduce.
    const double eff = NcclConstants::protocol_efficiency(p);
    const double pn = static_cast<double>(c.ranks_per_node), nn = static_cast<double>(c.nodes);
    CollectiveContext intra = c;
    intra.ranks = c.ranks_per_node;
    intra.nodes = 1;
    CollectiveContext inter = c;
    inter.ranks = c.nodes;
    inter.ranks_per_node = 1;
    const double intra_bus = (pn - 1.0) / pn * bytes / (c.scale_up_bandwidth * eff);
    const double inter_passes = op == CollectiveOp::all_reduce ? 2.0 : 1.0;
    const double inter_bus = inter_passes * (nn - 1.0) / nn * (bytes / pn) / (c.scale_out_bandwidth * eff);
    const double intra_phases = op == CollectiveOp::all_reduce ? 2.0 : 1.0;
    const double lat = intra_phases * ring_latency(intra, 1.0, p, false) + ring_latency(inter, inter_passes, p, false);
    return AlgorithmTime{lat, intra_phases * intra_bus + inter_bus};
  }
};

// Self-registration (util/registry.hpp): nothing else names this algorithm.
const Registrar<CollectiveAlgorithm> registered{50, [] { return std::make_unique<HierarchicalAlgorithm>(); }};

} // namespace

} // namespace moescope
